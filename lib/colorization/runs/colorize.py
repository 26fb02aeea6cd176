"""Colourise a user's own photos, of any size, into a folder of PNG files.

The network sees each image at its input size; its ab is resized back to the full resolution
and joined with the full-resolution L, so every detail of the input's luminance is kept.
Inputs are never overwritten and outputs never read back as inputs; a bad file is reported
(once) and skipped, the others are still written. File names in the log are shown escaped
(:func:`shown`) when they hold a line break or another control character, so no name can
write a line of its own.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import cv2
import numpy as np

from colorization.core import color, fileio
from colorization.data import images
from colorization.nets.colorizer import Colorizer, weights_are_finite
from colorization.nets.registry import load_colorizer

MAX_COLORIZE_PIXELS = 100_000_000
"""Largest image :func:`colorize_files` accepts (100 megapixels, about 1.5 GB of memory);
Pillow's own limit (``PIL.Image.MAX_IMAGE_PIXELS``, about 89 megapixels) applies first."""

BYTES_PER_PIXEL = 24
"""Peak memory of colourising one image, per pixel, beyond the network (measured: about 24 for the
24-megapixel JPEG: the decoded input, the output and the PNG being encoded)."""

BAND_PIXELS = 1 << 18  # pixels of the full-resolution image converted to Lab at a time

_OUTPUT_NAME = re.compile(r".+_color(_\d+)?\.png$", re.IGNORECASE)


def shown(path) -> str:
    """``path`` (or a message) as text for one log line: as it is when every character is
    printable, else quoted with escapes (``repr``: a line break shows as ``\\n``)."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _linear_weights(n_out: int, n_in: int):
    """Source indices and weights of a bilinear resize from ``n_in`` to ``n_out`` samples
    (pixel centres aligned, as ``cv2.INTER_LINEAR``)."""
    pos = np.clip((np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5,
                  0, n_in - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def colorize_image(colorizer: Colorizer, rgb: np.ndarray) -> np.ndarray:
    """Colourise one uint8 RGB image of any size; returns uint8 RGB of the same size.

    The network sees the image resized to its input size; its ab is resized back to the
    full resolution and joined with the full-resolution L (the reference implementation's
    post-processing), so every detail of the input's luminance is kept.

    Memory: the network runs at its input size; the full-resolution Lab maths runs in bands
    of about :data:`BAND_PIXELS` pixels, so the peak beyond the network is the input and
    output (uint8, 6 bytes a pixel) plus a band. ``ValueError`` when the model predicts
    non-finite ab (a diverged model: no image is made from it).
    """
    h, w = rgb.shape[:2]
    mh, mw = colorizer.image_shape
    interp = cv2.INTER_AREA if h * w > mh * mw else cv2.INTER_CUBIC
    small = cv2.resize(rgb, (mw, mh), interpolation=interp)
    ab = np.asarray(colorizer.predict(small[None])[0], dtype=np.float32)
    if not np.isfinite(ab).all():
        raise ValueError("the model predicts NaN or infinite colours: its training diverged. "
                         "Train it again with a lower learning rate (--learning-rate)")
    x_lo, x_hi, fx = _linear_weights(w, mw)
    y_lo_all, y_hi_all, fy_all = _linear_weights(h, mh)
    fx = fx[None, :, None]
    out = np.empty((h, w, 3), np.uint8)
    band_rows = max(1, BAND_PIXELS // w)
    for top in range(0, h, band_rows):
        bottom = min(h, top + band_rows)
        y_lo, y_hi = y_lo_all[top:bottom], y_hi_all[top:bottom]
        fy = fy_all[top:bottom, None, None]
        rows = ab[y_lo] * (1 - fy) + ab[y_hi] * fy  # (band, mw, 2)
        band_ab = rows[:, x_lo] * (1 - fx) + rows[:, x_hi] * fx  # (band, w, 2)
        lightness = color.to_numpy(color.rgb_uint8_to_lab(rgb[top:bottom]))[..., :1]
        band = color.recolor(lightness, band_ab)
        out[top:bottom] = np.clip(np.round(band * 255.0), 0, 255).astype(np.uint8)
    return out


def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or ``None``."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _check_size(path: Path) -> None:
    """``ImageError`` for an image too large to colourise, read from its header only."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            w, h = im.size
    except Exception:  # noqa: BLE001 - read_image reports unreadable files with a reason
        return
    if w * h > MAX_COLORIZE_PIXELS:
        raise images.ImageError(
            f"image too large to colourise ({w}x{h}, {w * h / 1e6:.0f} megapixels; the limit "
            f"is {MAX_COLORIZE_PIXELS / 1e6:.0f}): resize it first")
    need, free = w * h * BYTES_PER_PIXEL, _available_memory()
    if free is not None and need > free:
        raise images.ImageError(
            f"not enough memory to colourise this image ({w}x{h} needs about "
            f"{need / 2**30:.1f} GiB, {free / 2**30:.1f} GiB available): resize it first")


def _file_kind(path: Path) -> str | None:
    """``None`` for a regular file (after symbolic links), else what it is."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # read_image reports it
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def colorize_files(inputs, out_dir, *, run_dir=None, model_path=None, log=print,
                   overwrite: bool = False) -> dict:
    """Colourise image files and folders into ``out_dir`` as ``<name>_color.png``.

    Inputs are never overwritten, and outputs are never read back as inputs: files of input
    folders named like results (``*_color.png``, ``*_color_N.png``) and the output folder
    inside an input folder are skipped, so running twice (even with ``out_dir`` equal to an
    input folder) does not colourise the outputs. An existing result is kept unless
    ``overwrite``; inputs that are not regular files (named pipes, devices, sockets) are
    reported and never opened. Each result is written to a hidden temporary name and
    renamed, so an interrupted run leaves only complete images. Returns
    ``{"written": [...], "failed": [(path, reason)], "ignored": [...], "kept": [...]}``: a
    bad file is reported and skipped, the rest are still written; ``ignored`` lists the files
    of input folders that are not images (by extension) or are earlier results; ``kept`` the
    results that existed already. ``log`` gets one line for each result written or kept
    and one (``error: PATH: reason``) for each failure. Raises ``FileNotFoundError`` /
    ``ValueError`` for a
    missing or unusable model (one whose weights are NaN included) and ``PermissionError``
    for an output folder that cannot be written.
    """
    colorizer = _usable_model(run_dir, model_path)
    out_dir = _writable_folder(out_dir)
    files, failed, ignored = _list_inputs(inputs, out_dir.resolve(), log)
    for path, problem in failed:
        log(f"error: {shown(path)}: {shown(problem)}")
    written, kept = [], []
    for src, target in _targets(files, out_dir):
        if target.is_file() and not overwrite:
            kept.append(str(target))
            log(f"kept {shown(target)}: it exists (add --overwrite to replace it)")
            continue
        problem = _colorize_one(colorizer, src, target)
        if problem:
            failed.append((str(src), problem))
            log(f"error: {shown(src)}: {shown(problem)}")
        else:
            written.append(str(target))
            log(f"wrote {shown(target)}")
    return {"written": written, "failed": failed, "ignored": ignored, "kept": kept}


def _usable_model(run_dir, model_path) -> Colorizer:
    """The colorizer of ``run_dir`` or ``model_path`` (exactly one), refused when missing,
    not a colorizer, or diverged (NaN weights)."""
    if (run_dir is None) == (model_path is None):
        raise ValueError("give exactly one of run_dir or model_path")
    path = Path(model_path) if model_path else Path(run_dir) / "model.keras"
    if not path.exists():
        raise FileNotFoundError(f"no model at {path}" + ("" if model_path else
                                " (is the run finished? train it first)"))
    colorizer = load_colorizer(path)
    if not weights_are_finite(colorizer):
        raise ValueError(f"{path} holds weights that are NaN or infinite (its training "
                         "diverged); no image is made from it. Train again with a lower "
                         "learning rate (--learning-rate)")
    return colorizer


def _writable_folder(out_dir) -> Path:
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PermissionError(f"cannot create output folder {out_dir}: "
                              f"{exc.strerror or exc}") from None
    if not os.access(out_dir, os.W_OK):
        raise PermissionError(f"cannot write to output folder {out_dir}")
    return out_dir


def _list_inputs(inputs, out_resolved: Path, log):
    """``(image files, [(path, reason)] failed, [ignored paths])`` of the inputs: files as
    given, folders searched (their results of earlier runs and the output folder inside them
    left out, files that are not images by extension ignored and named)."""
    files, failed, ignored = [], [], []
    for item in map(Path, inputs):
        if item.is_dir():
            found, bad, skipped = _folder_inputs(item, out_resolved, log)
            files.extend(found)
            failed.extend(bad)
            ignored.extend(skipped)
        elif item.exists():
            kind = _file_kind(item)
            if kind is None:
                files.append(item)
            else:
                failed.append((str(item), f"{kind}, not an image file; skipped"))
        else:
            failed.append((str(item), "no such file or folder"))
    return files, failed, ignored


def _folder_inputs(item: Path, out_resolved: Path, log):
    # an output folder inside this input folder holds results, not inputs
    inner_out = out_resolved != item.resolve() and out_resolved.is_relative_to(item.resolve())

    def wanted(p):
        return not (inner_out and p.resolve().is_relative_to(out_resolved))

    failed, ignored = [], []
    found = [p for p in images.find_images(item) if wanted(p)]
    results = [p for p in found if _OUTPUT_NAME.match(p.name)]
    if results:
        found = [p for p in found if not _OUTPUT_NAME.match(p.name)]
        ignored.extend(str(p) for p in results)
        log(f"ignored {len(results)} file(s) in {shown(item)} named like results of colorize "
            f"(e.g. {shown(results[0].name)}); name them as inputs to colourise")
    odd = [p for p in item.rglob("*") if not p.is_dir() and not p.is_file() and wanted(p)
           and _file_kind(p) is not None]
    for p in sorted(odd):
        failed.append((str(p), f"{_file_kind(p)}, not an image file; skipped"))
    others = [p for p in item.rglob("*") if p.is_file() and p.suffix.lower() not in
              images.IMAGE_EXTENSIONS and wanted(p)
              and not any(part.startswith(".") for part in p.relative_to(item).parts)]
    if others:
        ignored.extend(str(p) for p in sorted(others))
        log(f"ignored {len(others)} file(s) in {shown(item)} that are not images by their "
            f"extension, e.g. {shown(others[0].name)}")
    if not found:
        failed.append((str(item), "folder holds no images"))
    return found, failed, ignored


def _targets(files: list[Path], out_dir: Path):
    """``(source, output path)``: ``<name>_color.png``, numbered when two inputs share a name;
    never an input's own path."""
    sources = {p.resolve() for p in files}
    used = set()
    for src in files:
        target = None
        for k in range(10_000):
            candidate = out_dir / f"{src.stem}_color{'' if k == 0 else f'_{k}'}.png"
            if candidate.resolve() not in sources and candidate not in used:
                target = candidate
                break
        used.add(target)
        yield src, target


def _colorize_one(colorizer: Colorizer, src: Path, target: Path) -> str | None:
    """Colourise ``src`` into ``target`` (written whole, atomically); ``None`` when done, else
    the reason it was skipped."""
    kind = _file_kind(src)
    if kind is not None:  # replaced by a pipe or a device since it was listed
        return f"{kind}, not an image file; skipped"
    try:
        _check_size(src)
        rgb = images.read_image(src)
        result = colorize_image(colorizer, rgb)
        del rgb
    except images.ImageError as exc:
        return str(exc)
    except MemoryError:
        return "not enough memory to colourise an image this large; resize it first"
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the others
        return f"could not colourise ({type(exc).__name__}: {exc})"
    try:
        cv2.cvtColor(result, cv2.COLOR_RGB2BGR, dst=result)  # in place: no copy
        ok, encoded = cv2.imencode(".png", result)
        del result
        if ok:
            with fileio.atomic_write(target, "wb") as f:
                f.write(memoryview(encoded))
    except (OSError, cv2.error) as exc:
        return f"could not write {shown(target)} ({exc})"
    return None if ok else f"could not write {shown(target)}"
