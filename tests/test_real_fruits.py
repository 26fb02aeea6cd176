"""Checks on the real fruit photos shipped with the package (the Fruits-360 sample, 100x100
on white, ``train/`` + ``test/`` class folders)."""

import pytest

from colorization.data import datasets


def test_real_fruit_folder_loads_as_a_dataset():
    train = datasets.load(datasets.SAMPLES["fruits360-sample"][0], "train")
    test = datasets.load(datasets.SAMPLES["fruits360-sample"][0], "test")
    assert train.images.shape[1:] == (100, 100, 3) and len(train) == 800 and len(test) == 200
    assert len(train.class_names) == 8
    assert set(train.labels.tolist()) == set(range(len(train.class_names)))


@pytest.mark.slow
def test_cnn_learns_to_colour_real_fruit(tmp_path):
    """A few epochs on real fruit photos colour held-out real photos far better than gray: a
    network that learned nothing, or a broken target or normalisation, cannot pass."""
    from colorization.runs.config import RunConfig
    from colorization.runs.evaluate import evaluate_model
    from colorization.runs.train import train

    cfg = RunConfig(model="zhang_fruits", data="fruits360-sample", image_size=32,
                    max_images=800, max_test_images=64, batch_size=32, epochs=5,
                    learning_rate=3e-3, snapshot_epochs=[], snapshot_images=2)
    run = train(cfg, tmp_path / "real", verbose=0)
    test = datasets.load("fruits360-sample", "test", image_size=32, max_images=64)
    m = evaluate_model(run.model(), test.images)
    assert m["ab_mae"] < 0.6 * m["ab_mae_gray"], m
    assert m["psnr"] > m["psnr_gray"], m
    assert m["chroma_ratio"] > 0.6, m
