"""sRGB <-> CIE Lab colour maths and the two normalisation conventions of the paper.

Written with ``keras.ops``, so the same functions run on NumPy input, in a tf.data map and
inside a model on any backend; arrays are ``(..., 3)``, computed in float32 whatever the input
dtype. The constants are scikit-image's (sRGB, D65, 2° observer). RGB is float in [0, 1]
(``rgb_uint8_to_lab`` takes uint8); L is in [0, 100], a and b in about [-128, 127].

==============  ====================  ==========================  ============================
convention      used by               L                           ab
==============  ====================  ==========================  ============================
``"symmetric"`` autoencoder (tanh)    L / 50 - 1 -> [-1, 1]       ab / 128 -> [-1, 1]
``"unit"``      Zhang-style CNN       L / 100 -> [0, 1]           (ab / 128 + 1) / 2 -> [0, 1]
==============  ====================  ==========================  ============================
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from skimage.color import colorconv, xyz_tristimulus_values

WHITE_D65 = xyz_tristimulus_values(illuminant="D65", observer="2")

_EPSILON = 0.008856  # (6/29)^3: where the cube root turns into a line
_KAPPA = 7.787  # slope of that line: (29/6)^2 / 3
_DELTA = 16.0 / 116.0

L_MAX = 100.0
AB_SCALE = 128.0
CONVENTIONS = ("symmetric", "unit")

# Matrices folded with the white point, transposed for ``x @ M`` on (..., 3) arrays.
_RGB_TO_XYZN = (colorconv.xyz_from_rgb / WHITE_D65[:, None]).T.astype(np.float32)
_XYZN_TO_RGB = (colorconv.rgb_from_xyz * WHITE_D65[None, :]).T.astype(np.float32)
# [fx, fy, fz] @ M -> [L + 16, a, b]
_LAB_FROM_F = np.array([[0.0, 500.0, 0.0], [116.0, -500.0, 200.0], [0.0, 0.0, -200.0]])
_F_FROM_LAB = np.linalg.inv(_LAB_FROM_F).astype(np.float32)
_LAB_FROM_F = _LAB_FROM_F.astype(np.float32)
_L_OFFSET = np.array([16.0, 0.0, 0.0], dtype=np.float32)


def _as_float32(x):
    return ops.cast(ops.convert_to_tensor(x), "float32")


def _srgb_to_linear(c, xp=ops):
    # the power branch sees a clamped value, so values and gradients stay finite
    high = xp.power((xp.maximum(c, 0.04045) + 0.055) / 1.055, 2.4)
    return xp.where(c <= 0.04045, c / 12.92, high)


# Linear RGB of the 256 levels of an 8-bit channel, looked up for uint8 input.
LINEAR_OF_UINT8 = _srgb_to_linear(np.arange(256) / 255.0, xp=np).astype(np.float32)


def _linear_to_srgb(c):
    high = 1.055 * ops.power(ops.maximum(c, 0.0031308), 1.0 / 2.4) - 0.055
    return ops.where(c <= 0.0031308, 12.92 * c, high)


def rgb_to_lab(rgb):
    """sRGB ``(..., 3)`` float in [0, 1] -> Lab ``(..., 3)`` float32 (L 0..100, ab ~ +-128)."""
    return _linear_to_lab(_srgb_to_linear(ops.clip(_as_float32(rgb), 0.0, 1.0)))


def rgb_uint8_to_lab(rgb):
    """RGB 0..255 ``(..., 3)`` -> Lab float32, the pipeline's conversion (uint8 input looks
    its linear values up in :data:`LINEAR_OF_UINT8`)."""
    rgb = ops.convert_to_tensor(rgb)
    if keras.backend.standardize_dtype(rgb.dtype) != "uint8":
        return rgb_to_lab(_as_float32(rgb) / 255.0)
    return _linear_to_lab(_lookup(LINEAR_OF_UINT8, ops.cast(rgb, "int32")))


def _lookup(table, indices):
    """``table[indices]`` for in-range indices (on TensorFlow, ``tf.gather`` without the pass
    that ``ops.take`` adds for negative indices)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

        return tf.gather(table, indices)
    return ops.take(table, indices)


def _linear_to_lab(linear):
    xyz = ops.matmul(linear, _RGB_TO_XYZN)  # XYZ / white point
    # f is the cube root above epsilon and its tangent line below: the smaller of the two
    cube_root = ops.exp(ops.log(ops.maximum(xyz, _EPSILON)) * (1.0 / 3.0))
    f = ops.minimum(cube_root, _KAPPA * xyz + _DELTA)
    return ops.matmul(f, _LAB_FROM_F) - ops.convert_to_tensor(_L_OFFSET)


def lab_to_rgb(lab):
    """Lab ``(..., 3)`` -> sRGB ``(..., 3)`` float32 in [0, 1], finite for any Lab (out of
    gamut colours are clipped)."""
    f = ops.matmul(_as_float32(lab) + ops.convert_to_tensor(_L_OFFSET), _F_FROM_LAB)
    cube = ops.power(ops.maximum(f, 0.0), 3.0)
    xyz = ops.where(f > 0.2068966, cube, (f - _DELTA) / _KAPPA)
    xyz = ops.maximum(xyz, 0.0)
    linear = ops.matmul(xyz, _XYZN_TO_RGB)
    return ops.clip(_linear_to_srgb(ops.clip(linear, 0.0, 1.0)), 0.0, 1.0)


def _check(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown normalisation {convention!r}; expected one of {CONVENTIONS}")


def normalize_l(lightness, convention: str):
    """L in [0, 100] -> [-1, 1] (``symmetric``) or [0, 1] (``unit``)."""
    _check(convention)
    lightness = _as_float32(lightness)
    return lightness / (L_MAX / 2.0) - 1.0 if convention == "symmetric" else lightness / L_MAX


def normalize_ab(ab, convention: str):
    """ab in about [-128, 128] -> [-1, 1] (``symmetric``) or [0, 1] (``unit``)."""
    _check(convention)
    ab = _as_float32(ab) / AB_SCALE
    return ab if convention == "symmetric" else (ab + 1.0) / 2.0


def denormalize_ab(ab, convention: str):
    """Inverse of :func:`normalize_ab`: network output -> ab units."""
    _check(convention)
    ab = _as_float32(ab)
    return (ab * 2.0 - 1.0 if convention == "unit" else ab) * AB_SCALE


def split_lab(lab):
    """``(..., 3)`` Lab -> (L ``(..., 1)``, ab ``(..., 2)``)."""
    return lab[..., :1], lab[..., 1:]


def recolor(lightness, ab) -> np.ndarray:
    """L ``(..., 1)`` joined with ab ``(..., 2)`` (Lab units) -> sRGB ``(..., 3)`` float32
    NumPy array in [0, 1]."""
    return to_numpy(lab_to_rgb(ops.concatenate([_as_float32(lightness), _as_float32(ab)], -1)))


def to_numpy(x) -> np.ndarray:
    """A backend tensor (or array) as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(x))
