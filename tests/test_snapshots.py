"""Snapshot images are drawn across classes, even from data sorted one class after another."""

import numpy as np
from PIL import Image

from colorization.data import datasets
from colorization.runs.config import RunConfig
from colorization.runs.train import train

# One flat colour per class: the class of a snapshot image is read back from its colour.
COLOURS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (220, 220, 30), (220, 30, 220),
           (30, 220, 220)]


def _folder(root, per_class=6):
    for split in ("train", "test"):
        for k, rgb in enumerate(COLOURS):
            folder = root / split / f"class{k}"
            folder.mkdir(parents=True)
            for i in range(per_class if split == "train" else 3):
                px = np.full((40, 40, 3), rgb, np.uint8)
                px[:4, :4] = 255  # a white corner, so L varies
                Image.fromarray(px).save(folder / f"{i:02d}.png")
    return root


def _classes_of(images):
    means = images.reshape(len(images), -1, 3).mean(axis=1)
    return {int(np.argmin(np.linalg.norm(np.array(COLOURS) - m, axis=1))) for m in means}


def test_spread_indices_cover_sorted_classes():
    labels = np.repeat(np.arange(6), 50)  # sorted: every image of class 0 first
    idx = datasets.spread_indices(labels, 8, seed=0)
    assert len(idx) == 8 and len(set(idx.tolist())) == 8
    assert len(set(labels[idx].tolist())) == 6
    np.testing.assert_array_equal(idx, datasets.spread_indices(labels, 8, seed=0))  # seeded
    assert not np.array_equal(idx, datasets.spread_indices(labels, 8, seed=1))
    assert len(datasets.spread_indices(np.full(5, -1), 8)) == 5  # unlabelled, fewer than n
    assert len(datasets.spread_indices(np.zeros(0, int), 8)) == 0


def test_run_on_sorted_folder_snapshots_several_classes(tmp_path):
    root = _folder(tmp_path / "sorted")
    cfg = RunConfig(model="autoencoder_small", data=str(root), image_size=32, epochs=1,
                    batch_size=8, max_test_images=None, snapshot_images=8,
                    snapshot_epochs=[1])
    run = train(cfg, tmp_path / "run", verbose=0)
    inputs = run.snapshot_inputs()
    assert len(_classes_of(inputs["train"])) >= 4
    assert len(_classes_of(inputs["test"])) >= 4
