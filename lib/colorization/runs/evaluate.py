"""Evaluate colourisers on datasets and folders.

Metrics (:mod:`colorization.core.metrics`) always come beside the gray baseline (a = b = 0).
A metric is a finite number within :data:`METRIC_RANGES`, or ``None`` when it cannot be
computed (e.g. the hue error of images without colour).
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import numpy as np

from colorization.core import fileio, metrics
from colorization.data import datasets
from colorization.nets.colorizer import Colorizer
from colorization.runs.rundir import Run

# The range of each metric and of its ``_gray`` and ``_tint`` baselines
_DEGREES, _SHARE = (0.0, 180.0), (0.0, 1.0)
METRIC_RANGES = {
    "ab_mae": (0.0, math.inf), "delta_e": (0.0, math.inf), "psnr": (0.0, 100.0),
    "ssim": (-1.0, 1.0), "chroma_pred": (0.0, math.inf), "chroma_true": (0.0, math.inf),
    "colorfulness_pred": (0.0, math.inf), "colorfulness_true": (0.0, math.inf),
    "auc": (0.0, 100.0), "ciede2000": (0.0, math.inf), "hue_error": _DEGREES,
    "chroma_ratio": (0.0, math.inf), "colorfulness_diff": (-math.inf, math.inf),
    "spread_ratio": (0.0, math.inf), "gray_stain": _SHARE, "green_share": _SHARE,
    "green_share_true": _SHARE, "mean_a": (-128.0, 128.0),
    "class_hue_error": _DEGREES, "class_hue_error_max": _DEGREES, "n_images": (0.0, math.inf),
    "ab_error_under_128": _SHARE, "images_per_second": (0.0, math.inf),
}


def metric_problem(key: str, value) -> str | None:
    """Why ``value`` cannot be metric ``key``, or ``None`` (keys not metrics are not checked)."""
    low_high = METRIC_RANGES.get(key.removesuffix("_gray").removesuffix("_tint"))
    if low_high is None:
        return None
    return fileio.number_problem(value, *low_high, whole=key == "n_images")


def read_metrics(path, split: str | None = None,
                 todo: str = "delete it; `colorization evaluate` computes it again") -> dict:
    """A metrics file (:func:`evaluate_run`'s cache), of ``split`` when given, every metric
    checked; :class:`~colorization.core.fileio.DamagedFileError` names the file and ``todo``."""
    what = "a metrics cache"
    m = fileio.read_json(path, what, todo)
    for key, value in m.items():
        problem = value is not None and metric_problem(key, value)
        if problem:
            raise fileio.damaged(path, what, f"{key}: {problem}", todo)
    if split is not None and m.get("split") != split:
        raise fileio.damaged(path, what, f"split {m.get('split')!r}, not {split!r}", todo)
    return m


def load_eval_images(data: str, *, split: str = "test", image_size: int = 100,
                     max_images: int | None = None, seed: int = 0) -> datasets.ImageSet:
    """The images to evaluate on (uint8 RGB, with their class labels): ``data`` (a dataset
    name or a folder) and ``split`` as :func:`colorization.data.datasets.load` reads them
    (``"all"``: every image of a folder)."""
    found = datasets.load(data, split, image_size=image_size, max_images=max_images, seed=seed)
    if not len(found):
        raise ValueError(f"no readable images in {data}")
    return found


def train_mean_ab(run_dir) -> np.ndarray:
    """The mean ab ``(2,)`` of the images a run trained on (its mean-tint baseline), cached in
    ``RUN_DIR/metrics/train_mean_ab.json``."""
    run = Run(run_dir)
    path = run.dir / "metrics" / "train_mean_ab.json"
    if path.exists():
        try:
            stored = fileio.read_json(path, "a mean-tint cache", "it is computed again")
            tint = [stored.get("a"), stored.get("b")]
            if all(fileio.number_problem(v, -128.0, 128.0) is None for v in tint):
                return np.asarray(tint, np.float64)
        except fileio.DamagedFileError as err:
            print(f"note: {err}", file=sys.stderr)
    config = run.config
    found = datasets.load(config.data, "train", image_size=config.image_size,
                          max_images=config.max_images, seed=config.seed)
    tint = metrics.mean_ab(found.images)
    try:
        path.parent.mkdir(exist_ok=True)
        fileio.write_json(path, {"a": float(tint[0]), "b": float(tint[1]),
                                 "train_images": len(found)})
    except OSError as err:
        print(f"note: could not cache the mean tint in {path} ({err})", file=sys.stderr)
    return tint


def evaluate_model(colorizer: Colorizer, rgb: np.ndarray, batch_size: int = 64,
                   labels: np.ndarray | None = None, tint=None) -> dict:
    """Metrics of ``colorizer`` on uint8 RGB ``(N, H, W, 3)``, with ``*_gray`` baselines;
    with per-image class ``labels`` (-1 = unknown) also the per-class hue error."""
    if len(rgb) and colorizer.image_shape not in (tuple(rgb.shape[1:3]), (None, None)):
        mh, mw = colorizer.image_shape
        raise ValueError(f"the model was built for {mh}x{mw} images, not "
                         f"{rgb.shape[1]}x{rgb.shape[2]}: evaluate it on images of its own "
                         "size (the run's image size)")
    ab = colorizer.predict(rgb, batch_size=batch_size)
    return metrics.evaluate_with_baseline(rgb, ab, labels=labels, tint=tint)


def evaluate_run(run_dir, data: str | None = None, *, split: str = "test",
                 max_images: int | None = None, cache: bool = True) -> dict:
    """Metrics of a finished run on ``data`` (default: its own dataset) and ``split``.

    Results are cached in ``RUN_DIR/metrics/``, keyed by data, split and image count; a
    damaged cache is computed again and a read-only run evaluated without one (with a note).
    """
    run = Run(run_dir)
    if not run.finished:
        raise ValueError(f"{run.dir} is not a finished run (no status.json saying so)")
    config = run.config
    data = data or config.data
    if Path(data).is_dir():  # a folder: its name, and a hash of where it is (names repeat)
        where = hashlib.sha1(str(Path(data).resolve()).encode()).hexdigest()[:8]
        data_key = f"folder-{Path(data).name}-{where}"
    else:
        data_key = data
    key = f"{data_key}-{split}-{max_images or 'all'}"
    cache_path = run.dir / "metrics" / f"{key}.json"
    if cache and cache_path.exists():
        try:
            cached = read_metrics(cache_path, split, todo="the metrics are computed again")
            if "ciede2000_tint" in cached:  # older caches lack the mean-tint baseline
                return cached
        except fileio.DamagedFileError as err:
            print(f"note: {err}", file=sys.stderr)
    # seed 0's subset: every seed and experiment is measured on the same images
    found = load_eval_images(data, split=split, image_size=config.image_size,
                             max_images=max_images, seed=0)
    result = evaluate_model(run.model(), found.images, labels=found.labels,
                            tint=train_mean_ab(run.dir))
    result.update({"data": data, "dataset": found.dataset, "kind": found.kind, "split": split,
                   "model": config.model, "loss": config.loss, "seed": config.seed})
    result = fileio.finite_json(result)  # NaN: a metric that cannot be computed
    try:
        cache_path.parent.mkdir(exist_ok=True)
        fileio.write_json(cache_path, result)
    except OSError as err:
        print(f"note: could not cache the metrics in {cache_path} ({err}); they are "
              "computed again next time", file=sys.stderr)
    return result
