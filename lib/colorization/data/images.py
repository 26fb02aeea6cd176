"""Image files of any kind read as uint8 RGB, and the paper's resize + centre crop.

:func:`read_image` applies EXIF orientation, converts grayscale, palette, CMYK, 16-bit (scaled,
not clipped) and float images to 8-bit RGB, composites transparency onto white, reads the first
frame of animations, and raises :class:`ImageError` with a short reason for files it cannot use.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff")

# Leading bytes of the formats above: a file that starts like one but cannot be opened is a
# damaged image, not "not an image".
_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF87a": "GIF",
               b"GIF89a": "GIF", b"BM": "BMP", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}


class ImageError(ValueError):
    """A file that cannot be used as an image; ``str(err)`` is a short human reason."""


def _high_depth_to_rgb(im: Image.Image) -> np.ndarray:
    """Modes ``I;16*`` and ``I`` (16-bit data, 0..65535) and ``F`` (0..1 when its maximum is at
    most 1, else 0..255) -> uint8 RGB, scaled linearly."""
    arr = np.asarray(im)
    full = 65535.0
    if im.mode == "F":
        full = 1.0 if float(np.nanmax(arr, initial=0.0)) <= 1.0 else 255.0
    scaled = np.nan_to_num(arr.astype(np.float64)) * (255.0 / full)
    gray = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Any loaded Pillow image -> contiguous ``(H, W, 3)`` uint8 RGB."""
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _high_depth_to_rgb(im)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode in ("P", "L", "RGB") and "transparency" in im.info
    )
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    rgb = im.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV ...
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _sniff(path: Path) -> str | None:
    """The image format ``path``'s first bytes announce, or ``None``."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for sig, fmt in _SIGNATURES.items() if head.startswith(sig)), None)


_REASONS = {FileNotFoundError: "file not found", IsADirectoryError: "a folder, not an image",
            PermissionError: "permission denied (not readable)",
            MemoryError: "not enough memory to decode this image"}


def _reason(err: BaseException, path: Path) -> str:
    """Why ``path`` could not be opened, in a few words."""
    for kind, why in _REASONS.items():
        if isinstance(err, kind):
            return why
    fmt = _sniff(path)
    if fmt is not None:  # starts like an image: e.g. a JPEG whose header is cut short
        return f"truncated or corrupt {fmt}"
    if isinstance(err, UnidentifiedImageError):
        return "not an image"
    return f"unreadable image ({type(err).__name__}: {err})"


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as ``(H, W, 3)`` uint8 RGB, never a partial one: :class:`ImageError`
    ("empty file (0 bytes)", "not an image", "truncated or corrupt JPEG", ...) otherwise."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size == 0:
            raise ImageError("empty file (0 bytes)")
    except OSError:
        pass  # reported below, by the open that fails
    try:
        with warnings.catch_warnings():
            # Pillow only *warns* between MAX_IMAGE_PIXELS and twice that: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                fmt = im.format or path.suffix.lstrip(".").upper() or "image"
                try:
                    im.load()
                    im = ImageOps.exif_transpose(im) or im
                except (OSError, SyntaxError, ValueError, EOFError) as err:
                    raise ImageError(f"truncated or corrupt {fmt}") from err
                return _to_rgb(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError(
            f"image too large (more than {Image.MAX_IMAGE_PIXELS} pixels; possible "
            "decompression bomb)"
        ) from err
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as err:
        raise ImageError(_reason(err, path)) from err


def resize_center_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """The centre square of ``rgb`` (``(H, W[, C])``, uint8 or float) resized to
    ``(size, size[, C])``, same dtype: no distortion, the longer side is cut. ``INTER_AREA``
    when shrinking, ``INTER_CUBIC`` when growing (uint8 saturates, never wraps)."""
    arr = np.asarray(rgb)
    if arr.ndim not in (2, 3) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"expected an (H, W[, C]) image, got shape {arr.shape}")
    size = int(size)
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    h, w = arr.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = arr[top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(square)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    out = cv2.resize(np.ascontiguousarray(square), (size, size), interpolation=interp)
    if arr.ndim == 3 and out.ndim == 2:  # OpenCV drops a single channel axis
        out = out[:, :, None]
    return out


def find_images(folder: str | os.PathLike) -> list[Path]:
    """The image files under ``folder`` (recursive, :data:`IMAGE_EXTENSIONS` in any case),
    sorted; hidden files and folders (``.git``, macOS ``._`` forks) are skipped."""
    root = Path(folder)
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS
                  and not any(part.startswith(".") for part in p.relative_to(root).parts)
                  and p.is_file())
