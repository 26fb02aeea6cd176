"""Model builders: parameter budgets, output shapes at sizes stride 8 does not divide, ranges."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from colorization.nets import models, registry

# (target trainable parameters, relative tolerance), from MISSION.md and the paper.
PARAM_TARGETS = {
    "zhang_full": (32_200_000, 0.03),
    "zhang_fruits": (1_000_000, 0.15),
    "zhang_animals": (3_500_000, 0.15),
    "autoencoder": (6_252_002, 0.05),
    "autoencoder_small": (1_000_000, 0.15),
    # Beyond the paper (no paper figure): our own sizes, CPU-trainable.
    "zhang_classification": (978_917, 0.02),  # zhang_fruits' trunk + 1x1 conv to Q = 261
    "gan": (6_231_732, 0.02),  # the U-Net generator (the discriminator is separate)
}
RANGES = {"unit": (0.0, 1.0), "symmetric": (-1.0, 1.0)}


@functools.cache
def built(name: str):
    """Each model built once per session at 100x100 (zhang_full takes about a second)."""
    return registry.build_model(name)


def _random_l(shape, convention, seed=0):
    low, high = RANGES[convention]
    return np.random.default_rng(seed).uniform(low, high, shape).astype("float32")


def test_names_and_tables_agree():
    assert set(registry.PAPER_PARAMS) == set(registry.MODEL_NAMES) == set(PARAM_TARGETS)


@pytest.mark.parametrize("name", registry.MODEL_NAMES)
def test_trainable_parameters_within_target(name):
    target, tolerance = PARAM_TARGETS[name]
    n_params = models.count_trainable(built(name))
    assert abs(n_params - target) <= tolerance * target, (name, n_params)


def test_autoencoder_is_the_keras_beta_network_exactly():
    model = built("autoencoder")
    assert models.count_trainable(model) == model.count_params() == 6_252_002
    convs = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert len(convs) == 13
    assert not any("Normalization" in layer.__class__.__name__ for layer in model.layers)


def test_zhang_full_matches_official_count_with_a_two_channel_head():
    # Official conv weights + biases: 32,230,393 with the 1x1 conv to 313 classes
    # (256*313 + 313 = 80,441); ours has a 1x1 conv to 2 (514) plus BatchNorm gamma/beta
    # (2 * (64 + 128 + 256 + 4 * 512) = 4,992).
    assert models.count_trainable(built("zhang_full")) == 32_230_393 - 80_441 + 514 + 4_992


@pytest.mark.parametrize("name", registry.MODEL_NAMES)
def test_output_shape_and_range_at_100(name):
    conv = registry.convention(name)
    model = built(name)
    out = np.asarray(model(_random_l((2, 100, 100, 1), conv)))
    assert out.dtype == np.float32
    if name == "zhang_classification":  # logits over the ab bins, unbounded
        from colorization.core import quantize

        assert out.shape == (2, 100, 100, quantize.n_bins())
        return
    assert out.shape == (2, 100, 100, 2)
    low, high = RANGES[conv]
    assert out.min() >= low and out.max() <= high


@pytest.mark.parametrize("name", ["zhang_fruits", "autoencoder_small", "gan"])
@pytest.mark.parametrize("size", [(64, 64), (72, 88), (37, 51)])
def test_other_sizes_static_and_dynamic(name, size):
    conv = registry.convention(name)
    x = _random_l((1, *size, 1), conv)
    static = registry.build_model(name, input_shape=(*size, 1))
    assert tuple(static.output.shape) == (None, *size, 2)
    assert np.asarray(static(x)).shape == (1, *size, 2)
    dynamic = registry.build_model(name, input_shape=(None, None, 1))
    dynamic.set_weights(static.get_weights())  # weights do not depend on the size
    np.testing.assert_allclose(np.asarray(dynamic(x)), np.asarray(static(x)), atol=1e-6)


def test_conventions():
    assert [registry.convention(n) for n in registry.MODEL_NAMES] == [
        "unit",
        "unit",
        "unit",
        "symmetric",
        "symmetric",
        "symmetric",
        "symmetric",
    ]


def test_unknown_name_lists_names():
    with pytest.raises(ValueError, match="zhang_fruits") as info:
        registry.build_model("unet")
    for name in registry.MODEL_NAMES:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="autoencoder_small"):
        registry.convention("unet")


def test_reflect_padding_and_crop_are_inverse():
    x = np.arange(2 * 5 * 6 * 1, dtype="float32").reshape(2, 5, 6, 1)
    padded = np.asarray(models.PadToMultiple(8)(x))
    np.testing.assert_array_equal(
        padded, np.pad(x, [(0, 0), (1, 2), (1, 1), (0, 0)], mode="reflect")
    )
    np.testing.assert_array_equal(np.asarray(models.CropToMatch()([padded, x])), x)


def test_last_layer_is_float32_activation_under_mixed_precision():
    import keras

    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = registry.build_model("autoencoder_small", input_shape=(32, 32, 1))
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert model.layers[-1].__class__.__name__ == "Activation"
    assert model.layers[-1].dtype_policy.compute_dtype == "float32"
    assert np.asarray(model(np.zeros((1, 32, 32, 1), "float32"))).dtype == np.float32


def test_saved_model_round_trip(tmp_path):
    import keras

    model = registry.build_model("autoencoder_small", input_shape=(None, None, 1))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = _random_l((1, 20, 28, 1), "symmetric")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


_BACKEND_SCRIPT = """
import numpy as np
from keras import ops
from colorization.nets import registry
for name in ("zhang_fruits", "autoencoder_small"):
    model = registry.build_model(name)
    out = ops.convert_to_numpy(model(np.full((1, 100, 100, 1), 0.5, "float32")))
    assert out.shape == (1, 100, 100, 2), out.shape
print("ok")
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backends(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", _BACKEND_SCRIPT],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ok" in result.stdout


@pytest.mark.parametrize("name", ["zhang_fruits", "autoencoder_small"])
def test_predict_returns_ab_units_whatever_the_convention(name):
    from colorization.core import color

    model = registry.build_colorizer(name, image_size=16)
    rgb = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    ab = model.predict(rgb, batch_size=2)
    normalised = color.to_numpy(model(rgb, training=False))
    expected = color.to_numpy(color.denormalize_ab(normalised, registry.convention(name)))
    np.testing.assert_allclose(ab, expected, atol=1e-4)
    assert ab.dtype == np.float32 and np.abs(ab).max() <= 128.0


def test_every_registry_row_builds_its_trainer_class():
    for name, row in registry.MODELS.items():
        assert row.losses and row.convention in ("unit", "symmetric"), name
    with pytest.raises(ValueError, match="trains with one of"):
        registry.check_loss("gan", "mse")
    with pytest.raises(ValueError, match="unknown model"):
        registry.spec("unet")
