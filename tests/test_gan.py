"""The GAN colorizer: PatchGAN shapes, a custom train_step per backend, safe-mode reload."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from colorization.core import color
from colorization.nets import gan
from colorization.nets.registry import build_colorizer, load_colorizer
from colorization.runs.config import RunConfig
from colorization.runs.train import train

TINY = {"data": "synthetic-fruits", "loss": "adversarial_l1", "image_size": 32,
        "max_images": 48, "max_test_images": 8, "batch_size": 16, "learning_rate": 2e-4,
        "snapshot_epochs": [1], "snapshot_images": 2}


def test_patchgan_gives_one_logit_per_patch():
    disc = gan.build_discriminator((32, 40, 3))
    out = color.to_numpy(disc(np.zeros((2, 32, 40, 3), "float32")))
    assert out.shape == (2, 4, 5, 1) and out.dtype == np.float32


def test_bce_from_logits_is_stable_and_correct():
    logits = np.array([-50.0, -1.0, 0.0, 2.0, 50.0], "float32")
    for target in (0.0, 1.0):
        z = logits.astype(np.float64)
        # -log sigmoid(z) = log(1 + e^-z); -log(1 - sigmoid(z)) = log(1 + e^z)
        expected = np.mean(target * np.logaddexp(0, -z) + (1 - target) * np.logaddexp(0, z))
        got = float(color.to_numpy(gan._bce_logits(target, logits)))
        assert got == pytest.approx(expected, rel=1e-4)


def test_gan_trains_saves_and_reloads_in_safe_mode(tmp_path):
    run = train(RunConfig(model="gan", epochs=2, **TINY), tmp_path / "gan", verbose=0)
    history = run.history()
    assert len(history) == 2
    for row in history:
        for key in ("loss", "d_loss", "g_adv", "g_l1"):
            assert np.isfinite(row[key]), row
        assert row["loss"] == pytest.approx(row["g_adv"] + 100 * row["g_l1"], rel=1e-4)
    model = load_colorizer(run.dir / "model.keras")
    assert isinstance(model, gan.GANColorizer)
    fresh = build_colorizer("gan", image_size=32)
    # The discriminator is saved too: same shapes as a fresh one, trained values.
    pairs = list(zip(model.discriminator.get_weights(), fresh.discriminator.get_weights(),
                     strict=True))
    assert all(saved.shape == new.shape for saved, new in pairs)
    assert not all(np.allclose(saved, new) for saved, new in pairs)
    rgb = run.snapshot_inputs()["test"]
    ab = model.predict(rgb)
    assert ab.shape == (len(rgb), 32, 32, 2) and np.isfinite(ab).all()
    assert np.abs(ab).max() <= 128.0


def test_configure_uses_adam_with_beta1_one_half():
    model = build_colorizer("gan", image_size=32)
    model.configure(lambda: keras.optimizers.Adam(learning_rate=2e-4), loss="adversarial_l1")
    assert model.optimizer.beta_1 == 0.5
    assert float(model.optimizer.learning_rate) == pytest.approx(2e-4)


_BACKEND_TRAIN = """
import json, sys
import keras, numpy as np
from colorization.runs.config import RunConfig
from colorization.runs.train import train
cfg = RunConfig(model="gan", epochs=1, data="synthetic-fruits", image_size=16, max_images=32,
                max_test_images=4, batch_size=16, snapshot_images=2, snapshot_epochs=[1])
run = train(cfg, sys.argv[1], verbose=0)
ab = run.model().predict(run.snapshot_inputs()["test"])
rows = run.history()
print(json.dumps({"backend": keras.backend.backend(), "status": run.status["state"],
                  "shape": list(ab.shape), "finite": bool(np.isfinite(ab).all()),
                  "losses": [r[k] for r in rows for k in ("loss", "d_loss", "g_adv", "g_l1")]}))
"""


@pytest.mark.parametrize("backend", ["jax"])
def test_gan_train_step_on_other_backends(backend, tmp_path, run_on_backend):
    """The stateless JAX train_step (the GPU machine's backend). PyTorch's is exercised the
    same way by hand: it is slower to start and left out of the quick suite."""
    result = run_on_backend(_BACKEND_TRAIN, backend, tmp_path / backend)
    assert result["backend"] == backend and result["status"] == "finished"
    assert result["shape"] == [2, 16, 16, 2] and result["finite"]
    assert len(result["losses"]) == 4 and all(np.isfinite(result["losses"]))
