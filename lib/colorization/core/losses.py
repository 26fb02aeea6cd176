"""Regression losses on normalised ab ``(B, H, W, 2)``: the paper's ``MSELoss`` and
``SmoothL1Loss``, as serialisable ``keras.losses.Loss`` subclasses computed in float32.

SmoothL1 is PyTorch's (``0.5 x² / beta`` below ``beta``, ``|x| - 0.5 beta`` above), and the
paper's beta = 1 was in *normalised* units: on "unit" targets (CNN, [0, 1]) every error is
below 1, so SmoothL1 is exactly half the MSE; on "symmetric" targets ([-1, 1]) only errors
above 128 ab units take the L1 branch. ``name="smooth_l1_ab"`` or ``delta_ab`` give the
threshold in ab units instead (1 normalised unit = 256 ab units in "unit", 128 in
"symmetric"). Other Keras loss names are passed to ``keras.losses.get``.
"""

from __future__ import annotations

import keras
from keras import ops

from colorization.core import color

LOSS_NAMES = ("mse", "smooth_l1", "smooth_l1_ab", "mae", "l1")

AB_UNITS_PER_NORMALISED = {"unit": 2.0 * color.AB_SCALE, "symmetric": color.AB_SCALE}


@keras.saving.register_keras_serializable(package="colorization")
class AbRegressionLoss(keras.losses.Loss):
    """Mean elementwise ``kind`` loss (``"mse"``, ``"mae"`` or ``"smooth_l1"`` with threshold
    ``delta`` in normalised units) per sample, in float32; Keras reduces over the batch."""

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
            per_element = ops.where(abs_diff < self.delta, 0.5 * ops.square(diff) / self.delta,
                                    abs_diff - 0.5 * self.delta)
        return ops.mean(per_element, axis=tuple(range(1, len(per_element.shape))))

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "delta": self.delta}


@keras.saving.register_keras_serializable(package="colorization")
class KerasNamedLoss(keras.losses.Loss):
    """A Keras functional loss (``"huber"``, ``"log_cosh"``, ...) averaged over every
    non-batch axis, in float32."""

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
    """A Keras loss on normalised ab: ``"mse"``, ``"mae"`` / ``"l1"``, ``"smooth_l1"``
    (threshold ``delta`` in normalised units), ``"smooth_l1_ab"`` (``delta`` in ab units) or a
    ``keras.losses`` name. ``delta_ab`` sets either SmoothL1's threshold in ab units,
    converted with ``convention``. ``ValueError`` for an unknown name."""
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
