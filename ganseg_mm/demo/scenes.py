"""Procedural street scenes in the exact Cityscapes layout (the demo data).

No Cityscapes can be downloaded where ganseg_mm is developed and tested, so the
project ships this deterministic generator. Each scene is painted back to front
(sky, buildings, road, sidewalks, vegetation, poles, vehicles, people). Classes
share colours on purpose and differ by shape, texture and context, as in real
streets: a per-pixel colour-only classifier scores a low mIoU on this data
(tests/test_demo), so a segmenter must learn what the methods are for, and a
label-to-image GAN cannot win by painting class colours. Per-image colour cast,
illumination and noise come on top. Object
occurrence follows a long tail similar to Cityscapes (train, bus, motorcycle,
rider and bicycle are rare).

Label definitions (ids, trainIds, names, hasInstances) come from
``cityscapesscripts.helpers.labels``; nothing is retyped here.
"""
from __future__ import annotations

import cv2
import numpy as np
from cityscapesscripts.helpers.labels import name2label

IGNORE_INDEX = 255

# Per-image probability that a class appears at all, and the instance count
# range when it does. This is what makes the class distribution long-tailed.
OCCURRENCE = {
    'car': (0.92, 1, 4), 'person': (0.7, 1, 4), 'truck': (0.15, 1, 1),
    'bus': (0.05, 1, 1), 'train': (0.03, 1, 1), 'motorcycle': (0.08, 1, 1),
    'bicycle': (0.11, 1, 2), 'pole': (0.9, 1, 3), 'wall': (0.3, 1, 1),
    'fence': (0.4, 1, 1), 'terrain': (0.5, 1, 2), 'vegetation': (0.9, 2, 5),
}
RIDER_PROB = 0.6  # a bicycle/motorcycle carries a rider with this probability

# Colour families shared by several classes: each instance draws its colour
# from its class's family, so colour alone never names the class.
PAINT = ((200, 30, 35), (35, 60, 160), (225, 225, 220), (30, 30, 35), (150, 155, 160),
         (40, 120, 60), (220, 190, 40), (225, 110, 30), (110, 50, 130), (120, 80, 50))
# Painted classes prefer a few palette colours (liveries, clothing fashions),
# overlapping with other classes' preferences: colour narrows the class down but
# never names it. Index into PAINT; any colour is drawn with PAINT_ANY.
PREFERRED = {
    'car': (1, 2, 3, 4), 'truck': (2, 4, 7, 1), 'bus': (0, 6, 2, 5), 'train': (2, 1, 4, 0),
    'motorcycle': (3, 0, 4, 8), 'bicycle': (0, 3, 5, 8), 'person': (3, 1, 8, 9),
    'rider': (7, 6, 3, 0), 'traffic sign': (6, 2, 1, 0), 'fence': (9, 4, 5, 3),
}
PAINT_ANY = 0.25
FAMILY = {
    **dict.fromkeys(PREFERRED, 'paint'),
    **dict.fromkeys(('road', 'sidewalk', 'building', 'wall', 'pole'), 'built'),
    **dict.fromkeys(('vegetation', 'terrain'), 'nature'),
    'sky': 'sky', 'traffic light': 'dark', 'ego vehicle': 'dark',
}


def train_id(name: str) -> int:
    return name2label[name].trainId


class ScenePainter:
    """Paints one scene into a trainId map, an instanceIds map and an image.

    Args:
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        rng (np.random.Generator): Source of all randomness for this scene.
    """

    def __init__(self, height: int, width: int, rng: np.random.Generator):
        self.h, self.w, self.rng = height, width, rng
        self.label = np.full((height, width), IGNORE_INDEX, np.uint8)
        self.label_id = np.zeros((height, width), np.uint8)  # Cityscapes ids
        self.inst = np.zeros((height, width), np.int32)
        self.img = np.zeros((height, width, 3), np.float32)
        self.yy, self.xx = np.mgrid[0:height, 0:width].astype(np.float32)
        self.n_inst = {}
        self.scratch = np.zeros((height, width), np.uint8)

    # -- primitives --------------------------------------------------------
    def _mask(self, draw) -> np.ndarray:
        self.scratch[:] = 0
        draw(self.scratch)
        return self.scratch.astype(bool)

    def paint(self, mask: np.ndarray, name: str, rgb=None, texture: str = 'noise',
              noise: float = 6.0, instance: bool = False) -> None:
        """Give ``mask`` class ``name`` and render its texture into the image
        (colour ``rgb``, else one drawn from the class's family)."""
        if not mask.any():
            return
        rgb = self.colour(name) if rgb is None else rgb
        lab = name2label[name]
        self.label[mask] = lab.trainId
        self.label_id[mask] = lab.id
        if instance and lab.hasInstances:
            k = self.n_inst.get(lab.id, 0)
            self.n_inst[lab.id] = k + 1
            self.inst[mask] = lab.id * 1000 + k
        else:
            self.inst[mask] = lab.id
        ys, xs = self.yy[mask], self.xx[mask]
        base = np.asarray(rgb, np.float32)[None, :]
        if texture == 'stripes_v':  # fences, bars
            mod = 25.0 * np.sign(np.sin(xs * 1.3))
        elif texture == 'stripes_h':  # walls, bricks
            mod = 18.0 * np.sign(np.sin(ys * 1.1))
        elif texture == 'windows':  # facades
            mod = -45.0 * ((np.mod(xs, 9) < 4) & (np.mod(ys, 11) < 6))
        elif texture == 'tiles':  # sidewalk
            mod = -30.0 * ((np.mod(xs, 8) < 1) | (np.mod(ys, 6) < 1))
        elif texture == 'gradient':  # sky
            mod = 60.0 * (ys / self.h) * 2.0
        elif texture == 'leaves':  # blotchy foliage
            mod = self.rng.normal(0, 28, size=ys.shape)
        elif texture == 'grass':  # fine vertical blades
            mod = 16.0 * np.sin(xs * 2.7) + self.rng.normal(0, 4, size=ys.shape)
        else:
            mod = np.zeros_like(ys)
        vals = base + mod[:, None] + self.rng.normal(0, noise, (len(ys), 3))
        self.img[mask] = vals

    def rect(self, x0, y0, x1, y1) -> np.ndarray:
        pts = (int(x0), int(y0)), (int(x1), int(y1))
        return self._mask(lambda c: cv2.rectangle(c, *pts, 1, -1))

    def poly(self, pts) -> np.ndarray:
        arr = np.asarray(pts, np.int32).reshape(-1, 1, 2)
        return self._mask(lambda c: cv2.fillPoly(c, [arr], 1))

    def ellipse(self, cx, cy, ax, ay) -> np.ndarray:
        return self._mask(lambda c: cv2.ellipse(
            c, (int(cx), int(cy)), (max(1, int(ax)), max(1, int(ay))), 0, 0,
            360, 1, -1))

    def colour(self, name: str) -> np.ndarray:
        """A colour for one region of class ``name``, drawn from its family."""
        r, fam = self.rng, FAMILY[name]
        if fam == 'paint':
            pick = r.integers(len(PAINT)) if r.random() < PAINT_ANY else \
                PREFERRED[name][r.integers(len(PREFERRED[name]))]
            rgb = np.asarray(PAINT[pick], np.float32)
            return np.clip(rgb + r.normal(0, 18, 3), 0, 255)
        if fam == 'built':  # greys and beiges of concrete, asphalt, plaster, brick
            g = r.uniform(70, 200)
            return np.clip(g + np.array([r.uniform(-5, 25), r.uniform(-5, 12), 0]), 0, 255)
        if fam == 'nature':  # greens to olive and dry brown
            return np.array([r.uniform(40, 150), r.uniform(90, 170), r.uniform(20, 70)],
                            np.float32)
        if fam == 'sky':  # blue to overcast white-grey
            t = r.uniform()
            return (1 - t) * np.array([110, 160, 225]) + t * np.array([205, 205, 210])
        return np.full(3, r.uniform(20, 50), np.float32)  # dark

    def occurs(self, name: str) -> int:
        p, lo, hi = OCCURRENCE[name]
        return int(self.rng.integers(lo, hi + 1)) if self.rng.random() < p else 0

    # -- scene -------------------------------------------------------------
    def paint_scene(self) -> None:
        h, w, r = self.h, self.w, self.rng
        self.horizon = hz = int(h * r.uniform(0.36, 0.48))
        self.paint(np.ones((h, w), bool), 'sky', texture='gradient', noise=4)
        x = int(r.integers(-10, 5))
        while x < w:  # facades with gaps of sky between them
            bw = int(r.integers(w // 8, w // 3))
            top = int(r.integers(0, max(1, hz // 2)))
            if r.random() < 0.95:
                self.paint(self.rect(x, top, x + bw, hz + 4), 'building',
                           texture='windows')
            x += bw + int(r.integers(0, w // 24))
        vx = w // 2 + int(r.integers(-w // 8, w // 8))
        left, right = int(r.uniform(-0.6, 0.05) * w), int(r.uniform(0.95, 1.6) * w)
        self.road_poly = [(vx - 3, hz), (vx + 3, hz), (right, h), (left, h)]
        self.paint(self.poly([(0, hz), (w, hz), (w, h), (0, h)]), 'sidewalk',
                   texture='tiles')
        self.paint(self.poly(self.road_poly), 'road', noise=5)
        for _ in range(self.occurs('terrain')):
            side = r.choice([0, w])
            cy = int(r.uniform(hz + 2, hz + (h - hz) * 0.4))
            self.paint(self.ellipse(side, cy, w * r.uniform(0.08, 0.2), (h - hz) * 0.12),
                       'terrain', texture='grass')
        if self.occurs('wall'):
            x0 = int(r.uniform(0, w * 0.6))
            self.paint(self.rect(x0, hz - int(h * 0.08), x0 + int(w * r.uniform(0.15, 0.35)),
                                 hz + 2), 'wall', texture='stripes_h')
        if self.occurs('fence'):
            x0 = int(r.uniform(0, w * 0.6))
            self.paint(self.rect(x0, hz - int(h * 0.06), x0 + int(w * r.uniform(0.15, 0.4)),
                                 hz + 3), 'fence', texture='stripes_v')
        for _ in range(self.occurs('vegetation')):  # trees near the horizon
            cx, s = r.uniform(0, w), r.uniform(0.6, 1.5)
            self.paint(self.rect(cx - 2 * s, hz - 10 * s, cx + 2 * s, hz + 6 * s),
                       'vegetation', (70, 55, 35), 'noise', 8)
            self.paint(self.ellipse(cx, hz - 18 * s, 18 * s, 14 * s), 'vegetation',
                       texture='leaves')
        self.paint_objects()
        if r.random() < 0.5:  # ego vehicle hood: Cityscapes' ignore region
            self.paint(self.ellipse(w / 2, h + 4, w * 0.6, h * r.uniform(0.06, 0.12)),
                       'ego vehicle', noise=3)

    def _foot(self, on_road: bool):
        """A ground position (x, y) and the perspective scale there."""
        h, w, r, hz = self.h, self.w, self.rng, self.horizon
        y = r.uniform(hz + 0.25 * (h - hz), h - 2)  # not too far: objects of a few pixels
        s = (y - hz) / (h - hz)
        vx = (self.road_poly[0][0] + self.road_poly[1][0]) / 2
        lx = vx + (self.road_poly[3][0] - vx) * s
        rx = vx + (self.road_poly[2][0] - vx) * s
        if on_road:
            x = r.uniform(max(lx, 0), min(rx, w))
        else:  # sidewalk, left or right of the road
            x = r.uniform(0, max(lx, 1)) if r.random() < 0.5 or rx >= w else r.uniform(rx, w)
        return float(np.clip(x, 0, w - 1)), float(y), float(max(s, 0.25))

    def paint_objects(self) -> None:
        h = self.h
        objs = []  # (foot y, painter) drawn far to near for occlusion order
        for _ in range(self.occurs('pole')):
            objs.append((*self._foot(False), self._pole))
        for name in ('car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle'):
            for _ in range(self.occurs(name)):
                objs.append((*self._foot(True), getattr(self, '_' + name)))
        for _ in range(self.occurs('person')):
            objs.append((*self._foot(False), self._person))
        for x, y, s, fn in sorted(objs, key=lambda o: o[1]):
            fn(x, y, s * h)

    def _pole(self, x, y, u):
        top = y - 1.1 * u
        self.paint(self.rect(x - 0.03 * u, top, x + 0.03 * u, y), 'pole')
        if self.rng.random() < 0.5:
            self.paint(self.rect(x - 0.09 * u, top, x + 0.09 * u, top + 0.12 * u),
                       'traffic sign')
        else:
            self.paint(self.rect(x - 0.05 * u, top, x + 0.05 * u, top + 0.22 * u),
                       'traffic light', noise=3)
            lamp = (250, 40, 30) if self.rng.random() < 0.5 else (40, 230, 80)
            self.paint(self.ellipse(x, top + 0.05 * u, 0.03 * u, 0.03 * u),
                       'traffic light', lamp, noise=3)

    def _wheels(self, xs, y, r) -> np.ndarray:
        m = np.zeros((self.h, self.w), bool)
        for x in xs:
            m |= self.ellipse(x, y - r, r, r)
        return m

    def _vehicle(self, name, parts, wheels, windows):
        """One instance: ``parts`` (body masks), dark tyres at ``wheels`` (x list,
        ground y, radius) and glass ``windows``; glass and tyres repaint the
        image only (Cityscapes labels them as the vehicle)."""
        body = np.zeros((self.h, self.w), bool)
        for m in parts:
            body |= m
        tyres = self._wheels(*wheels)
        self.paint(body | tyres, name, instance=True)
        self.img[windows & body] = self.rng.uniform(20, 60) + np.array([0., 5., 15.])
        self.img[tyres] = 15.0

    def _car(self, x, y, u):  # low body, narrower cabin on top
        l, g = 0.75 * u, y - 0.07 * u
        body = self.rect(x - l / 2, g - 0.2 * u, x + l / 2, g)
        cabin = self.poly([(x - l / 2.6, g - 0.2 * u), (x - l / 4, g - 0.36 * u),
                           (x + l / 4, g - 0.36 * u), (x + l / 2.6, g - 0.2 * u)])
        glass = self.rect(x - l / 3.5, g - 0.33 * u, x + l / 3.5, g - 0.22 * u)
        self._vehicle('car', [body, cabin], ([x - l / 3, x + l / 3], y, 0.07 * u), glass)

    def _truck(self, x, y, u):  # short cab and a tall cargo box
        d = 1 if self.rng.random() < 0.5 else -1
        g = y - 0.08 * u
        box = self.rect(x - 0.55 * u, g - 0.7 * u, x + 0.3 * u, g) if d > 0 else \
            self.rect(x - 0.3 * u, g - 0.7 * u, x + 0.55 * u, g)
        cab = self.rect(x + d * 0.3 * u, g - 0.42 * u, x + d * 0.6 * u, g)
        glass = self.rect(x + d * 0.42 * u, g - 0.38 * u, x + d * 0.58 * u, g - 0.24 * u)
        self._vehicle('truck', [box, cab], ([x - 0.4 * u, x + 0.05 * u, x + d * 0.45 * u],
                                            y, 0.08 * u), glass)

    def _bus(self, x, y, u):  # long and tall, a row of separate windows
        l, g = 1.5 * u, y - 0.08 * u
        body = self.rect(x - l / 2, g - 0.7 * u, x + l / 2, g)
        band = self.rect(x - l / 2.2, g - 0.62 * u, x + l / 2.2, g - 0.4 * u)
        glass = band & (np.mod(self.xx - x, max(0.2 * u, 3)) > max(0.04 * u, 1))
        self._vehicle('bus', [body], ([x - l / 3, x + l / 3], y, 0.08 * u), glass)

    def _train(self, x, y, u):  # very long, one ribbon of glass, doors
        l, g = 3.0 * u, y - 0.04 * u
        body = self.rect(x - l / 2, g - 0.6 * u, x + l / 2, g)
        glass = self.rect(x - l / 2.1, g - 0.5 * u, x + l / 2.1, g - 0.36 * u)
        glass |= body & (np.abs(np.mod(self.xx - x, 0.6 * u) - 0.3 * u) < 0.04 * u) & \
            (self.yy > g - 0.5 * u)
        self._vehicle('train', [body], ([], y, 0.0), glass)

    def _bicycle(self, x, y, u):  # thin rings and a thin frame
        r, m = 0.08 * u, np.zeros((self.h, self.w), bool)
        t = max(1, int(round(0.03 * u)))
        for cx in (x - 0.12 * u, x + 0.12 * u):
            m |= self._mask(lambda c, cx=cx: cv2.circle(
                c, (int(cx), int(y - r)), max(2, int(r)), 1, t))
        pts = [(x - 0.12 * u, y - r), (x, y - 0.22 * u), (x + 0.12 * u, y - r)]
        m |= self._mask(lambda c: cv2.polylines(
            c, [np.asarray(pts, np.int32).reshape(-1, 1, 2)], False, 1, t))
        self.paint(m, 'bicycle', instance=True)
        self._maybe_rider(x, y, u)

    def _motorcycle(self, x, y, u):  # solid wheels under a solid body
        r = 0.07 * u
        tyres = self._wheels([x - 0.13 * u, x + 0.13 * u], y, r)
        self.paint(tyres | self.ellipse(x, y - 0.17 * u, 0.16 * u, 0.07 * u), 'motorcycle',
                   instance=True)
        self.img[tyres] = 15.0
        self._maybe_rider(x, y, u)

    def _maybe_rider(self, x, y, u):
        if self.rng.random() < RIDER_PROB:
            self._human('rider', x, y - 0.15 * u, u * 0.8)

    def _person(self, x, y, u):
        self._human('person', x, y, u)

    def _human(self, name, x, y, u):
        body = self.rect(x - 0.08 * u, y - 0.55 * u, x + 0.08 * u, y)
        head = self.ellipse(x, y - 0.62 * u, 0.06 * u, 0.07 * u)
        self.paint(body | head, name, instance=True)
        self.img[head] = self.rng.uniform(0.45, 1.0) * np.array([225.0, 180.0, 150.0])

    def finish(self) -> np.ndarray:
        """Per-image illumination and sensor noise; returns the uint8 RGB image."""
        gain = self.rng.uniform(0.8, 1.15) * self.rng.uniform(0.92, 1.08, 3)  # white balance
        img = self.img * gain + self.rng.normal(0, 3.0, self.img.shape)
        return np.clip(img, 0, 255).astype(np.uint8)


def render_scene(seed, height: int = 128, width: int = 256):
    """Render one scene.

    Args:
        seed: Anything ``np.random.default_rng`` accepts (int or list of ints).
        height (int): Image height. Defaults to 128.
        width (int): Image width. Defaults to 256.

    Returns:
        dict: ``img`` (HxWx3 uint8 RGB), ``label_train_ids`` (HxW uint8),
        ``label_ids`` (HxW uint8) and ``instance_ids`` (HxW int32, Cityscapes
        encoding: ``id * 1000 + k`` for instance classes, ``id`` otherwise).
    """
    if height < 32 or width < 32:
        raise ValueError(f'scenes need at least 32x32 pixels, got {height}x{width}')
    p = ScenePainter(height, width, np.random.default_rng(seed))
    p.paint_scene()
    return dict(img=p.finish(), label_train_ids=p.label, label_ids=p.label_id,
                instance_ids=p.inst)
