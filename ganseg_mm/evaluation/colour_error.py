"""Per-class mean-colour error of generated images against the real ones.

A cheap check of a label-to-image GAN (pix2pixHD): for each class, the mean
colour of its pixels in the rendered images should match the real images'.
Used by the sample-grid hook during GAN training and by
``tools/ganaug/analyze_labels.py`` on a whole split.
"""
from __future__ import annotations

import numpy as np


class ClassColourError:
    """Accumulates, per class, |mean colour of fake - mean colour of real|
    over all pixels of that class seen so far (0-255 scale, averaged over the
    three channels).

    Args:
        num_classes (int): Ids ``0 .. num_classes - 1`` are scored; other ids
            (ignore) are skipped.
    """

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.sums = np.zeros((2, num_classes, 3))
        self.counts = np.zeros(num_classes)

    def update(self, label: np.ndarray, real: np.ndarray, fake: np.ndarray) -> None:
        """Add images: ``label`` ``(..., H, W)`` ids, ``real`` and ``fake``
        ``(..., H, W, 3)`` in the same channel order."""
        label = np.asarray(label)
        real = np.asarray(real, np.float64).reshape(-1, 3)
        fake = np.asarray(fake, np.float64).reshape(-1, 3)
        flat = label.ravel()
        ok = flat < self.num_classes
        ids = flat[ok].astype(np.int64)
        for k, img in enumerate((fake, real)):
            for ch in range(3):
                self.sums[k, :, ch] += np.bincount(ids, img[ok, ch], self.num_classes)
        self.counts += np.bincount(ids, minlength=self.num_classes)

    def compute(self) -> dict:
        """``{str(class): error}`` for every class seen, plus their mean under 'mean'."""
        out = {str(c): float(np.abs(self.sums[0, c] - self.sums[1, c]).mean() / self.counts[c])
               for c in range(self.num_classes) if self.counts[c]}
        out['mean'] = float(np.mean(list(out.values()))) if out else float('nan')
        return out
