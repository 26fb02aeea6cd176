"""Evaluate colourisers on datasets and folders.

Metrics are those of :mod:`colorization.core.metrics`, always beside the gray baseline
(a = b = 0), so every number reads against "did nothing".
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from colorization.core import fileio, metrics
from colorization.data import datasets
from colorization.nets.colorizer import Colorizer
from colorization.runs.rundir import Run


def load_eval_images(data: str, *, split: str = "test", image_size: int = 100,
                     max_images: int | None = None, seed: int = 0) -> datasets.ImageSet:
    """The images to evaluate on (uint8 RGB, with their class labels).

    ``data`` is a dataset name or a folder. A folder with a ``test/`` subfolder is evaluated
    on it; a folder without one on every image it holds (unreadable files are skipped).
    """
    folder = Path(data)
    if folder.is_dir() and not (folder / split).is_dir():
        split = "all"
    found = datasets.load(data, split, image_size=image_size, max_images=max_images, seed=seed)
    if not len(found):
        raise ValueError(f"no readable images in {data}")
    return found


def evaluate_model(colorizer: Colorizer, rgb: np.ndarray, batch_size: int = 64,
                   labels: np.ndarray | None = None) -> dict:
    """Metrics of ``colorizer`` on uint8 RGB ``(N, H, W, 3)``, with ``*_gray`` baselines;
    with per-image class ``labels`` (-1 = unknown) also the per-class hue error."""
    if len(rgb) and colorizer.image_shape not in (tuple(rgb.shape[1:3]), (None, None)):
        mh, mw = colorizer.image_shape
        raise ValueError(f"the model was built for {mh}x{mw} images, not "
                         f"{rgb.shape[1]}x{rgb.shape[2]}: evaluate it on images of its own "
                         "size (the run's image size)")
    ab = colorizer.predict(rgb, batch_size=batch_size)
    return metrics.evaluate_with_baseline(rgb, ab, labels=labels)


def evaluate_run(run_dir, data: str | None = None, *, split: str = "test",
                 max_images: int | None = None, cache: bool = True) -> dict:
    """Metrics of a finished run on ``data`` (default: the run's own dataset).

    Results are cached in ``RUN_DIR/metrics/`` keyed by data, split and image count, so
    notebooks that compare runs do not predict again.
    """
    run = Run(run_dir)
    if not run.finished:
        raise ValueError(f"{run.dir} is not a finished run (no status.json saying so)")
    config = run.config
    data = data or config.data
    if Path(data).is_dir():  # a folder: its name, and a hash of where it is (names repeat)
        where = hashlib.sha1(str(Path(data).resolve()).encode()).hexdigest()[:8]
        data_key = f"{Path(data).name}-{where}"
    else:
        data_key = data
    key = f"{data_key}-{split}-{max_images or 'all'}"
    cache_path = run.dir / "metrics" / f"{key}.json"
    if cache and cache_path.exists():
        return json.loads(cache_path.read_text())
    # the same test images for every seed of an experiment (seed 0's subset), so that seeds
    # and experiments compare on the same images
    found = load_eval_images(data, split=split, image_size=config.image_size,
                             max_images=max_images, seed=0)
    result = evaluate_model(run.model(), found.images, labels=found.labels)
    result.update({"data": data, "dataset": found.dataset, "kind": found.kind, "split": split,
                   "model": config.model, "loss": config.loss, "seed": config.seed})
    cache_path.parent.mkdir(exist_ok=True)
    fileio.write_json(cache_path, result)
    return result
