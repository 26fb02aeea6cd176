"""``colorization.nets.tf_cpu``: the TensorFlow CPU rewrites and their switch.

Each rewrite must compute what Keras and TensorFlow compute (``Conv2D``: values and both
gradients, for each rule and each way of taking the kernel gradient, with oneDNN on and off;
``BatchNormalization``: outputs, gradients and moving statistics; ``Adam``: the weights, also
under a MirroredStrategy), must really run where it should (each check below asserts what
:func:`tf_cpu.used` counted, so a silent fallback to Keras' own path fails), and must not run
where it should not (switched off by ``RunConfig``, the environment or :func:`tf_cpu.switched`,
a GPU, another backend). Counts are compared before and after, never reset, so the tests do
not depend on their order.
"""

from __future__ import annotations

import contextlib
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
from colorization.runs.train import make_optimizer, train

TENSORFLOW = keras.backend.backend() == "tensorflow"
only_tensorflow = pytest.mark.skipif(not TENSORFLOW, reason="the rewrites are TensorFlow's")


@pytest.fixture(autouse=True)
def _switch_left_alone(monkeypatch):
    """Every test starts with the rewrites on, whatever the caller's environment says."""
    monkeypatch.delenv(tf_cpu.ENV, raising=False)


@contextlib.contextmanager
def counting():
    """``with counting() as ran:``: afterwards ``ran`` is ``{name: count}`` of the rewrites
    taken inside the block (the growth of :func:`tf_cpu.used`)."""
    ran: dict[str, int] = {}
    before = tf_cpu.used()
    try:
        yield ran
    finally:
        after = tf_cpu.used()
        ran.update({k: n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)})


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
    assert tf_cpu.conv_rule(x.shape, ours.filters, ours.kernel_size, ours.strides,
                            ours.dilation_rate, ours.padding, ours.data_format) == rule
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
    (13, 8, 6, 1, 3, "conv_small_map"),     # conv4/conv7: a small map
    (9, 4, 6, 3, 5, "conv_dilated"),        # another odd kernel and rate
    (40, 4, 6, 1, 3, None),                 # a large map, few channels: TensorFlow's own
    (40, 64, 32, 1, 3, "onednn"),           # a large map, 64 channels: taps under oneDNN
    (13, 256, 6, 1, 3, "conv_small_map"),   # wide: oneDNN's own input gradient
    (13, 256, 512, 1, 3, "conv_small_map"),  # wide to 512: under oneDNN, the patches
    (13, 256, 6, 2, 3, "conv_dilated"),     # wide and dilated
    (9, 256, 6, 1, 5, "conv_small_map"),    # wide, 5x5 kernel
])
def test_same_values_and_gradients_as_keras_conv2d(size, channels, filters, dilation, kernel,
                                                    rule):
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).normal(size=(2, size, size + 1, channels))
                    .astype("float32"))
    settings = {"filters": filters, "kernel_size": kernel, "padding": "same",
                "dilation_rate": dilation, "activation": "relu"}
    if rule == "onednn":
        rule = "conv_taps" if tf_cpu.onednn_enabled() else None
    check_against_keras(x, settings, rule)


@only_tensorflow
@pytest.mark.parametrize("size", [20, 13])  # an even map and an odd one (SAME pads unevenly)
def test_a_strided_convolution_gives_keras_values_and_gradients(size):
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(3).normal(size=(2, size, size + 1, 64))
                    .astype("float32"))
    settings = {"filters": 64, "kernel_size": 3, "strides": 2, "padding": "same",
                "activation": "relu"}
    check_against_keras(x, settings, "conv_strided" if tf_cpu.onednn_enabled() else None)


@only_tensorflow
@pytest.mark.parametrize("method", tf_cpu.KERNEL_GRADIENTS)
@pytest.mark.parametrize(("dilation", "stride"), [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize(("channels", "filters"), [(5, 7), tf_cpu.TAPS_CHANNELS_FIRST])
def test_each_kernel_gradient_way_gives_tensorflows_gradients(method, dilation, stride,
                                                              channels, filters):
    if method == "native" and dilation > 1 and not tf_cpu.onednn_enabled():
        pytest.skip("TensorFlow's Eigen kernels have no dilated kernel gradient")
    import tensorflow as tf

    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(2, 11, 12, channels)).astype("float32"))
    kernel = tf.constant(rng.normal(size=(3, 3, channels, filters)).astype("float32"))
    dy = tf.constant(rng.normal(size=(2, -(-11 // stride), -(-12 // stride), filters))
                     .astype("float32"))
    if stride > 1 and method == "taps":
        with pytest.raises(ValueError, match="strided"):
            tf_cpu.conv2d_same_tf(x, kernel, dilation, method=method, stride=stride)
        return
    results = []
    for convolve in (lambda: tf_cpu.conv2d_same_tf(x, kernel, dilation, method, stride),
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
        tf_cpu.conv2d_same_tf(np.zeros((1, 5, 5, 2), "float32"),
                              np.zeros((3, 3, 2, 2), "float32"), method="fast")
    with pytest.raises(ValueError, match="one or the other"):
        tf_cpu.conv2d_same_tf(np.zeros((1, 5, 5, 2), "float32"),
                              np.zeros((3, 3, 2, 2), "float32"), dilation=2, stride=2)


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
    assert tf_cpu.kernel_gradient(*args) == way


def _rule(shape, filters=4, kernel_size=3, strides=1, dilation_rate=1, padding="same",
          groups=1):
    layer = tf_cpu.Conv2D(filters, kernel_size, strides=strides, dilation_rate=dilation_rate,
                          padding=padding, groups=groups)
    return tf_cpu.conv_rule(shape, layer.filters, layer.kernel_size, layer.strides,
                            layer.dilation_rate, layer.padding, layer.data_format, layer.groups)


def test_conv_rules():
    onednn = tf_cpu.onednn_enabled()
    assert _rule((1, 40, 40, 3), dilation_rate=2) == "conv_dilated"
    assert _rule((1, None, None, 3), dilation_rate=2) == "conv_dilated"  # any map
    assert _rule((1, 16, 16, 3)) == "conv_small_map"
    assert _rule((1, 16, 17, 3)) is None
    assert _rule((1, None, None, 64), filters=64) is None  # an unknown map: Keras'
    assert _rule((1, 40, 40, 64), filters=32) == ("conv_taps" if onednn else None)
    assert _rule((1, 40, 40, 64), filters=64, strides=2) == ("conv_strided" if onednn else None)
    # few-channel strided, valid, even-kernel and grouped convolutions are Keras' own
    for settings in ({"strides": 2}, {"padding": "valid"}, {"kernel_size": 2},
                     {"groups": 2}, {"groups": 2, "dilation_rate": 2}):
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
    one matrix product per tap instead) and oneDNN's (own dilated gradients, the kernel
    gradient over 3x3 patches for 256 to 512 channels, tap by tap from 64 channels on any
    map, over strided patches from 64 channels), in a fresh process each: oneDNN is chosen
    when TensorFlow loads."""
    on = onednn == "1"
    script = f"""
import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
import numpy as np, tensorflow as tf
from colorization.nets import tf_cpu
from test_tf_cpu import check_against_keras
assert tf_cpu.onednn_enabled() is {on}
for size, channels, filters, dilation, stride, rule in [
        (13, 5, 6, 2, 1, "conv_dilated"), (13, 5, 6, 1, 1, "conv_small_map"),
        (13, tf_cpu.WIDE, 6, 2, 1, "conv_dilated"),
        (13, tf_cpu.WIDE, 2 * tf_cpu.WIDE, 1, 1, "conv_small_map"),
        (13, 64, 32, 1, 1, "conv_small_map"), (30, 64, 32, 1, 1, {on} and "conv_taps"),
        (13, 64, 64, 1, 2, {on} and "conv_strided"),
        (30, 128, 64, 1, 2, {on} and "conv_strided")]:
    x = tf.constant(np.random.default_rng(0).normal(size=(2, size, size + 1, channels))
                    .astype("float32"))
    settings = {{"filters": filters, "kernel_size": 3, "padding": "same",
                 "dilation_rate": dilation, "strides": stride}}
    check_against_keras(x, settings, rule or None)
print("same")
"""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("same")


# ------------------------------------------------------------------ batch normalisation

NORM = {"momentum": 0.9, "epsilon": 1e-5}  # the Zhang networks'


def _norm_pair(**settings):
    ours = tf_cpu.BatchNormalization(**{**NORM, **settings})
    reference = keras.layers.BatchNormalization(**{**NORM, **settings})
    for layer in (ours, reference):
        rng = np.random.default_rng(0)  # the same weights for both
        layer.build((None, 5, 6, 3))
        if layer.scale:
            layer.gamma.assign(rng.uniform(0.5, 2.0, 3).astype("float32"))
        if layer.center:
            layer.beta.assign(rng.normal(size=3).astype("float32"))
    return ours, reference


def _batch(seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(4, 5, 6, 3)) * [1.0, 3.0, 0.2] + [0.0, 2.0, -1.0]).astype("float32")


@only_tensorflow
def test_batch_norm_is_fused_only_while_training_on_4d_input():
    ours, _ = _norm_pair()
    x = keras.ops.convert_to_tensor(_batch(1))
    with counting() as ran:
        ours(x, training=True)
    assert ran == {"batch_norm": 1}
    with counting() as ran:
        ours(x, training=False)  # inference: the moving statistics, Keras' own
        ours(x)
        flat = tf_cpu.BatchNormalization(**NORM)
        flat(keras.ops.zeros((2, 3)), training=True)  # not an image
        frozen, _ = _norm_pair()
        frozen.trainable = False
        frozen(x, training=True)  # Keras: a frozen batch norm uses its moving statistics
    assert ran == {}


@only_tensorflow
@pytest.mark.parametrize("settings", [{}, {"center": False}, {"scale": False}])
def test_same_outputs_gradients_and_moving_statistics_as_keras(settings):
    import tensorflow as tf

    ours, reference = _norm_pair(**settings)
    upstream = tf.constant(np.random.default_rng(9).normal(size=(4, 5, 6, 3)).astype("float32"))
    results = []
    for layer in (ours, reference):
        with counting() as ran:
            for seed in (1, 2):  # two training steps: the moving statistics move twice
                x = tf.constant(_batch(seed))
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = layer(x, training=True)
                    loss = tf.reduce_sum(y * upstream)
                grads = tape.gradient(loss, [x, *layer.trainable_weights])
        assert ran == ({"batch_norm": 2} if layer is ours else {})
        results.append([y.numpy(), *(g.numpy() for g in grads),
                        layer.moving_mean.numpy(), layer.moving_variance.numpy(),
                        layer(x, training=False).numpy()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # the statistics did move away from their start (zeros and ones)
    assert np.abs(results[0][-3]).max() > 0.1 and np.abs(results[0][-2] - 1).max() > 0.5


def test_batch_norm_saved_and_loaded_in_a_model(tmp_path):
    inputs = keras.Input((5, 6, 3))
    model = keras.Model(inputs, tf_cpu.BatchNormalization(**NORM)(inputs))
    model(_batch(1), training=True)
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert type(again.layers[-1]) is tf_cpu.BatchNormalization
    np.testing.assert_allclose(again(_batch(2)), model(_batch(2)), rtol=1e-6)


# ------------------------------------------------------------------ Adam


def _adam_steps(cls, n_steps=6, **settings):
    """Weights after ``n_steps`` updates from fixed weights and gradients."""
    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype("float32") for s in [(3, 3, 4, 8), (8,), (5,)]]
    grads = [[rng.normal(size=w.shape).astype("float32") * (k + 1) for w in start]
             for k in range(n_steps)]
    weights = [keras.Variable(w) for w in start]
    opt = cls(**settings)
    for g in grads:
        opt.apply([keras.ops.convert_to_tensor(x) for x in g], weights)
    return [keras.ops.convert_to_numpy(w) for w in weights], int(opt.iterations.numpy())


@pytest.mark.parametrize("settings", [
    {"learning_rate": 1e-3},
    {"learning_rate": 0.05, "beta_1": 0.5, "epsilon": 1e-4},  # the GAN's beta_1
    {"learning_rate": keras.optimizers.schedules.CosineDecay(0.01, decay_steps=4)},
    {"learning_rate": 1e-2, "weight_decay": 0.1, "clipnorm": 1.0},
    {"learning_rate": 1e-2, "amsgrad": True},  # Keras' own update
])
def test_same_weights_as_keras_adam(settings):
    with counting() as ran:
        ours, steps = _adam_steps(tf_cpu.Adam, **settings)
    fused = TENSORFLOW and not settings.get("amsgrad")
    assert ran == ({"adam": 6 * 3} if fused else {})  # 6 steps of 3 weights
    reference, _ = _adam_steps(keras.optimizers.Adam, **settings)
    start, _ = _adam_steps(tf_cpu.Adam, n_steps=0, **settings)
    assert steps == 6
    moved = max(np.abs(b - s).max() for b, s in zip(reference, start, strict=True))
    assert moved > 1e-3  # the weights did change
    # float32 rounding of a different order of operations: about 1e-5 of the distance moved,
    # plus an ulp or two of the weight (a missing bias correction or moment update differs by
    # a large part of the distance).
    for a, b in zip(ours, reference, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=2e-5 * moved)


def test_make_optimizer_uses_the_fused_adam_for_adam_only():
    model = "autoencoder_small"
    assert type(make_optimizer(RunConfig(model=model), 10)) is tf_cpu.Adam
    sgd = make_optimizer(RunConfig(model=model, optimizer="sgd", learning_rate=0.1), 10)
    assert type(sgd) is keras.optimizers.SGD and float(sgd.learning_rate) == pytest.approx(0.1)
    cosine = make_optimizer(RunConfig(model=model, lr_schedule="cosine", epochs=2), 5)
    assert cosine.get_config()["learning_rate"]["class_name"] == "CosineDecay"


def test_adam_saved_and_loaded_by_name():
    opt = tf_cpu.Adam(learning_rate=0.003, beta_1=0.5)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(again) is tf_cpu.Adam and again.get_config() == opt.get_config()


@only_tensorflow
def test_same_weights_as_keras_adam_under_a_mirrored_strategy():
    """In a strategy's update call each replica's copy is updated through its own handle."""
    script = """
import json
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from colorization.nets import tf_cpu
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
rng = np.random.default_rng(1)
x = rng.normal(size=(8, 6)).astype("float32"); y = rng.normal(size=(8, 2)).astype("float32")
result, used = [], []
for cls in (tf_cpu.Adam, keras.optimizers.Adam):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(2)])
        model.compile(optimizer=cls(0.01), loss="mse")
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    result.append([w.numpy() for w in model.weights])
    used.append(tf_cpu.used().get("adam", 0))
assert all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(*result, strict=True)), "differ"
assert all(np.abs(a).max() > 0 for a in result[0])
print(json.dumps({"used": used}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert out.returncode == 0, out.stderr[-3000:]
    used = json.loads(out.stdout.strip().splitlines()[-1])["used"]
    assert used[0] > 0 and used[1] == used[0]  # ours ran; Keras' Adam added nothing


# ------------------------------------------------------------------ the switch


def test_the_switch_turns_rewrites_on_and_off_by_name():
    every = set(tf_cpu.NAMES)

    def on():
        return {n for n in tf_cpu.NAMES if tf_cpu.enabled(n)}

    assert on() == every
    with tf_cpu.switched(False):
        assert on() == set()
        with tf_cpu.switched(True):
            assert on() == every
        assert on() == set()
    with tf_cpu.switched({"adam", "conv_taps"}):
        assert on() == {"adam", "conv_taps", "conv"}
    with tf_cpu.switched(["conv"]):
        assert on() == {"conv", *tf_cpu.CONV_RULES}
    with tf_cpu.switched("batch_norm"):  # one name
        assert on() == {"batch_norm"}
    with pytest.raises(ValueError, match="unknown TensorFlow CPU rewrite"), \
            tf_cpu.switched({"adam", "fast"}):
        pass
    with pytest.raises(RuntimeError), tf_cpu.switched(False):
        raise RuntimeError  # the switch is restored all the same
    assert on() == every


def test_the_environment_turns_every_rewrite_off(monkeypatch):
    for value in ("0", "off", "False"):
        monkeypatch.setenv(tf_cpu.ENV, value)
        with tf_cpu.switched(True):
            assert not any(tf_cpu.enabled(n) or tf_cpu.active(n) for n in tf_cpu.NAMES)
    for value in ("1", "on", ""):
        monkeypatch.setenv(tf_cpu.ENV, value)
        assert all(tf_cpu.enabled(n) for n in tf_cpu.NAMES)


def test_an_invalid_environment_value_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(tf_cpu.ENV, "maybe")
    with pytest.raises(ValueError, match=f"{tf_cpu.ENV} must be 1 .* or 0 .*'maybe'"):
        tf_cpu.enabled("adam")
    with pytest.raises(ValueError, match=tf_cpu.ENV), tf_cpu.switched(True):
        pass
    with pytest.raises(ValueError, match=tf_cpu.ENV):
        train(_tiny(), tmp_path / "run", verbose=0)


def test_active_only_on_tensorflow_without_a_gpu(monkeypatch):
    if TENSORFLOW:
        assert all(tf_cpu.active(n) for n in tf_cpu.NAMES)
        with monkeypatch.context() as patch:
            patch.setattr(tf_cpu, "tf_sees_a_gpu", lambda: True)
            assert not any(tf_cpu.active(n) for n in tf_cpu.NAMES)
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert not any(tf_cpu.active(n) for n in tf_cpu.NAMES)


def _every_rewrite():
    """A convolution of each rule (the strided and tap-by-tap ones need oneDNN), a batch norm
    while training, and an Adam step, in eager mode: the rewrites that ran."""
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(5).normal(size=(2, 20, 20, 64)).astype("float32"))
    small = x[:, :8, :8, :]
    with counting() as ran, tf.GradientTape() as tape:
        y = [tf_cpu.Conv2D(8, 3, padding="same", dilation_rate=2)(small),
             tf_cpu.Conv2D(8, 3, padding="same")(small),
             tf_cpu.Conv2D(32, 3, padding="same")(x),
             tf_cpu.Conv2D(64, 3, padding="same", strides=2)(x),
             tf_cpu.BatchNormalization()(x, training=True)]
        weight = keras.Variable(np.ones(3, "float32"))
        tf_cpu.Adam().apply([tf.ones(3)], [weight])
    del tape, y
    return ran


@only_tensorflow
def test_nothing_is_rewritten_where_tensorflow_sees_a_gpu(monkeypatch):
    expected = {"adam", "batch_norm", "conv_dilated", "conv_small_map"}
    if tf_cpu.onednn_enabled():
        expected |= {"conv_taps", "conv_strided"}
    assert set(_every_rewrite()) == expected  # the same layers on this CPU
    monkeypatch.setattr(tf_cpu, "tf_sees_a_gpu", lambda: True)
    assert _every_rewrite() == {}


@only_tensorflow
def test_switched_off_or_to_others_the_layers_are_keras_own():
    with tf_cpu.switched(False):
        assert _every_rewrite() == {}
    with tf_cpu.switched({"adam", "conv_small_map"}):
        assert set(_every_rewrite()) == {"adam", "conv_small_map"}


def _tiny(**settings) -> RunConfig:
    return RunConfig(**{"model": "zhang_fruits", "data": "synthetic-fruits", "image_size": 16,
                        "max_images": 16, "max_test_images": 8, "batch_size": 8, "epochs": 1,
                        "snapshot_images": 1, **settings})


@only_tensorflow
@pytest.mark.parametrize("how", ["on", "run_config", "environment", "gpu"])
def test_a_training_says_which_rewrites_trained_it(how, tmp_path, monkeypatch):
    """Through ``colorization.runs.train.train`` on the TensorFlow CPU: on, every kind of
    rewrite runs and status.json lists exactly those that ran; switched off for the run, for
    the process, or on a (simulated) GPU, none runs and the list is empty."""
    if how == "environment":
        monkeypatch.setenv(tf_cpu.ENV, "0")
    if how == "gpu":
        monkeypatch.setattr(tf_cpu, "tf_sees_a_gpu", lambda: True)
    with counting() as ran:
        run = train(_tiny(tf_cpu_rewrites=how != "run_config"), tmp_path / "run", verbose=0)
    status = json.loads((run.dir / "status.json").read_text())
    assert status["state"] == "finished" and status["backend"] == "tensorflow"
    if how == "on":
        assert {"adam", "batch_norm"} <= set(status["tf_cpu_rewrites"])
        assert set(status["tf_cpu_rewrites"]) & set(tf_cpu.CONV_RULES)
        assert sorted(ran) == status["tf_cpu_rewrites"]
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
                  "active": [n for n in tf_cpu.NAMES if tf_cpu.active(n)]}))
"""


def test_on_jax_a_training_runs_and_nothing_is_rewritten(tmp_path, run_on_backend):
    result = run_on_backend(_JAX_TRAIN, "jax", tmp_path / "run")
    assert result == {"backend": "jax", "state": "finished", "status": [], "used": {},
                      "active": []}


def _small_network():
    """Every rewrite (the tap-by-tap and strided convolutions under oneDNN) in a few layers,
    each convolution followed by a batch norm of well-spread values."""
    x = inputs = keras.Input((20, 20, 8))
    for filters, settings in [(64, {}), (64, {}), (64, {"strides": 2}), (32, {}),
                              (16, {"dilation_rate": 2})]:
        x = tf_cpu.Conv2D(filters, 3, padding="same", **settings)(x)
        x = tf_cpu.BatchNormalization(**NORM)(x)
        x = keras.layers.Activation("relu")(x)
    return keras.Model(inputs, tf_cpu.Conv2D(2, 1)(x))


@only_tensorflow
def test_with_and_without_the_rewrites_a_network_trains_the_same():
    """The same function: from the same seed and batch, the same losses step after step.
    (A network of the project at a tiny image size would not do: on 2x2 maps its batch norms
    see near-constant channels, where float32 rounding, Keras' as much as the fused kernel's,
    is amplified and Adam's first steps turn it into visibly different weights.)"""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 20, 20, 8)).astype("float32")
    y = rng.normal(size=(8, 10, 10, 2)).astype("float32")
    losses, ran = [], []
    for on in (True, False):
        keras.utils.set_random_seed(0)
        model = _small_network()
        model.compile(optimizer=tf_cpu.Adam(1e-3), loss="mse")
        with counting() as counted, tf_cpu.switched(on):
            losses.append([float(model.train_on_batch(x, y)) for _ in range(5)])
        ran.append(set(counted))
    expected = {"adam", "batch_norm", "conv_dilated", "conv_small_map"}
    if tf_cpu.onednn_enabled():
        expected |= {"conv_taps", "conv_strided"}
    assert ran == [expected, set()]
    assert losses[0][-1] < 0.8 * losses[0][0]  # it did train
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
