"""Procedural street scenes in the exact Cityscapes layout (the demo data).

No Cityscapes can be downloaded where ganseg_mm is developed and tested, so the
project ships this deterministic generator. Each scene is painted back to front
(sky, buildings, road, sidewalks, vegetation, poles, vehicles, people); every
class has its own colour/texture statistics plus per-image illumination and
noise, so that both a segmenter and a label-to-image GAN can learn it. Object
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
    'bus': (0.05, 1, 1), 'train': (0.025, 1, 1), 'motorcycle': (0.06, 1, 1),
    'bicycle': (0.10, 1, 2), 'pole': (0.9, 1, 3), 'wall': (0.3, 1, 1),
    'fence': (0.4, 1, 1), 'terrain': (0.5, 1, 2), 'vegetation': (0.9, 2, 5),
}
RIDER_PROB = 0.6  # a bicycle/motorcycle carries a rider with this probability

# Base colours (RGB) of each class's texture; instances jitter around them.
BASE_RGB = {
    'road': (90, 88, 92), 'sidewalk': (170, 150, 160), 'building': (125, 110, 95),
    'wall': (140, 140, 160), 'fence': (150, 120, 90), 'pole': (175, 175, 180),
    'traffic light': (35, 35, 30), 'traffic sign': (225, 200, 40),
    'vegetation': (60, 120, 40), 'terrain': (150, 170, 90), 'sky': (140, 180, 230),
    'person': (80, 60, 120), 'rider': (230, 90, 30), 'car': (40, 60, 150),
    'truck': (200, 200, 195), 'bus': (200, 50, 40), 'train': (60, 110, 130),
    'motorcycle': (30, 30, 35), 'bicycle': (150, 20, 40),
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

    def paint(self, mask: np.ndarray, name: str, rgb, texture: str = 'noise',
              noise: float = 6.0, instance: bool = False) -> None:
        """Give ``mask`` class ``name`` and render its texture into the image."""
        if not mask.any():
            return
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
        elif texture == 'leaves':
            mod = self.rng.normal(0, 28, size=ys.shape)
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

    def jitter(self, rgb, amount=25.0):
        return np.clip(np.asarray(rgb, np.float32) +
                       self.rng.normal(0, amount, 3), 0, 255)

    def occurs(self, name: str) -> int:
        p, lo, hi = OCCURRENCE[name]
        return int(self.rng.integers(lo, hi + 1)) if self.rng.random() < p else 0

    # -- scene -------------------------------------------------------------
    def paint_scene(self) -> None:
        h, w, r = self.h, self.w, self.rng
        self.horizon = hz = int(h * r.uniform(0.36, 0.48))
        self.paint(np.ones((h, w), bool), 'sky', BASE_RGB['sky'], 'gradient', 4)
        x = int(r.integers(-10, 5))
        while x < w:  # facades with gaps of sky between them
            bw = int(r.integers(w // 8, w // 3))
            top = int(r.integers(0, max(1, hz // 2)))
            if r.random() < 0.95:
                self.paint(self.rect(x, top, x + bw, hz + 4), 'building',
                           self.jitter(BASE_RGB['building'], 30), 'windows')
            x += bw + int(r.integers(0, w // 24))
        vx = w // 2 + int(r.integers(-w // 8, w // 8))
        left, right = int(r.uniform(-0.6, 0.05) * w), int(r.uniform(0.95, 1.6) * w)
        self.road_poly = [(vx - 3, hz), (vx + 3, hz), (right, h), (left, h)]
        self.paint(self.poly([(0, hz), (w, hz), (w, h), (0, h)]), 'sidewalk',
                   BASE_RGB['sidewalk'], 'tiles')
        self.paint(self.poly(self.road_poly), 'road', BASE_RGB['road'], 'noise', 5)
        for _ in range(self.occurs('terrain')):
            side = r.choice([0, w])
            cy = int(r.uniform(hz + 2, hz + (h - hz) * 0.4))
            self.paint(self.ellipse(side, cy, w * r.uniform(0.08, 0.2), (h - hz) * 0.12),
                       'terrain', BASE_RGB['terrain'], 'leaves', 8)
        if self.occurs('wall'):
            x0 = int(r.uniform(0, w * 0.6))
            self.paint(self.rect(x0, hz - int(h * 0.08), x0 + int(w * r.uniform(0.15, 0.35)),
                                 hz + 2), 'wall', BASE_RGB['wall'], 'stripes_h')
        if self.occurs('fence'):
            x0 = int(r.uniform(0, w * 0.6))
            self.paint(self.rect(x0, hz - int(h * 0.06), x0 + int(w * r.uniform(0.15, 0.4)),
                                 hz + 3), 'fence', BASE_RGB['fence'], 'stripes_v')
        for _ in range(self.occurs('vegetation')):  # trees near the horizon
            cx, s = r.uniform(0, w), r.uniform(0.6, 1.5)
            self.paint(self.rect(cx - 2 * s, hz - 10 * s, cx + 2 * s, hz + 6 * s),
                       'vegetation', (70, 55, 35), 'noise', 8)
            self.paint(self.ellipse(cx, hz - 18 * s, 18 * s, 14 * s), 'vegetation',
                       self.jitter(BASE_RGB['vegetation'], 15), 'leaves')
        self.paint_objects()
        if r.random() < 0.5:  # ego vehicle hood: Cityscapes' ignore region
            self.paint(self.ellipse(w / 2, h + 4, w * 0.6, h * r.uniform(0.06, 0.12)),
                       'ego vehicle', (20, 20, 20), 'noise', 3)

    def _foot(self, on_road: bool):
        """A ground position (x, y) and the perspective scale there."""
        h, w, r, hz = self.h, self.w, self.rng, self.horizon
        y = r.uniform(hz + 0.1 * (h - hz), h - 2)
        s = (y - hz) / (h - hz)
        vx = (self.road_poly[0][0] + self.road_poly[1][0]) / 2
        lx = vx + (self.road_poly[3][0] - vx) * s
        rx = vx + (self.road_poly[2][0] - vx) * s
        if on_road:
            x = r.uniform(max(lx, 0), min(rx, w))
        else:  # sidewalk, left or right of the road
            x = r.uniform(0, max(lx, 1)) if r.random() < 0.5 or rx >= w else r.uniform(rx, w)
        return float(np.clip(x, 0, w - 1)), float(y), float(max(s, 0.15))

    def paint_objects(self) -> None:
        h, r = self.h, self.rng
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
        self.paint(self.rect(x - 0.02 * u, top, x + 0.02 * u, y), 'pole', BASE_RGB['pole'])
        if self.rng.random() < 0.5:
            self.paint(self.rect(x - 0.09 * u, top, x + 0.09 * u, top + 0.12 * u),
                       'traffic sign', self.jitter(BASE_RGB['traffic sign'], 20))
        else:
            self.paint(self.rect(x - 0.05 * u, top, x + 0.05 * u, top + 0.22 * u),
                       'traffic light', BASE_RGB['traffic light'], noise=3)
            lamp = (250, 40, 30) if self.rng.random() < 0.5 else (40, 230, 80)
            self.paint(self.ellipse(x, top + 0.05 * u, 0.03 * u, 0.03 * u),
                       'traffic light', lamp, noise=3)

    def _vehicle(self, name, x, y, u, length, height, win_rgb=(30, 35, 45)):
        l, hh = length * u, height * u
        body = self.rect(x - l / 2, y - hh, x + l / 2, y - 0.08 * u)
        wheels = (self.ellipse(x - l / 3, y - 0.08 * u, 0.07 * u, 0.07 * u) |
                  self.ellipse(x + l / 3, y - 0.08 * u, 0.07 * u, 0.07 * u))
        windows = self.rect(x - l / 2.4, y - hh * 0.92, x + l / 2.4, y - hh * 0.62)
        self.paint(body | wheels, name, self.jitter(BASE_RGB[name], 40), instance=True)
        # windows and wheels keep the instance: repaint the image only
        k = self.inst[body].max()
        self.img[windows & body] = np.asarray(win_rgb, np.float32)
        self.img[wheels] = 15.0
        self.inst[wheels] = k

    def _car(self, x, y, u):
        self._vehicle('car', x, y, u, 0.75, 0.38)

    def _truck(self, x, y, u):
        self._vehicle('truck', x, y, u, 1.1, 0.65)

    def _bus(self, x, y, u):
        self._vehicle('bus', x, y, u, 1.5, 0.7, (20, 30, 60))

    def _train(self, x, y, u):
        self._vehicle('train', x, y, u, 3.0, 0.6, (200, 220, 230))

    def _two_wheeler(self, name, x, y, u):
        m = self.ellipse(x - 0.12 * u, y - 0.07 * u, 0.07 * u, 0.07 * u)
        m |= self.ellipse(x + 0.12 * u, y - 0.07 * u, 0.07 * u, 0.07 * u)
        frame_h = 0.1 if name == 'bicycle' else 0.14
        m |= self.rect(x - 0.12 * u, y - (0.07 + frame_h) * u, x + 0.12 * u, y - 0.1 * u)
        self.paint(m, name, self.jitter(BASE_RGB[name], 20), instance=True)
        if self.rng.random() < RIDER_PROB:
            self._human('rider', x, y - 0.15 * u, u * 0.8)

    def _motorcycle(self, x, y, u):
        self._two_wheeler('motorcycle', x, y, u)

    def _bicycle(self, x, y, u):
        self._two_wheeler('bicycle', x, y, u)

    def _person(self, x, y, u):
        self._human('person', x, y, u)

    def _human(self, name, x, y, u):
        body = self.rect(x - 0.06 * u, y - 0.55 * u, x + 0.06 * u, y)
        head = self.ellipse(x, y - 0.62 * u, 0.045 * u, 0.06 * u)
        self.paint(body | head, name, self.jitter(BASE_RGB[name], 30), instance=True)
        self.img[head] = (225.0, 180.0, 150.0)

    def finish(self) -> np.ndarray:
        """Per-image illumination and sensor noise; returns the uint8 RGB image."""
        gain = self.rng.uniform(0.8, 1.15)
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
