"""``colorization.nets.tf_cpu``: the TensorFlow CPU rewrite (the dilated convolutions'
gradients) and its switch.

The rewrite must compute what Keras and TensorFlow compute (values and both gradients, for
each way of taking the kernel gradient, with oneDNN on and off), must really run where it
should (each check below asserts what :func:`tf_cpu.used` counted, so a silent fallback to
Keras' own path fails), and must not run where it should not (switched off by ``RunConfig``,
the process switch or :func:`tf_cpu.switched`, a GPU, another backend). Counts are compared
before and after, never reset, so the tests do not depend on their order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from colorization.nets import tf_cpu
from colorization.runs.config import RunConfig
from colorization.runs.train import train

TENSORFLOW = keras.backend.backend() == "tensorflow"
only_tensorflow = pytest.mark.skipif(not TENSORFLOW, reason="the rewrites are TensorFlow's")


@pytest.fixture(autouse=True)
def _switch_left_alone():
    """Every test starts with the rewrite switched on for the process, and leaves the switch
    as it found it."""
    before = tf_cpu.enabled()
    tf_cpu.set_enabled(True)
    yield
    tf_cpu.set_enabled(before)


counting = tf_cpu.counting


# ------------------------------------------------------------------ convolution


def assert_close(a, b):
    """Equal up to float32 rounding: a kernel gradient sums thousands of products of values
    near 1, so its entries reach about 50, and one that nearly cancels carries their rounding
    (a few 1e-4), hence the absolute tolerance scaled to the largest entry."""
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, float(np.abs(b).max())))


def check_against_keras(x, settings, rule):
    """``tf_cpu.Conv2D`` and ``keras.layers.Conv2D`` with the same ``settings`` and weights on
    ``x``: ours takes convolution rule ``rule`` (``None``: Keras' own convolution), and
    really does, and gives the same values and gradients."""
    ours, reference = tf_cpu.Conv2D(**settings), keras.layers.Conv2D(**settings)
    ours.build(x.shape)
    reference.build(x.shape)
    reference.set_weights(ours.get_weights())
    assert tf_cpu.conv_rule(ours.kernel_size, ours.strides, ours.dilation_rate, ours.padding,
                            ours.data_format) == rule
    with counting() as ran:
        values = _values_and_gradients(ours, x)
    assert ran == ({rule: 1} if rule else {})
    for a, b in zip(values, _values_and_gradients(reference, x), strict=True):
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


@only_tensorflow
@pytest.mark.parametrize(("size", "channels", "filters", "dilation", "kernel", "rule"), [
    (13, 8, 6, 2, 3, "conv_dilated"),       # Zhang's conv5/conv6: dilated, on the 1/8 map
    (9, 4, 6, 3, 5, "conv_dilated"),        # another odd kernel and rate
    (40, 64, 32, 2, 3, "conv_dilated"),     # a large map, 64 channels: taps under oneDNN
    (13, 256, 6, 2, 3, "conv_dilated"),     # wide: oneDNN's own input gradient
    (13, 512, 64, 2, 3, "conv_dilated"),    # 512 inputs: oneDNN's own kernel gradient
    (13, 8, 6, 1, 3, None),                 # undilated: Keras' own
    (40, 64, 32, 1, 3, None),
])
def test_same_values_and_gradients_as_keras_conv2d(size, channels, filters, dilation, kernel,
                                                    rule):
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).normal(size=(2, size, size + 1, channels))
                    .astype("float32"))
    settings = {"filters": filters, "kernel_size": kernel, "padding": "same",
                "dilation_rate": dilation, "activation": "relu"}
    check_against_keras(x, settings, rule)


@only_tensorflow
@pytest.mark.parametrize("method", tf_cpu.KERNEL_GRADIENTS)
@pytest.mark.parametrize("dilation", [2, 3])
@pytest.mark.parametrize(("channels", "filters"), [(5, 7), tf_cpu.TAPS_CHANNELS_FIRST])
def test_each_kernel_gradient_way_gives_tensorflows_gradients(method, dilation, channels,
                                                              filters):
    import tensorflow as tf

    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(2, 11, 12, channels)).astype("float32"))
    kernel = tf.constant(rng.normal(size=(3, 3, channels, filters)).astype("float32"))
    if method == "native" and not tf_cpu.onednn_enabled():
        with pytest.raises(ValueError, match="no dilated kernel gradient"):
            tf_cpu.conv2d_dilated_tf(x, kernel, dilation, method=method)
        return
    dy = tf.constant(rng.normal(size=(2, 11, 12, filters)).astype("float32"))
    results = []
    for convolve in (lambda: tf_cpu.conv2d_dilated_tf(x, kernel, dilation, method),
                     lambda: tf.nn.convolution(x, kernel, 1, "SAME", dilations=dilation)):
        with tf.GradientTape() as tape:
            tape.watch([x, kernel])
            y = convolve()
            loss = tf.reduce_sum(y * dy)
        results.append([t.numpy() for t in (y, *tape.gradient(loss, [x, kernel]))])
    for a, b in zip(*results, strict=True):
        assert_close(a, b)


def test_an_unknown_kernel_gradient_way_is_refused():
    with pytest.raises(ValueError, match="method='fast'"):
        tf_cpu.conv2d_dilated_tf(np.zeros((1, 5, 5, 2), "float32"),
                                 np.zeros((3, 3, 2, 2), "float32"), 2, method="fast")


@pytest.mark.parametrize(("args", "way"), [
    ((128, 256, True), "taps"),      # zhang_fruits' dilated block
    ((256, 256, True), "taps"),      # zhang_animals'
    ((512, 512, True), "native"),    # conv5/conv6: oneDNN's dilated kernel gradient
    ((32, 16, True), "native"),      # few channels
    ((512, 512, False), "taps"),     # Eigen has no dilated kernel gradient
    ((5, 7, False), "taps"),
])
def test_kernel_gradient_rule(args, way):
    assert tf_cpu.kernel_gradient(*args) == way


def _rule(shape, filters=4, kernel_size=3, strides=1, dilation_rate=1, padding="same",
          groups=1):
    layer = tf_cpu.Conv2D(filters, kernel_size, strides=strides, dilation_rate=dilation_rate,
                          padding=padding, groups=groups)
    del shape  # the input the layer would see: the rule holds on any
    return tf_cpu.conv_rule(layer.kernel_size, layer.strides, layer.dilation_rate,
                            layer.padding, layer.data_format, layer.groups)


def test_conv_rule():
    assert _rule((1, 40, 40, 3), dilation_rate=2) == "conv_dilated"
    assert _rule((1, None, None, 3), dilation_rate=2) == "conv_dilated"  # any map
    assert _rule((1, 13, 13, 512), filters=512, dilation_rate=2) == "conv_dilated"
    # undilated, valid, even-kernel, grouped and unevenly dilated convolutions: Keras' own
    for settings in ({}, {"strides": 2}, {"padding": "valid", "dilation_rate": 2},
                     {"kernel_size": 2, "dilation_rate": 2}, {"groups": 2, "dilation_rate": 2},
                     {"dilation_rate": (2, 1)}):
        assert _rule((1, 8, 8, 4), **settings) is None, settings


@only_tensorflow
def test_a_grouped_convolution_is_keras_own():
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(4).normal(size=(2, 9, 9, 4)).astype("float32"))
    for dilation in (1, 2):
        settings = {"filters": 6, "kernel_size": 3, "padding": "same", "groups": 2,
                    "dilation_rate": dilation}
        ours, reference = tf_cpu.Conv2D(**settings), keras.layers.Conv2D(**settings)
        ours.build(x.shape)
        reference.build(x.shape)
        reference.set_weights(ours.get_weights())
        with counting() as ran:
            values = _values_and_gradients(ours, x)
        assert ran == {}
        for a, b in zip(values, _values_and_gradients(reference, x), strict=True):
            assert_close(a, b)


def test_a_convolution_round_trips_through_a_saved_model(tmp_path):
    inputs = keras.Input((12, 12, 3))
    model = keras.Model(inputs, tf_cpu.Conv2D(4, 3, padding="same", dilation_rate=2)(inputs))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert type(again.layers[-1]) is tf_cpu.Conv2D
    assert again.layers[-1].get_config() == model.layers[-1].get_config()
    x = np.random.default_rng(0).normal(size=(1, 12, 12, 3)).astype("float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


@only_tensorflow
@pytest.mark.parametrize("onednn", ["0", "1"])
def test_rewritten_gradients_with_and_without_onednn(onednn):
    """The rewrite under TensorFlow's Eigen kernels (oneDNN off: no dilated kernel gradient,
    one matrix product per tap instead) and oneDNN's (its own dilated gradients where they
    are faster), in a fresh process each: oneDNN is chosen when TensorFlow loads."""
    on = onednn == "1"
    script = f"""
import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
import numpy as np, tensorflow as tf
from colorization.nets import tf_cpu
from test_tf_cpu import check_against_keras
assert tf_cpu.onednn_enabled() is {on}
for size, channels, filters in [(13, 5, 6), (13, tf_cpu.WIDE, 6), (13, 64, 32),
                                (13, 2 * tf_cpu.WIDE, 16), (20, 128, 256)]:
    x = tf.constant(np.random.default_rng(0).normal(size=(2, size, size + 1, channels))
                    .astype("float32"))
    settings = {{"filters": filters, "kernel_size": 3, "padding": "same", "dilation_rate": 2}}
    check_against_keras(x, settings, "conv_dilated")
print("same")
"""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("same")


# ------------------------------------------------------------------ the switch


def test_the_switch_turns_the_rewrite_on_and_off():
    assert tf_cpu.enabled() and tf_cpu.active() == TENSORFLOW
    with tf_cpu.switched(False):
        assert not tf_cpu.active()
        with tf_cpu.switched(True):
            assert tf_cpu.active() == TENSORFLOW
        assert not tf_cpu.active()
    with pytest.raises(RuntimeError), tf_cpu.switched(False):
        raise RuntimeError  # the switch is restored all the same
    assert tf_cpu.active() == TENSORFLOW


def test_the_process_switch_turns_the_rewrite_off():
    for value in (False, "0", "off", "False"):
        tf_cpu.set_enabled(value)
        with tf_cpu.switched(True):
            assert not tf_cpu.enabled() and not tf_cpu.active()
    for value in (True, "1", "on", ""):
        tf_cpu.set_enabled(value)
        assert tf_cpu.enabled()


def test_the_environment_sets_the_process_switch(monkeypatch):
    from colorization.core import runtime

    monkeypatch.setenv(tf_cpu.ENV, "off")
    runtime.apply_environment()
    assert not tf_cpu.enabled()
    monkeypatch.delenv(tf_cpu.ENV)
    runtime.apply_environment()
    assert tf_cpu.enabled()


def test_an_invalid_value_is_refused(monkeypatch):
    from colorization.core import runtime

    with pytest.raises(ValueError, match=f"{tf_cpu.ENV} must be 1 .* or 0 .*'maybe'"):
        tf_cpu.set_enabled("maybe")
    monkeypatch.setenv(tf_cpu.ENV, "maybe")
    with pytest.raises(ValueError, match=tf_cpu.ENV):
        runtime.apply_environment()
    assert tf_cpu.enabled()  # the switch is left as it was


def test_active_only_on_tensorflow_without_a_gpu(monkeypatch):
    if TENSORFLOW:
        assert tf_cpu.active()
        with monkeypatch.context() as patch:
            patch.setattr(tf_cpu, "tf_sees_a_gpu", lambda: True)
            assert not tf_cpu.active()
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert not tf_cpu.active()


def _dilated_step():
    """A dilated convolution and its gradients, in eager mode: the rewrites that ran."""
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(5).normal(size=(2, 8, 8, 16)).astype("float32"))
    with counting() as ran, tf.GradientTape() as tape:
        layer = tf_cpu.Conv2D(8, 3, padding="same", dilation_rate=2)
        loss = tf.reduce_sum(layer(x))
    tape.gradient(loss, layer.trainable_variables)
    return ran


@only_tensorflow
def test_nothing_is_rewritten_where_tensorflow_sees_a_gpu(monkeypatch):
    assert _dilated_step() == {"conv_dilated": 1}  # the same layer on this CPU
    monkeypatch.setattr(tf_cpu, "tf_sees_a_gpu", lambda: True)
    assert _dilated_step() == {}


@only_tensorflow
def test_switched_off_the_layer_is_keras_own():
    with tf_cpu.switched(False):
        assert _dilated_step() == {}
    with tf_cpu.switched(True):
        assert _dilated_step() == {"conv_dilated": 1}


def _tiny(**settings) -> RunConfig:
    return RunConfig(**{"model": "zhang_fruits", "data": "synthetic-fruits", "image_size": 16,
                        "max_images": 16, "max_test_images": 8, "batch_size": 8, "epochs": 1,
                        "snapshot_images": 1, **settings})


@only_tensorflow
@pytest.mark.parametrize("how", ["on", "run_config", "process", "gpu"])
def test_a_training_says_whether_the_rewrite_trained_it(how, tmp_path, monkeypatch):
    """Through ``colorization.runs.train.train`` on the TensorFlow CPU: on, the dilated
    convolution of zhang_fruits takes the rewrite and status.json says so; switched off for
    the run, for the process, or on a (simulated) GPU, nothing is rewritten and the list is
    empty. The autoencoders have no dilated convolution: their list is always empty."""
    if how == "process":
        tf_cpu.set_enabled(False)
    if how == "gpu":
        monkeypatch.setattr(tf_cpu, "tf_sees_a_gpu", lambda: True)
    with counting() as ran:
        run = train(_tiny(tf_cpu_rewrites=how != "run_config"), tmp_path / "run", verbose=0)
    status = json.loads((run.dir / "status.json").read_text())
    assert status["state"] == "finished" and status["backend"] == "tensorflow"
    if how == "on":
        assert status["tf_cpu_rewrites"] == ["conv_dilated"] == sorted(ran)
        with counting() as ran:
            plain = train(_tiny(model="autoencoder_small"), tmp_path / "ae", verbose=0)
        assert plain.status["tf_cpu_rewrites"] == [] and ran == {}
    else:
        assert status["tf_cpu_rewrites"] == [] and ran == {}


_JAX_TRAIN = """
import json, sys
import keras
from colorization.nets import tf_cpu
from colorization.runs.config import RunConfig
from colorization.runs.train import train
cfg = RunConfig(model="zhang_fruits", data="synthetic-fruits", image_size=16, max_images=16,
                max_test_images=8, batch_size=8, epochs=1, snapshot_images=1)
run = train(cfg, sys.argv[1], verbose=0)
print(json.dumps({"backend": keras.backend.backend(), "state": run.status["state"],
                  "status": run.status["tf_cpu_rewrites"], "used": tf_cpu.used(),
                  "active": tf_cpu.active()}))
"""


def test_on_jax_a_training_runs_and_nothing_is_rewritten(tmp_path, run_on_backend):
    result = run_on_backend(_JAX_TRAIN, "jax", tmp_path / "run")
    assert result == {"backend": "jax", "state": "finished", "status": [], "used": {},
                      "active": False}


def _small_network():
    """Dilated convolutions of both kernel-gradient ways (under oneDNN) in a few layers."""
    x = inputs = keras.Input((16, 16, 8))
    for filters in (64, 128, 256, 16):
        x = tf_cpu.Conv2D(filters, 3, padding="same", dilation_rate=2, activation="relu")(x)
    return keras.Model(inputs, tf_cpu.Conv2D(2, 1)(x))


@only_tensorflow
def test_with_and_without_the_rewrite_a_network_trains_the_same():
    """The same function: from the same seed and batch, the same losses step after step."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 16, 16, 8)).astype("float32")
    y = np.stack([x[..., :4].mean(-1), x[..., 4:].mean(-1)], axis=-1)  # learnable targets
    losses, ran = [], []
    for on in (True, False):
        keras.utils.set_random_seed(0)
        model = _small_network()
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
        with counting() as counted, tf_cpu.switched(on):
            losses.append([float(model.train_on_batch(x, y)) for _ in range(5)])
        ran.append(set(counted))
    assert ran == [{"conv_dilated"}, set()]
    assert losses[0][-1] < 0.97 * losses[0][0]  # it did train
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
