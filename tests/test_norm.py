"""colorization.norm.BatchNormalization: Keras' batch norm, fused on TensorFlow's CPU path."""

import keras
import numpy as np
import pytest

from colorization import norm

SETTINGS = {"momentum": 0.9, "epsilon": 1e-5}  # the Zhang networks'


def _pair(**settings):
    ours = norm.BatchNormalization(**{**SETTINGS, **settings})
    reference = keras.layers.BatchNormalization(**{**SETTINGS, **settings})
    rng = np.random.default_rng(0)
    for layer in (ours, reference):
        layer.build((None, 5, 6, 3))
        if layer.scale:
            layer.gamma.assign(rng.uniform(0.5, 2.0, 3).astype("float32"))
        if layer.center:
            layer.beta.assign(rng.normal(size=3).astype("float32"))
        rng = np.random.default_rng(0)  # the same weights for both
    return ours, reference


def _batch(seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(4, 5, 6, 3)) * [1.0, 3.0, 0.2] + [0.0, 2.0, -1.0]).astype("float32")


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the TensorFlow path")
def test_fused_path_is_taken_on_a_cpu():
    ours, _ = _pair()
    assert ours._tf_cpu_fused(keras.ops.zeros((2, 4, 4, 3)))
    assert not ours._tf_cpu_fused(keras.ops.zeros((2, 3)))


@pytest.mark.parametrize("settings", [{}, {"center": False}, {"scale": False}])
def test_same_outputs_gradients_and_moving_statistics_as_keras(settings):
    import tensorflow as tf

    ours, reference = _pair(**settings)
    upstream = tf.constant(np.random.default_rng(9).normal(size=(4, 5, 6, 3)).astype("float32"))
    results = []
    for layer in (ours, reference):
        for seed in (1, 2):  # two training steps: the moving statistics move twice
            x = tf.constant(_batch(seed))
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x, training=True)
                loss = tf.reduce_sum(y * upstream)
            grads = tape.gradient(loss, [x, *layer.trainable_weights])
        results.append([y.numpy(), *(g.numpy() for g in grads),
                        layer.moving_mean.numpy(), layer.moving_variance.numpy(),
                        layer(x, training=False).numpy()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # the statistics did move away from their start (zeros and ones)
    assert np.abs(results[0][-3]).max() > 0.1 and np.abs(results[0][-2] - 1).max() > 0.5


def test_saved_and_loaded_in_a_model(tmp_path):
    inputs = keras.Input((5, 6, 3))
    model = keras.Model(inputs, norm.BatchNormalization(**SETTINGS)(inputs))
    model(_batch(1), training=True)
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert type(again.layers[-1]) is norm.BatchNormalization
    np.testing.assert_allclose(again(_batch(2)), model(_batch(2)), rtol=1e-6)
