"""Losses against hand-computed values on tiny tensors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from colorization.core import losses

Y_TRUE = np.zeros((1, 1, 2, 2), "float32")
# errors 0.5 (L2 branch for delta=1), 2.0 and -1.5 (L1 branch), 0.0
Y_PRED = np.array([[[[0.5, 2.0], [-1.5, 0.0]]]], "float32")


def value(loss, y_true=Y_TRUE, y_pred=Y_PRED):
    return float(np.asarray(loss(y_true, y_pred)))


def test_mse_and_mae():
    assert value(losses.get_loss("mse")) == pytest.approx((0.25 + 4 + 2.25 + 0) / 4)
    for name in ("mae", "l1"):
        assert value(losses.get_loss(name)) == pytest.approx((0.5 + 2 + 1.5 + 0) / 4)


def test_smooth_l1_both_branches():
    # beta = 1: 0.5 * 0.5**2 = 0.125; |2| - 0.5 = 1.5; |1.5| - 0.5 = 1.0; 0
    expected = (0.125 + 1.5 + 1.0 + 0.0) / 4
    assert value(losses.get_loss("smooth_l1")) == pytest.approx(expected)
    # beta = 4: all in the L2 branch, 0.5 x^2 / 4
    expected = (0.5 * (0.25 + 4 + 2.25) / 4) / 4
    assert value(losses.get_loss("smooth_l1", delta=4.0)) == pytest.approx(expected)


def test_smooth_l1_is_half_mse_in_unit_convention():
    rng = np.random.default_rng(0)
    y_true = rng.random((2, 4, 4, 2)).astype("float32")
    y_pred = rng.random((2, 4, 4, 2)).astype("float32")
    smooth = value(losses.get_loss("smooth_l1"), y_true, y_pred)
    mse = value(losses.get_loss("mse"), y_true, y_pred)
    assert smooth == pytest.approx(0.5 * mse, rel=1e-6)


@pytest.mark.parametrize(("convention", "scale"), [("unit", 256.0), ("symmetric", 128.0)])
def test_threshold_in_ab_units(convention, scale):
    loss = losses.get_loss("smooth_l1", convention=convention, delta_ab=64.0)
    assert loss.delta == pytest.approx(64.0 / scale)
    by_name = losses.get_loss("smooth_l1_ab", convention=convention, delta=64.0)
    assert by_name.delta == pytest.approx(64.0 / scale)
    # errors 0.5 normalised = 128 or 64 ab units; threshold 0.25 or 0.5 normalised
    beta = 64.0 / scale
    y_pred = np.full((1, 1, 1, 2), 0.5, "float32")
    y_true = np.zeros_like(y_pred)
    per = 0.5 * 0.25 / beta if 0.5 < beta else 0.5 - 0.5 * beta
    assert value(loss, y_true, y_pred) == pytest.approx(per)


def test_bfloat16_prediction_gives_float32_loss():
    y_pred = keras.ops.cast(Y_PRED, "bfloat16")
    for name in ("mse", "smooth_l1", "mae"):
        result = losses.get_loss(name)(Y_TRUE, y_pred)
        assert keras.backend.standardize_dtype(result.dtype) == "float32"


def test_keras_names_pass_through_and_unknown_fails():
    assert losses.get_loss("huber") is not None
    assert value(losses.get_loss("mean_squared_error")) == pytest.approx(6.5 / 4)
    with pytest.raises(ValueError, match="smooth_l1"):
        losses.get_loss("no_such_loss")


def test_serialisable():
    loss = losses.get_loss("smooth_l1", convention="symmetric", delta_ab=10.0)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, losses.AbRegressionLoss)
    assert restored.kind == "smooth_l1" and restored.delta == pytest.approx(10.0 / 128.0)
    assert value(restored) == pytest.approx(value(loss))


def test_keras_functional_loss_is_reduced_and_serialisable():
    loss = losses.get_loss("huber")
    # Keras huber, delta 1: 0.125, 1.5, 1.0, 0 -> same as SmoothL1 with beta 1
    assert value(loss) == pytest.approx((0.125 + 1.5 + 1.0) / 4)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert value(restored) == pytest.approx(value(loss))
