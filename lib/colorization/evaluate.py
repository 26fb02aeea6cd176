"""Evaluate colourisers on datasets and folders; colourise a user's own photos.

Metrics are those of :mod:`colorization.metrics`, always beside the gray baseline
(a = b = 0), so every number reads against "did nothing".
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import cv2
import numpy as np

from colorization import color, fileio, images, metrics
from colorization import data as datasets
from colorization.colorizer import Colorizer
from colorization.registry import load_colorizer
from colorization.runs import Run


def load_eval_images(data: str, *, split: str = "test", image_size: int = 100,
                     max_images: int | None = None, seed: int = 0) -> np.ndarray:
    """uint8 RGB images to evaluate on.

    ``data`` is a dataset name or a folder. A folder with a ``test/`` subfolder is evaluated
    on it; a folder without one on every image it holds (unreadable files are skipped).
    """
    folder = Path(data)
    if folder.is_dir() and not (folder / split).is_dir():
        split = "all"
    rgb = datasets.load(data, split, image_size=image_size, max_images=max_images,
                        seed=seed).images
    if not len(rgb):
        raise ValueError(f"no readable images in {data}")
    return rgb


def evaluate_model(colorizer: Colorizer, rgb: np.ndarray, batch_size: int = 64) -> dict:
    """Metrics of ``colorizer`` on uint8 RGB ``(N, H, W, 3)``, with ``*_gray`` baselines."""
    ab = colorizer.predict(rgb, batch_size=batch_size)
    return metrics.evaluate_with_baseline(rgb, ab)


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
    rgb = load_eval_images(data, split=split, image_size=config.image_size,
                           max_images=max_images, seed=config.seed)
    result = evaluate_model(run.model(), rgb)
    result.update({"data": data, "split": split, "model": config.model, "loss": config.loss})
    cache_path.parent.mkdir(exist_ok=True)
    fileio.write_json(cache_path, result)
    return result


def colorize_image(colorizer: Colorizer, rgb: np.ndarray) -> np.ndarray:
    """Colourise one uint8 RGB image of any size; returns uint8 RGB of the same size.

    The network sees the image resized to its input size; its ab is resized back to the
    full resolution and joined with the full-resolution L (the reference implementation's
    post-processing), so every detail of the input's luminance is kept.
    """
    h, w = rgb.shape[:2]
    mh, mw = colorizer.image_shape
    interp = cv2.INTER_AREA if h * w > mh * mw else cv2.INTER_CUBIC
    small = cv2.resize(rgb, (mw, mh), interpolation=interp)
    ab = colorizer.predict(small[None])[0]
    ab_full = cv2.resize(ab, (w, h), interpolation=cv2.INTER_LINEAR)
    lightness, _ = color.split_lab(color.rgb_uint8_to_lab(rgb))
    out = color.recolor(lightness, ab_full)
    return np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)


def colorize_files(inputs, out_dir, *, run_dir=None, model_path=None, log=print) -> dict:
    """Colourise image files and folders into ``out_dir`` as ``<name>_color.png``.

    Inputs are never overwritten, and when ``out_dir`` is a subfolder of an input folder its
    files are not taken as inputs (running twice does not colourise the outputs). Each result
    is written to a hidden temporary name and renamed, so an interrupted run leaves only
    complete images. Returns
    ``{"written": [...], "failed": [(path, reason)], "ignored": [...]}``: a bad file is reported
    and skipped, the rest are still written; ``ignored`` lists the files of input folders that
    are not images (by extension). Raises ``FileNotFoundError`` / ``ValueError`` for a missing
    or unusable model and ``PermissionError`` for an output folder that cannot be written.
    """
    if (run_dir is None) == (model_path is None):
        raise ValueError("give exactly one of run_dir or model_path")
    path = Path(model_path) if model_path else Path(run_dir) / "model.keras"
    if not path.exists():
        raise FileNotFoundError(f"no model at {path}" + ("" if model_path else
                                " (is the run finished? train it first)"))
    colorizer = load_colorizer(path)

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PermissionError(f"cannot create output folder {out_dir}: "
                              f"{exc.strerror or exc}") from None
    if not os.access(out_dir, os.W_OK):
        raise PermissionError(f"cannot write to output folder {out_dir}")
    out_resolved = out_dir.resolve()

    files, failed, ignored = [], [], []
    for item in map(Path, inputs):
        if item.is_dir():
            # an output folder inside this input folder holds results, not inputs
            inner_out = out_resolved != item.resolve() and out_resolved.is_relative_to(
                item.resolve())

            def wanted(p, inner_out=inner_out):
                return not (inner_out and p.resolve().is_relative_to(out_resolved))

            found = [p for p in images.find_images(item) if wanted(p)]
            others = [p for p in item.rglob("*") if p.is_file() and p.suffix.lower() not in
                      images.IMAGE_EXTENSIONS and wanted(p)
                      and not any(part.startswith(".") for part in p.relative_to(item).parts)]
            if others:
                ignored.extend(str(p) for p in sorted(others))
                log(f"ignored {len(others)} file(s) in {item} that are not images by their "
                    f"extension, e.g. {others[0].name}")
            if not found:
                failed.append((str(item), "folder holds no images"))
            files.extend(found)
        elif item.exists():
            files.append(item)
        else:
            failed.append((str(item), "no such file or folder"))

    sources = {p.resolve() for p in files}
    written, used = [], set()
    for src in files:
        stem, target = src.stem, None
        for k in range(10_000):
            candidate = out_dir / f"{stem}_color{'' if k == 0 else f'_{k}'}.png"
            if candidate.resolve() not in sources and candidate not in used:
                target = candidate
                break
        used.add(target)
        try:
            rgb = images.read_image(src)
            result = colorize_image(colorizer, rgb)
        except images.ImageError as exc:
            failed.append((str(src), str(exc)))
            log(f"skipped {src}: {exc}")
            continue
        except MemoryError:
            failed.append((str(src), "not enough memory to colourise an image this large; "
                                     "resize it first"))
            log(f"skipped {src}: {failed[-1][1]}")
            continue
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the others
            failed.append((str(src), f"could not colourise ({type(exc).__name__}: {exc})"))
            log(f"skipped {src}: {failed[-1][1]}")
            continue
        try:
            ok, encoded = cv2.imencode(".png", cv2.cvtColor(result, cv2.COLOR_RGB2BGR))
            if ok:
                fileio.write_bytes(target, encoded.tobytes())
        except (OSError, cv2.error) as exc:
            ok = False
            log(f"could not write {target}: {exc}")
        if not ok:
            failed.append((str(src), f"could not write {target}"))
            continue
        written.append(str(target))
        log(f"wrote {target}")
    return {"written": written, "failed": failed, "ignored": ignored}
