"""sRGB <-> CIE Lab colour maths and the two normalisation conventions of the paper.

Everything is written with ``keras.ops`` so the same functions run on NumPy input, inside a
tf.data map, and inside a model on any Keras backend (TensorFlow, JAX, PyTorch). Arrays are
shaped ``(..., 3)``. Computation is in float32 whatever the input dtype (also under mixed
precision: Lab of a bfloat16 image would lose about 0.5 L units).

Conventions (the same constants as ``skimage.color``: sRGB primaries, D65 white point, 2°
observer, gamma companding):

- RGB: float in [0, 1]. ``rgb_uint8_to_lab`` accepts uint8 0..255 directly.
- Lab: L in [0, 100]; a, b in about [-128, 127] (the sRGB gamut reaches a in [-86, 98] and
  b in [-108, 95]).

Normalisation (defined here and nowhere else; callers work in raw Lab):

==============  ====================  ==========================  =====================
convention      used by               L                           ab
==============  ====================  ==========================  =====================
``"symmetric"`` autoencoder (tanh)    L / 50 - 1 -> [-1, 1]       ab / 128 -> [-1, 1]
``"unit"``      Zhang-style CNN       L / 100 -> [0, 1]           (ab / 128 + 1) / 2
                (sigmoid)                                         -> [0, 1]
==============  ====================  ==========================  =====================
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

# CIE constants, as in skimage.color (so results agree to float32 precision).
XYZ_FROM_RGB = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ],
    dtype=np.float64,
)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
WHITE_D65 = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)

_EPSILON = 0.008856  # (6/29)^3: where the cube root turns into a line
_KAPPA = 7.787  # slope of that line: (29/6)^2 / 3
_DELTA = 16.0 / 116.0

L_MAX = 100.0
AB_SCALE = 128.0
CONVENTIONS = ("symmetric", "unit")

# Matrices folded with the white point, transposed for ``x @ M`` on (..., 3) arrays.
_RGB_TO_XYZN = (XYZ_FROM_RGB / WHITE_D65[:, None]).T.astype(np.float32)
_XYZN_TO_RGB = (RGB_FROM_XYZ * WHITE_D65[None, :]).T.astype(np.float32)
_LAB_FROM_F = np.array(
    [[0.0, 500.0, 0.0], [116.0, -500.0, 200.0], [0.0, 0.0, -200.0]], dtype=np.float32
)  # [fx, fy, fz] @ M -> [L + 16, a, b]
_F_FROM_LAB = np.linalg.inv(_LAB_FROM_F.astype(np.float64)).astype(np.float32)


def _as_float32(x):
    x = ops.convert_to_tensor(x)
    return ops.cast(x, "float32")


def _srgb_to_linear(c, xp=ops):
    # The power branch is evaluated on a clamped value so it never sees a negative base
    # (keeps values and gradients finite); ``where`` then picks the right branch. ``xp``:
    # keras.ops, or NumPy for the table below.
    high = xp.power((xp.maximum(c, 0.04045) + 0.055) / 1.055, 2.4)
    return xp.where(c <= 0.04045, c / 12.92, high)


# Linear RGB of the 256 levels of an 8-bit sRGB channel, computed once in float64: the pipeline
# feeds uint8 images, so training looks each channel up instead of evaluating the power.
LINEAR_OF_UINT8 = _srgb_to_linear(np.arange(256) / 255.0, xp=np).astype(np.float32)


def _linear_to_srgb(c):
    high = 1.055 * ops.power(ops.maximum(c, 0.0031308), 1.0 / 2.4) - 0.055
    return ops.where(c <= 0.0031308, 12.92 * c, high)


def rgb_to_lab(rgb):
    """sRGB ``(..., 3)`` float in [0, 1] -> Lab ``(..., 3)`` float32 (L 0..100, ab ~ +-128)."""
    return _linear_to_lab(_srgb_to_linear(ops.clip(_as_float32(rgb), 0.0, 1.0)))


def rgb_uint8_to_lab(rgb):
    """uint8 RGB 0..255 ``(..., 3)`` -> Lab float32. The conversion used by the pipeline.

    uint8 input takes each channel's linear value from :data:`LINEAR_OF_UINT8`; any other
    dtype (0..255 values) goes through :func:`rgb_to_lab`."""
    rgb = ops.convert_to_tensor(rgb)
    if keras.backend.standardize_dtype(rgb.dtype) != "uint8":
        return rgb_to_lab(_as_float32(rgb) / 255.0)
    return _linear_to_lab(_lookup(LINEAR_OF_UINT8, ops.cast(rgb, "int32")))


def _lookup(table, indices):
    """``table[indices]`` for indices known to lie in range: TensorFlow's gather as it is
    (``ops.take`` adds a pass that wraps negative indices), ``ops.take`` elsewhere."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

        return tf.gather(table, indices)
    return ops.take(table, indices)


def _linear_to_lab(linear):
    xyz = ops.matmul(linear, _RGB_TO_XYZN)  # XYZ / white point
    # f(t) is the cube root above epsilon and, below, its tangent line there (slope kappa):
    # the cube root being concave, the tangent lies above it, so f is the smaller of the two.
    cube_root = ops.exp(ops.log(ops.maximum(xyz, _EPSILON)) * (1.0 / 3.0))
    f = ops.minimum(cube_root, _KAPPA * xyz + _DELTA)
    lab = ops.matmul(f, _LAB_FROM_F)
    # L = 116 fy - 16; the matrix gives 116 fy.
    return lab - ops.convert_to_tensor(np.array([16.0, 0.0, 0.0], dtype=np.float32))


def lab_to_rgb(lab):
    """Lab ``(..., 3)`` -> sRGB ``(..., 3)`` float32 clipped to [0, 1].

    Any Lab input gives finite RGB: predicted ab can lie outside the sRGB gamut, so XYZ is
    clamped at 0 (as skimage does for z) and linear RGB is clipped before gamma companding.
    """
    lab = _as_float32(lab)
    lab = lab + ops.convert_to_tensor(np.array([16.0, 0.0, 0.0], dtype=np.float32))
    f = ops.matmul(lab, _F_FROM_LAB)  # [fx, fy, fz]
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
    if convention == "symmetric":
        return lightness / (L_MAX / 2.0) - 1.0
    return lightness / L_MAX


def normalize_ab(ab, convention: str):
    """ab in about [-128, 128] -> [-1, 1] (``symmetric``) or [0, 1] (``unit``)."""
    _check(convention)
    ab = _as_float32(ab) / AB_SCALE
    if convention == "symmetric":
        return ab
    return (ab + 1.0) / 2.0


def denormalize_ab(ab, convention: str):
    """Inverse of :func:`normalize_ab`: network output -> ab units."""
    _check(convention)
    ab = _as_float32(ab)
    if convention == "unit":
        ab = ab * 2.0 - 1.0
    return ab * AB_SCALE


def split_lab(lab):
    """``(..., 3)`` Lab -> (L ``(..., 1)``, ab ``(..., 2)``)."""
    return lab[..., :1], lab[..., 1:]


def join_lab(lightness, ab):
    """L ``(..., 1)`` and ab ``(..., 2)`` -> Lab ``(..., 3)`` float32."""
    return ops.concatenate([_as_float32(lightness), _as_float32(ab)], axis=-1)


def recolor(lightness, ab) -> np.ndarray:
    """True L ``(..., H, W, 1)`` joined with ab ``(..., H, W, 2)`` (both in Lab units) ->
    sRGB ``(..., H, W, 3)`` float32 NumPy array in [0, 1]. The one "L + predicted ab -> RGB"
    of the project (snapshots, evaluation, metrics)."""
    return to_numpy(lab_to_rgb(join_lab(lightness, ab)))


def to_numpy(x) -> np.ndarray:
    """A backend tensor (or array) as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(x))
