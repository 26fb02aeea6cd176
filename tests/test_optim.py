"""colorization.optim.Adam: the same steps as keras.optimizers.Adam, fused on TensorFlow."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from colorization import optim
from colorization.runs import RunConfig
from colorization.train import make_optimizer


def _steps(cls, n_steps=6, **settings):
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
    ours, steps = _steps(optim.Adam, **settings)
    reference, _ = _steps(keras.optimizers.Adam, **settings)
    start, _ = _steps(optim.Adam, n_steps=0, **settings)
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
    assert type(make_optimizer(RunConfig(model=model), 10)) is optim.Adam
    sgd = make_optimizer(RunConfig(model=model, optimizer="sgd", learning_rate=0.1), 10)
    assert type(sgd) is keras.optimizers.SGD and float(sgd.learning_rate) == pytest.approx(0.1)
    cosine = make_optimizer(RunConfig(model=model, lr_schedule="cosine", epochs=2), 5)
    assert cosine.get_config()["learning_rate"]["class_name"] == "CosineDecay"


def test_saved_and_loaded_by_name():
    opt = optim.Adam(learning_rate=0.003, beta_1=0.5)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(again) is optim.Adam and again.get_config() == opt.get_config()


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's strategies")
def test_same_weights_as_keras_adam_under_a_mirrored_strategy():
    """In a strategy's update call each replica's copy is updated through its own handle."""
    script = """
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from colorization import optim
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
rng = np.random.default_rng(1)
x = rng.normal(size=(8, 6)).astype("float32"); y = rng.normal(size=(8, 2)).astype("float32")
result = []
for cls in (optim.Adam, keras.optimizers.Adam):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(2)])
        model.compile(optimizer=cls(0.01), loss="mse")
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    result.append([w.numpy() for w in model.weights])
assert all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(*result, strict=True)), "differ"
assert all(np.abs(a).max() > 0 for a in result[0])
print("same")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("same")
