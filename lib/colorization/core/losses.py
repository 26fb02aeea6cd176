"""Regression losses on normalised ab: the paper's ``MSELoss`` and ``SmoothL1Loss``.

``y_true`` and ``y_pred`` are ``(B, H, W, 2)`` normalised ab (the model's convention, see
``colorization.core.color``). Each loss is the mean over every pixel and both channels, computed in
float32 whatever the input dtype (a bfloat16 prediction under mixed precision is cast first).
The losses are ``keras.losses.Loss`` subclasses registered for serialisation, so a model saved
as ``.keras`` with its compile config loads back.

**The SmoothL1 threshold and its units.** PyTorch's ``SmoothL1Loss`` (beta = 1.0 by default,
what the paper used) is, per element with x = y_pred - y_true::

    0.5 * x**2 / beta     if |x| < beta
    |x| - 0.5 * beta      otherwise

The paper's networks were trained on *normalised* ab, so its beta = 1 was in normalised units,
and that changes everything:

- ``"unit"`` convention (CNN, ab in [0, 1]): |x| <= 1 always, so SmoothL1 with beta = 1 is
  exactly 0.5 * MSE everywhere: the paper's "SmoothL1 vs MSE" comparison for the CNN compares
  MSE with half of MSE (the same minimiser, half the gradient: in effect a learning-rate change).
- ``"symmetric"`` convention (autoencoder, ab in [-1, 1]): |x| <= 2, and only errors above 1
  normalised unit = 128 ab units take the L1 branch, i.e. nearly opposite colours.

To put the threshold in ab units instead, use ``name="smooth_l1_ab"`` (``delta`` is then read
in ab units) or pass ``delta_ab``: it is converted with the convention's scale, 1 normalised
unit = 256 ab units in ``"unit"`` and 128 in ``"symmetric"``. E.g. ``delta_ab=10`` makes
errors beyond 10 ab units (a just-visible colour difference is about 2-3) count linearly.

Keras' own ``"huber"`` is ``beta *`` this SmoothL1 (its L1 branch is ``delta*|x| - 0.5*delta²``);
any Keras loss name not listed in :data:`LOSS_NAMES` is passed to ``keras.losses.get``.
"""

from __future__ import annotations

import keras
from keras import ops

from colorization.core import color

LOSS_NAMES = ("mse", "smooth_l1", "smooth_l1_ab", "mae", "l1")

# ab units per normalised unit, per convention.
AB_UNITS_PER_NORMALISED = {"unit": 2.0 * color.AB_SCALE, "symmetric": color.AB_SCALE}


@keras.saving.register_keras_serializable(package="colorization")
class AbRegressionLoss(keras.losses.Loss):
    """Mean elementwise ``kind`` loss over ``(H, W, 2)``, in float32.

    ``kind`` is ``"mse"``, ``"mae"`` or ``"smooth_l1"`` (PyTorch's definition, threshold
    ``delta`` in normalised units). Per-sample values ``(B,)`` are reduced as Keras does
    (default: mean over the batch, honouring ``sample_weight``).
    """

    def __init__(self, kind: str = "mse", delta: float = 1.0, name=None, **kwargs):
        if kind not in ("mse", "mae", "smooth_l1"):
            raise ValueError(f"unknown kind {kind!r}; expected 'mse', 'mae' or 'smooth_l1'")
        if delta <= 0:
            raise ValueError(f"delta must be > 0, got {delta}")
        kwargs.setdefault("dtype", "float32")
        super().__init__(name=name or kind, **kwargs)
        self.kind = kind
        self.delta = float(delta)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        diff = y_pred - y_true
        if self.kind == "mse":
            per_element = ops.square(diff)
        elif self.kind == "mae":
            per_element = ops.abs(diff)
        else:
            abs_diff = ops.abs(diff)
            per_element = ops.where(
                abs_diff < self.delta,
                0.5 * ops.square(diff) / self.delta,
                abs_diff - 0.5 * self.delta,
            )
        return ops.mean(per_element, axis=tuple(range(1, len(per_element.shape))))

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "delta": self.delta}


@keras.saving.register_keras_serializable(package="colorization")
class KerasNamedLoss(keras.losses.Loss):
    """A loss function that ``keras.losses.get(identifier)`` returns, reduced to a scalar.

    Keras' functional losses (``"huber"``, ``"log_cosh"``, ...) return one value per pixel;
    this averages over every non-batch axis, in float32, then reduces over the batch.
    """

    def __init__(self, identifier: str, name=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(name=name or identifier, **kwargs)
        self.identifier = identifier
        self._function = keras.losses.get(identifier)

    def call(self, y_true, y_pred):
        values = self._function(ops.cast(y_true, "float32"), ops.cast(y_pred, "float32"))
        values = ops.cast(values, "float32")
        if len(values.shape) <= 1:
            return values
        return ops.mean(values, axis=tuple(range(1, len(values.shape))))

    def get_config(self):
        return {**super().get_config(), "identifier": self.identifier}


def get_loss(name: str, convention: str = "unit", delta: float = 1.0, delta_ab=None):
    """A Keras loss ``(y_true, y_pred) -> scalar`` on normalised ab ``(B, H, W, 2)``.

    ``name``: ``"mse"``; ``"mae"`` / ``"l1"``; ``"smooth_l1"`` (threshold ``delta`` in
    normalised units, PyTorch's default 1.0 as in the paper); ``"smooth_l1_ab"`` (threshold
    ``delta`` in ab units); or any name ``keras.losses.get`` knows. ``delta_ab``, if given,
    sets a SmoothL1 threshold in ab units for either SmoothL1 name. ``convention`` (``"unit"``
    or ``"symmetric"``) is only used to convert ab-unit thresholds. See the module docstring
    for what the threshold's units mean. Raises ``ValueError`` for an unknown name.
    """
    if convention not in color.CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; expected one of {color.CONVENTIONS}")
    key = name.lower()
    if key == "mse":
        return AbRegressionLoss("mse", name="mse")
    if key in ("mae", "l1"):
        return AbRegressionLoss("mae", name=key)
    if key in ("smooth_l1", "smooth_l1_ab"):
        threshold_ab = delta if key == "smooth_l1_ab" else None
        if delta_ab is not None:
            threshold_ab = delta_ab
        if threshold_ab is not None:
            delta = threshold_ab / AB_UNITS_PER_NORMALISED[convention]
        return AbRegressionLoss("smooth_l1", delta=delta, name=key)
    try:
        loss = keras.losses.get(name)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"unknown loss {name!r}; expected one of {LOSS_NAMES} or a keras.losses name"
        ) from error
    return loss if isinstance(loss, keras.losses.Loss) else KerasNamedLoss(name)
