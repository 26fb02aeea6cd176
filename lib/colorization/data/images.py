"""Reading image files of any kind into uint8 RGB arrays, and the paper's resize + centre crop.

Every image that enters the project goes through :func:`read_image`, so the rest of the code
only ever sees ``(H, W, 3)`` uint8 RGB in 0..255:

- EXIF orientation is applied (phone photos are stored sideways with a rotation tag);
- grayscale, palette, CMYK, 16-bit and float images are converted to 8-bit RGB (16-bit values
  are *scaled* to 8 bits, not clipped);
- transparent pixels are composited onto a **white** background (the fruit datasets are
  objects on white);
- animated images (GIF, WebP, APNG) are read as their **first frame**;
- empty, truncated, corrupt, non-image, unreadable and absurdly large files raise
  :class:`ImageError` with a short human reason, so callers can skip and list them instead of
  crashing.
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
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


class ImageError(ValueError):
    """A file that cannot be used as an image; ``str(err)`` is a short human reason."""


def _scale_to_uint8(arr: np.ndarray, full_scale: float) -> np.ndarray:
    """Linearly map ``0..full_scale`` to ``0..255`` (rounding), clipping outliers."""
    out = np.asarray(arr, dtype=np.float64) * (255.0 / full_scale)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _high_depth_to_rgb(im: Image.Image) -> np.ndarray:
    """Modes ``I;16*``, ``I`` and ``F`` (single channel, more than 8 bits) -> uint8 RGB.

    ``I;16*`` and ``I`` are read as 16-bit data (0..65535, how Pillow opens 16-bit PNG/TIFF);
    ``F`` is taken as 0..1 when its maximum is at most 1, else as 0..255.
    """
    arr = np.asarray(im)
    if im.mode == "F":
        full = 1.0 if float(np.nanmax(arr, initial=0.0)) <= 1.0 else 255.0
        gray = _scale_to_uint8(np.nan_to_num(arr), full)
    else:
        gray = _scale_to_uint8(arr, 65535.0)
    return np.repeat(gray[:, :, None], 3, axis=2)


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Any Pillow image (already loaded) -> contiguous ``(H, W, 3)`` uint8 RGB."""
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
    return next((fmt for sig, fmt in _SIGNATURES if head.startswith(sig)), None)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as ``(H, W, 3)`` uint8 RGB in 0..255.

    Raises :class:`ImageError` ("empty file (0 bytes)", "not an image", "truncated or
    corrupt JPEG", "image too large ...", "file not found", "permission denied") for files
    that cannot be used; never returns a partial image.
    """
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
    except UnidentifiedImageError as err:
        fmt = _sniff(path)
        if fmt is not None:
            raise ImageError(f"truncated or corrupt {fmt}") from err
        raise ImageError("not an image") from err
    except FileNotFoundError as err:
        raise ImageError("file not found") from err
    except IsADirectoryError as err:
        raise ImageError("a folder, not an image") from err
    except PermissionError as err:
        raise ImageError("permission denied (not readable)") from err
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        fmt = _sniff(path)
        if fmt is not None:  # e.g. a JPEG whose header is cut short ("Truncated File Read")
            raise ImageError(f"truncated or corrupt {fmt}") from err
        raise ImageError(f"unreadable image ({type(err).__name__}: {err})") from err
    except MemoryError as err:
        raise ImageError("not enough memory to decode this image") from err


def resize_center_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """Resize so the shorter side is ``size``, then centre-crop to ``(size, size)``.

    ``rgb``: ``(H, W, C)`` (or ``(H, W)``) uint8 or float. Returns the same dtype and channels,
    ``(size, size, C)``. No distortion: the aspect ratio is kept and the longer side is cut.
    ``cv2.INTER_AREA`` when shrinking, ``cv2.INTER_CUBIC`` when growing (uint8 results are
    saturated by OpenCV, never wrapped).

    The centre square of the *original* is cut first and then resized: the same picture as
    resize-then-crop (up to sub-pixel rounding) without ever allocating the resized long side
    (a 10000x50 panorama would otherwise become 20000x100).
    """
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
    """All image files under ``folder`` (recursive), sorted.

    Matches :data:`IMAGE_EXTENSIONS` case-insensitively; skips hidden files and anything
    inside hidden folders (``.ipynb_checkpoints``, ``.git``, macOS ``._`` resource forks).
    """
    root = Path(folder)
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file():
            found.append(path)
    return sorted(found)
