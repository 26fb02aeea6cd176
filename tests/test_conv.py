"""``colorization.conv.Conv2D``: Keras' Conv2D, with TensorFlow's CPU gradient of dilated,
small-map and (under oneDNN) many-channel or strided convolutions rewritten; the values and
both gradients must not change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from colorization import conv


def assert_close(a, b):
    """Equal up to float32 rounding: a kernel gradient sums thousands of products of values
    near 1, so its entries reach about 50, and one that nearly cancels carries their rounding
    (a few 1e-4), hence the absolute tolerance scaled to the largest entry."""
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(b).max())))


def check_against_keras(x, settings, rewritten):
    """``conv.Conv2D`` and ``keras.layers.Conv2D`` with the same ``settings`` and weights on
    ``x``: whether ours is rewritten, and the same values and gradients."""
    ours, reference = conv.Conv2D(**settings), keras.layers.Conv2D(**settings)
    ours.build(x.shape)
    reference.build(x.shape)
    reference.set_weights(ours.get_weights())
    assert ours._tf_cpu_rewrite(x.shape) is rewritten
    for a, b in zip(_values_and_gradients(ours, x), _values_and_gradients(reference, x),
                    strict=True):
        assert_close(a, b)


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


@pytest.mark.parametrize(("size", "channels", "filters", "dilation", "kernel", "rewritten"), [
    (13, 8, 6, 2, 3, True),     # Zhang's conv5/conv6: dilated, on the 1/8 map
    (13, 8, 6, 1, 3, True),     # conv4/conv7: a small map
    (9, 4, 6, 3, 5, True),      # another odd kernel and rate
    (40, 4, 6, 1, 3, False),    # a large map, few channels: TensorFlow's own gradient
    (40, 64, 32, 1, 3, "onednn"),  # a large map, 64 channels: tap by tap under oneDNN
    (13, 256, 6, 1, 3, True),   # wide: oneDNN's own input gradient
    (13, 256, 512, 1, 3, True),  # wide to 512: under oneDNN, the kernel gradient over patches
    (13, 256, 6, 2, 3, True),   # wide and dilated
    (9, 256, 6, 1, 5, True),    # wide, 5x5 kernel
])
def test_same_values_and_gradients_as_keras_conv2d(size, channels, filters, dilation, kernel,
                                                    rewritten):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the rewrite is TensorFlow's; other backends run keras.ops.conv unchanged")
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).normal(size=(2, size, size + 1, channels))
                    .astype("float32"))
    settings = {"filters": filters, "kernel_size": kernel, "padding": "same",
                "dilation_rate": dilation, "activation": "relu"}
    check_against_keras(x, settings,
                        conv.onednn_enabled() if rewritten == "onednn" else rewritten)


@pytest.mark.parametrize("method", conv.KERNEL_GRADIENTS)
@pytest.mark.parametrize(("dilation", "stride"), [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize(("channels", "filters"), [(5, 7), conv.TAPS_CHANNELS_FIRST])
def test_each_kernel_gradient_way_gives_tensorflows_gradients(method, dilation, stride,
                                                              channels, filters):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the rewrite is TensorFlow's")
    if method == "native" and dilation > 1 and not conv.onednn_enabled():
        pytest.skip("TensorFlow's Eigen kernels have no dilated kernel gradient")
    import tensorflow as tf

    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(2, 11, 12, channels)).astype("float32"))
    kernel = tf.constant(rng.normal(size=(3, 3, channels, filters)).astype("float32"))
    dy = tf.constant(rng.normal(size=(2, -(-11 // stride), -(-12 // stride), filters))
                     .astype("float32"))
    if stride > 1 and method == "taps":
        with pytest.raises(ValueError, match="strided"):
            conv.conv2d_same_tf(x, kernel, dilation, method=method, stride=stride)
        return
    results = []
    for convolve in (lambda: conv.conv2d_same_tf(x, kernel, dilation, method, stride),
                     lambda: tf.nn.convolution(x, kernel, stride, "SAME", dilations=dilation)):
        with tf.GradientTape() as tape:
            tape.watch([x, kernel])
            y = convolve()
            loss = tf.reduce_sum(y * dy)
        results.append([t.numpy() for t in (y, *tape.gradient(loss, [x, kernel]))])
    for a, b in zip(*results, strict=True):
        assert_close(a, b)


def test_an_unknown_kernel_gradient_way_is_refused():
    with pytest.raises(ValueError, match="method='fast'"):
        conv.conv2d_same_tf(np.zeros((1, 5, 5, 2), "float32"), np.zeros((3, 3, 2, 2), "float32"),
                            method="fast")
    with pytest.raises(ValueError, match="one or the other"):
        conv.conv2d_same_tf(np.zeros((1, 5, 5, 2), "float32"), np.zeros((3, 3, 2, 2), "float32"),
                            dilation=2, stride=2)


@pytest.mark.parametrize(("args", "way"), [
    ((169, 512, 512, 1, True), "patches"),   # Zhang's 13x13 512-channel blocks
    ((169, 256, 512, 1, True), "patches"),
    ((169, 256, 128, 1, True), "taps"),
    ((676, 256, 256, 1, True), "taps"),      # conv3, conv8 at 26x26
    ((2704, 64, 128, 1, True), "taps"),      # conv2_1 at 52x52
    ((169, 128, 256, 2, True), "taps"),      # a narrower dilated block
    ((169, 512, 512, 2, True), "native"),    # conv5/conv6: oneDNN's dilated kernel gradient
    ((2704, 32, 16, 1, True), "native"),     # few channels
    ((10816, 1, 64, 1, True), "native"),     # conv1_1: one input channel
    ((169, 512, 512, 1, False), "native"),   # Eigen, undilated
    ((169, 512, 512, 2, False), "taps"),     # Eigen has no dilated kernel gradient
    ((2704, 128, 128, 1, True, 2), "patches"),  # strided: the autoencoder's conv3
    ((676, 256, 256, 1, True, 2), "patches"),   # conv5, Zhang's conv3_3
    ((2704, 64, 64, 1, True, 2), "patches"),
    ((10816, 1, 64, 1, True, 2), "native"),     # the first, one-channel convolution
    ((676, 256, 256, 1, False, 2), "native"),   # Eigen
])
def test_kernel_gradient_rule(args, way):
    assert conv.kernel_gradient(*args) == way


def test_few_channel_strided_or_valid_convolutions_are_keras_own():
    for settings in ({"strides": 2, "padding": "same"}, {"padding": "valid"},
                     {"padding": "same", "kernel_size": 2}):
        layer = conv.Conv2D(4, **{"kernel_size": 3, **settings})
        assert not layer._tf_cpu_rewrite((1, 8, 8, 3))


@pytest.mark.parametrize("size", [20, 13])  # an even map and an odd one (SAME pads unevenly)
def test_a_strided_convolution_gives_keras_values_and_gradients(size):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the rewrite is TensorFlow's")
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(3).normal(size=(2, size, size + 1, 64))
                    .astype("float32"))
    settings = {"filters": 64, "kernel_size": 3, "strides": 2, "padding": "same",
                "activation": "relu"}
    check_against_keras(x, settings, conv.onednn_enabled())  # patches under oneDNN


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
    """The rewrite under TensorFlow's Eigen kernels (oneDNN off: no dilated kernel gradient,
    one matrix product per tap instead) and oneDNN's (own dilated gradients, the kernel
    gradient over 3x3 patches for 256 to 512 channels, tap by tap from 64 channels on any
    map, over strided patches from 64 channels)."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the rewrite is TensorFlow's")
    script = f"""
import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
import keras, numpy as np, tensorflow as tf
from colorization import conv
from test_conv import check_against_keras
assert conv.onednn_enabled() is {onednn == "1"}
for size, channels, filters, dilation, stride in [
        (13, 5, 6, 2, 1), (13, 5, 6, 1, 1), (13, conv.WIDE, 6, 2, 1),
        (13, conv.WIDE, 2 * conv.WIDE, 1, 1), (13, 64, 32, 1, 1), (30, 64, 32, 1, 1),
        (13, 64, 64, 1, 2), (30, 128, 64, 1, 2)]:
    x = tf.constant(np.random.default_rng(0).normal(size=(2, size, size + 1, channels))
                    .astype("float32"))
    settings = {{"filters": filters, "kernel_size": 3, "padding": "same",
                 "dilation_rate": dilation, "strides": stride}}
    check_against_keras(x, settings, (size == 13 and stride == 1) or {onednn == "1"})
print("same")
"""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("same")
