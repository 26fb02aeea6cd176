"""The "never seen" images: colour photographs shipped inside the scikit-image wheel.

Real photographs, unlike anything in the training sets (no download needed). ``data.load
("photos")`` gives them resized + centre-cropped like every dataset; :func:`full_resolution`
gives them as they are, for colourising at full size.
"""

from __future__ import annotations

import functools

import numpy as np
import skimage.data

from colorization.data.images import resize_center_crop

# Colour photographs shipped inside the scikit-image wheel (no download needed).
PHOTO_NAMES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "stereo_motorcycle",
)


def full_resolution() -> list[tuple[str, np.ndarray]]:
    """``(name, uint8 RGB (H, W, 3))`` for each photograph this scikit-image build ships."""
    out = []
    for name in PHOTO_NAMES:
        try:
            img = getattr(skimage.data, name)()
        except Exception:  # noqa: BLE001, S112 - a file missing from this skimage build
            continue
        if isinstance(img, tuple):  # stereo_motorcycle -> (left, right, disparity)
            img = img[0]
        img = np.asarray(img)
        if img.ndim == 3 and img.shape[2] >= 3:
            out.append((name, img[..., :3].astype(np.uint8)))
    return out


@functools.lru_cache(maxsize=4)
def _photos(size: int):
    images, names = [], []
    for name, img in full_resolution():
        images.append(resize_center_crop(img, size))
        names.append(name)
    stack = np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8)
    stack.setflags(write=False)
    return stack, tuple(names)


def resized(size: int = 100) -> tuple[np.ndarray, list[str]]:
    """scikit-image's colour photographs, resized + centre-cropped: ``(n, size, size, 3)``
    uint8 RGB (n = 8 with scikit-image 0.26) and their names."""
    images, names = _photos(int(size))
    return images.copy(), list(names)
