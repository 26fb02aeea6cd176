"""``colorization.conv.Conv2D``: Keras' Conv2D, with TensorFlow's CPU gradient of dilated and
small-map convolutions rewritten; the values and both gradients must not change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from colorization import conv


def _values_and_gradients(layer, x):
    import tensorflow as tf

    dy = tf.constant(np.random.default_rng(1).normal(size=layer.compute_output_shape(x.shape))
                     .astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * dy)
    dx, dkernel, dbias = tape.gradient(loss, [x, layer.kernel, layer.bias])
    return [t.numpy() for t in (y, dx, dkernel, dbias)]


@pytest.mark.parametrize(("size", "channels", "dilation", "kernel", "rewritten"), [
    (13, 8, 2, 3, True),    # Zhang's conv5/conv6: dilated, on the 1/8 map
    (13, 8, 1, 3, True),    # conv4/conv7: a small map
    (9, 4, 3, 5, True),     # another odd kernel and rate
    (40, 4, 1, 3, False),   # a large map: TensorFlow's own gradient
    (13, 256, 1, 3, True),  # wide: under oneDNN, the kernel gradient over 3x3 patches
    (13, 256, 2, 3, True),  # wide and dilated
    (9, 256, 1, 5, True),   # wide, 5x5 patches
])
def test_same_values_and_gradients_as_keras_conv2d(size, channels, dilation, kernel, rewritten):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the rewrite is TensorFlow's; other backends run keras.ops.conv unchanged")
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).normal(size=(2, size, size + 1, channels))
                    .astype("float32"))
    settings = {"filters": 6, "kernel_size": kernel, "padding": "same",
                "dilation_rate": dilation, "activation": "relu"}
    ours, reference = conv.Conv2D(**settings), keras.layers.Conv2D(**settings)
    ours.build(x.shape)
    reference.build(x.shape)
    reference.set_weights(ours.get_weights())
    assert ours._tf_cpu_rewrite(x.shape) is rewritten
    for a, b in zip(_values_and_gradients(ours, x), _values_and_gradients(reference, x),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_strided_or_valid_convolutions_are_keras_own():
    for settings in ({"strides": 2, "padding": "same"}, {"padding": "valid"},
                     {"padding": "same", "kernel_size": 2}):
        layer = conv.Conv2D(4, **{"kernel_size": 3, **settings})
        assert not layer._tf_cpu_rewrite((1, 8, 8, 3))


def test_round_trip_through_a_saved_model(tmp_path):
    inputs = keras.Input((12, 12, 3))
    model = keras.Model(inputs, conv.Conv2D(4, 3, padding="same", dilation_rate=2)(inputs))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(again.layers[-1], conv.Conv2D)
    x = np.random.default_rng(0).normal(size=(1, 12, 12, 3)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


@pytest.mark.parametrize("onednn", ["0", "1"])
def test_rewritten_gradients_with_and_without_onednn(onednn):
    """The rewrite's two paths: TensorFlow's Eigen kernels (oneDNN off: no dilated kernel
    gradient, one matrix product per tap instead) and oneDNN's (own dilated gradients, and for
    wide convolutions the kernel gradient over 3x3 patches)."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the rewrite is TensorFlow's")
    script = f"""
import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
import keras, numpy as np, tensorflow as tf
from colorization import conv
from test_conv import _values_and_gradients
assert conv.onednn_enabled() is {onednn == "1"}
for channels, dilation in [(5, 2), (5, 1), (conv.WIDE, 2), (conv.WIDE, 1)]:
    x = tf.constant(np.random.default_rng(0).normal(size=(2, 13, 14, channels))
                    .astype("float32"))
    settings = {{"filters": 6, "kernel_size": 3, "padding": "same", "dilation_rate": dilation}}
    ours, reference = conv.Conv2D(**settings), keras.layers.Conv2D(**settings)
    ours.build(x.shape); reference.build(x.shape); reference.set_weights(ours.get_weights())
    assert ours._tf_cpu_rewrite(x.shape)
    for a, b in zip(_values_and_gradients(ours, x), _values_and_gradients(reference, x)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
print("same")
"""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("same")
