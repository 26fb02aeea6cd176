"""The "never seen" images: the colour photographs shipped inside the scikit-image wheel (no
download), unlike anything in the training sets."""

from __future__ import annotations

import functools

import numpy as np
import skimage.data

from colorization.data.images import resize_center_crop

PHOTO_NAMES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
               "immunohistochemistry", "retina", "stereo_motorcycle")


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
    found = full_resolution()
    stack = np.array([resize_center_crop(img, size) for _, img in found], np.uint8)
    stack = stack.reshape(-1, size, size, 3)
    stack.setflags(write=False)
    return stack, tuple(name for name, _ in found)


def resized(size: int = 100) -> tuple[np.ndarray, list[str]]:
    """The photographs resized + centre-cropped, ``(n, size, size, 3)`` uint8 RGB (a copy),
    and their names."""
    images, names = _photos(int(size))
    return images.copy(), list(names)
