"""Checks on real fruit photos (Fruits-360 style, 100x100 on white), when a folder of them is
named by ``COLORIZATION_FRUITS_SAMPLE`` (a ``train/`` + ``test/`` folder of class folders).
Skipped cleanly without it: a fresh clone carries no real photos."""

import os
from pathlib import Path

import pytest

SAMPLE = os.environ.get("COLORIZATION_FRUITS_SAMPLE")
pytestmark = pytest.mark.skipif(
    not SAMPLE or not Path(SAMPLE, "train").is_dir(),
    reason="COLORIZATION_FRUITS_SAMPLE is not set to a folder with train/ and test/",
)


def test_real_fruit_folder_loads_as_a_dataset():
    from colorization import data

    train = data.load(SAMPLE, "train")
    test = data.load(SAMPLE, "test")
    assert train.images.shape[1:] == (100, 100, 3) and len(train) > 0 and len(test) > 0
    assert len(train.class_names) >= 2
    assert set(train.labels.tolist()) <= set(range(len(train.class_names)))


@pytest.mark.slow
def test_cnn_learns_to_colour_real_fruit(tmp_path):
    """A few epochs on real fruit photos colour held-out real photos far better than gray."""
    from colorization import data
    from colorization.evaluate import evaluate_model
    from colorization.train import RunConfig, train

    cfg = RunConfig(model="zhang_fruits", data=SAMPLE, image_size=64, max_images=800,
                    max_test_images=100, batch_size=32, epochs=4, learning_rate=3e-3,
                    snapshot_epochs=[], snapshot_images=2)
    run = train(cfg, tmp_path / "real", verbose=0)
    test = data.load(SAMPLE, "test", image_size=64, max_images=100)
    m = evaluate_model(run.model(), test.images)
    assert m["ab_mae"] < 0.6 * m["ab_mae_gray"], m
    assert m["chroma_ratio"] > 0.6, m
