"""Zhang's classification colorizer: logits in training, annealed-mean ab at inference."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from colorization.core import color, paths, quantize
from colorization.data import datasets
from colorization.nets import classification
from colorization.nets.registry import build_colorizer, load_colorizer
from colorization.runs.config import RunConfig
from colorization.runs.evaluate import evaluate_model
from colorization.runs.train import train


@pytest.fixture(scope="module")
def images():
    return datasets.load("synthetic-fruits", "test", image_size=24, max_images=4).images


def test_logits_in_training_and_annealed_mean_in_ab_units_at_inference(images):
    model = build_colorizer("zhang_classification", image_size=24)
    assert isinstance(model, classification.ClassificationColorizer)
    assert model.convention == "symmetric" and model.temperature == pytest.approx(0.38)
    logits = color.to_numpy(model(images, training=True))
    assert logits.shape == (4, 24, 24, quantize.n_bins())
    ab = model.predict(images)  # ab units: the convention never leaves the model
    assert ab.shape == (4, 24, 24, 2) and np.abs(ab).max() <= 128.0
    # Inference logits (BatchNorm on its moving statistics), decoded at T = 0.38.
    logits = color.to_numpy(model.network(model.lightness(images), training=False))
    expected = color.to_numpy(quantize.annealed_mean(logits, 0.38))
    np.testing.assert_allclose(ab, expected, atol=1e-3)
    np.testing.assert_allclose(color.to_numpy(model(images, training=False)), expected,
                               atol=1e-3)


def test_temperature_changes_the_compiled_prediction(images):
    model = build_colorizer("zhang_classification", image_size=24)
    model.network.get_layer("class_head").bias.assign(
        np.random.default_rng(0).normal(size=quantize.n_bins()).astype("float32") * 4)
    chroma = {}
    for t in (1.0, 0.05, 1.0):  # back to 1.0: the same as the first time
        model.temperature = t
        chroma.setdefault(t, []).append(np.abs(model.predict(images)).mean())
    assert chroma[0.05][0] > chroma[1.0][0]
    assert chroma[1.0][0] == pytest.approx(chroma[1.0][1], rel=1e-5)
    with pytest.raises(ValueError):
        model.temperature = 0.0


def test_loss_is_the_rebalanced_soft_cross_entropy(images):
    model = build_colorizer("zhang_classification", image_size=24)
    weights = np.linspace(0.5, 2.0, quantize.n_bins()).astype("float32")
    model.class_weights = weights
    logits = color.to_numpy(model(images, training=True))
    loss = float(color.to_numpy(model.compute_loss(x=images, y_pred=logits)))
    ab = color.to_numpy(color.rgb_uint8_to_lab(images))[..., 1:]
    target = color.to_numpy(quantize.soft_encode(ab))
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    expected = np.mean(weights[target.argmax(-1)] * -(target * log_probs).sum(-1))
    assert loss == pytest.approx(expected, rel=1e-4)


def test_learning_beats_the_gray_baseline_and_reloads(tmp_path, monkeypatch):
    """Short training on synthetic fruits: held-out ab error well below gray's; the run
    saves a model that reloads in safe mode with its temperature and bins.

    Rebalancing is switched off here (lambda = 1): on fruits on white, the prior's grey bin
    holds most pixels, so lambda = 0.5 weighs the background ~100x less than the fruit and a
    few epochs paint it in colour (ab error above gray's, chroma ratio ~2; see notebook 10).
    That is the method's documented bias, not a learning failure, so it is not tested here.
    """
    cfg = RunConfig(model="zhang_classification", data="synthetic-fruits", loss="rebalanced_ce",
                    image_size=32, max_images=480, max_test_images=64, batch_size=32,
                    epochs=4, learning_rate=3e-3, snapshot_epochs=[], snapshot_images=2,
                    rebalance_lambda=1.0)
    run = train(cfg, tmp_path / "cls", verbose=0)
    test = datasets.load("synthetic-fruits", "test", image_size=32, max_images=64)
    model = run.model()
    assert isinstance(model, classification.ClassificationColorizer)
    assert model.temperature == pytest.approx(0.38)
    # configure() computed the training set's prior once and cached it.
    assert list((paths.data_dir() / "priors").glob("synthetic-fruits-32px-480img-*.npy"))
    m = evaluate_model(model, test.images)
    assert m["ab_mae"] < 0.8 * m["ab_mae_gray"], m
    assert m["chroma_ratio"] > 0.3, m
    again = load_colorizer(run.dir / "model.keras")
    np.testing.assert_allclose(again.predict(test.images[:2]),
                               model.predict(test.images[:2]), atol=1e-4)
    assert keras.backend.backend() in run.status["backend"]
