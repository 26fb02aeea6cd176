"""Colourise a user's own photos, of any size, into a folder of PNG files.

Inputs are never overwritten and outputs never read back as inputs; a bad file is reported
(once) and skipped, the others are still written. File names in the log are escaped
(:func:`shown`) when they hold a control character, so no name can write a line of its own.
"""

from __future__ import annotations

import itertools
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

MAX_COLORIZE_PIXELS = 100_000_000  # the largest image accepted (Pillow's own limit applies)
BYTES_PER_PIXEL = 24  # peak memory of colourising one image, per pixel, beyond the network
BAND_PIXELS = 1 << 18  # pixels of the full-resolution image converted to Lab at a time

_OUTPUT_NAME = re.compile(r".+_color(_\d+)?\.png$", re.IGNORECASE)


def shown(path) -> str:
    """``path`` (or a message) as text for one log line: quoted with escapes (``repr``) when
    a character is not printable."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def colorize_image(colorizer: Colorizer, rgb: np.ndarray) -> np.ndarray:
    """Colourise one uint8 RGB image of any size; returns uint8 RGB of the same size.

    The network sees the image at its input size; its ab is resized back (bilinear) and joined
    with the full-resolution L, converted in bands of :data:`BAND_PIXELS` pixels to bound the
    memory. ``ValueError`` when the model predicts non-finite ab (a diverged model).
    """
    h, w = rgb.shape[:2]
    mh, mw = colorizer.image_shape
    interp = cv2.INTER_AREA if h * w > mh * mw else cv2.INTER_CUBIC
    small = cv2.resize(rgb, (mw, mh), interpolation=interp)
    ab = np.asarray(colorizer.predict(small[None])[0], dtype=np.float32)
    if not np.isfinite(ab).all():
        raise ValueError("the model predicts NaN or infinite colours: its training diverged. "
                         "Train it again with a lower learning rate (--learning-rate)")
    ab = cv2.resize(ab, (w, h), interpolation=cv2.INTER_LINEAR)
    out = np.empty((h, w, 3), np.uint8)
    band_rows = max(1, BAND_PIXELS // w)
    for top in range(0, h, band_rows):
        rows = slice(top, top + band_rows)
        lightness = color.to_numpy(color.rgb_uint8_to_lab(rgb[rows]))[..., :1]
        band = color.recolor(lightness, ab[rows])
        out[rows] = np.clip(np.round(band * 255.0), 0, 255).astype(np.uint8)
    return out


def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or ``None``."""
    try:
        return int(re.search(r"MemAvailable:\s+(\d+)", Path("/proc/meminfo").read_text())[1]) * 1024
    except (OSError, TypeError):
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


_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe (FIFO)",
          stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _file_kind(path: Path) -> str | None:
    """``None`` for a regular file (after symbolic links), else what it is."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # read_image reports it
    return None if stat.S_ISREG(mode) else _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def colorize_files(inputs, out_dir, *, run_dir=None, model_path=None, log=print,
                   overwrite: bool = False) -> dict:
    """Colourise image files and folders into ``out_dir`` as ``<name>_color.png``.

    Files of input folders named like results (``*_color.png``, ``*_color_N.png``) and an
    output folder inside an input folder are skipped, so a second run never colourises the
    outputs; an existing result is kept unless ``overwrite``; inputs that are not regular
    files are reported and never opened; results are written atomically. Returns
    ``{"written", "failed": [(path, reason)], "ignored", "kept"}``; ``log`` gets a line for
    each result and each failure. ``FileNotFoundError`` / ``ValueError`` for a missing or
    unusable model, ``PermissionError`` for an output folder that cannot be written.
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
    """``(image files, [(path, reason)] failed, [ignored paths])`` of the inputs."""
    files, failed, ignored = [], [], []
    for item in map(Path, inputs):
        if item.is_dir():
            files += _folder_inputs(item, out_resolved, log, failed, ignored)
        elif not item.exists():
            failed.append((str(item), "no such file or folder"))
        elif kind := _file_kind(item):
            failed.append((str(item), f"{kind}, not an image file; skipped"))
        else:
            files.append(item)
    return files, failed, ignored


def _folder_inputs(item: Path, out_resolved: Path, log, failed: list, ignored: list):
    """The images of folder ``item``, without earlier results and an output folder inside it;
    files that are not images are added to ``ignored``, those not regular to ``failed``."""
    inner_out = out_resolved != item.resolve() and out_resolved.is_relative_to(item.resolve())

    def wanted(p):
        return not (inner_out and p.resolve().is_relative_to(out_resolved))

    found = [p for p in images.find_images(item) if wanted(p)]
    results = [p for p in found if _OUTPUT_NAME.match(p.name)]
    if results:
        found = [p for p in found if not _OUTPUT_NAME.match(p.name)]
        ignored.extend(str(p) for p in results)
        log(f"ignored {len(results)} file(s) in {shown(item)} named like results of colorize "
            f"(e.g. {shown(results[0].name)}); name them as inputs to colourise")
    for p in sorted(item.rglob("*")):
        if not p.is_dir() and wanted(p) and (kind := _file_kind(p)):
            failed.append((str(p), f"{kind}, not an image file; skipped"))
    others = [p for p in item.rglob("*") if p.is_file() and p.suffix.lower() not in
              images.IMAGE_EXTENSIONS and wanted(p)
              and not any(part.startswith(".") for part in p.relative_to(item).parts)]
    if others:
        ignored.extend(str(p) for p in sorted(others))
        log(f"ignored {len(others)} file(s) in {shown(item)} that are not images by their "
            f"extension, e.g. {shown(others[0].name)}")
    if not found:
        failed.append((str(item), "folder holds no images"))
    return found


def _targets(files: list[Path], out_dir: Path):
    """``(source, output path)``: ``<name>_color.png``, numbered when two inputs share a name;
    never an input's own path."""
    sources = {p.resolve() for p in files}
    used = set()
    for src in files:
        target = next(t for k in itertools.count()
                      if (t := out_dir / f"{src.stem}_color{f'_{k}' if k else ''}.png")
                      not in used and t.resolve() not in sources)
        used.add(target)
        yield src, target


def _colorize_one(colorizer: Colorizer, src: Path, target: Path) -> str | None:
    """Colourise ``src`` into ``target``; ``None`` when done, else why it was skipped."""
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
