"""read_image converts every kind of file to uint8 RGB; resize_center_crop never distorts."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from colorization.data.images import (
    IMAGE_EXTENSIONS,
    ImageError,
    find_images,
    read_image,
    resize_center_crop,
)


def _rgb_check(arr, h, w):
    assert arr.dtype == np.uint8 and arr.shape == (h, w, 3) and arr.flags.c_contiguous


def test_grayscale_jpeg(tmp_path):
    p = tmp_path / "g.jpg"
    Image.fromarray(np.full((20, 30), 128, np.uint8), "L").save(p)
    arr = read_image(p)
    _rgb_check(arr, 20, 30)
    assert np.all(np.abs(arr.astype(int) - 128) <= 2)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    p = tmp_path / "c.jpg"
    Image.new("CMYK", (16, 12), (0, 255, 255, 0)).save(p)  # pure red in CMYK
    arr = read_image(p)
    _rgb_check(arr, 12, 16)
    r, g, b = arr.reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60


def test_rgba_png_composited_on_white(tmp_path):
    p = tmp_path / "a.png"
    px = np.zeros((10, 10, 4), np.uint8)
    px[:, :5] = (255, 0, 0, 255)  # opaque red left half, fully transparent right half
    Image.fromarray(px, "RGBA").save(p)
    arr = read_image(p)
    _rgb_check(arr, 10, 10)
    assert (arr[:, :5] == (255, 0, 0)).all() and (arr[:, 5:] == 255).all()


def test_palette_png(tmp_path):
    p = tmp_path / "p.png"
    Image.new("RGB", (8, 8), (0, 0, 255)).convert("P").save(p)
    arr = read_image(p)
    _rgb_check(arr, 8, 8)
    assert (arr == (0, 0, 255)).all()


def test_palette_with_transparency_on_white(tmp_path):
    p = tmp_path / "pt.png"
    im = Image.new("P", (4, 4), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.info["transparency"] = 0
    im.save(p, transparency=0)
    assert (read_image(p) == 255).all()


def test_16bit_png_scaled_not_clipped(tmp_path):
    gray = tmp_path / "g16.png"
    Image.fromarray(np.full((6, 7), 32768, np.uint16)).save(gray)
    arr = read_image(gray)
    _rgb_check(arr, 6, 7)
    assert np.all(np.abs(arr.astype(int) - 128) <= 1)
    rgb16 = tmp_path / "c16.png"
    bgr = np.zeros((5, 5, 3), np.uint16)
    bgr[..., 2] = 65535  # red
    bgr[..., 1] = 16384  # a quarter of green
    assert cv2.imwrite(str(rgb16), bgr)
    arr = read_image(rgb16)
    _rgb_check(arr, 5, 5)
    assert arr[0, 0, 0] == 255 and abs(int(arr[0, 0, 1]) - 64) <= 1 and arr[0, 0, 2] == 0


def test_exif_rotated_jpeg(tmp_path):
    p = tmp_path / "r.jpg"
    px = np.zeros((20, 40, 3), np.uint8)
    px[:, :20] = 255  # white left half
    im = Image.fromarray(px)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to display
    im.save(p, exif=exif.tobytes())
    arr = read_image(p)
    _rgb_check(arr, 40, 20)
    assert arr[:20].mean() > 200 and arr[20:].mean() < 50  # white now on top


def test_truncated_jpeg_raises(tmp_path):
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buf, "JPEG")
    p = tmp_path / "t.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageError, match="truncated or corrupt"):
        read_image(p)


def test_non_image_raises(tmp_path):
    p = tmp_path / "n.jpg"
    p.write_text("this is not a picture")
    with pytest.raises(ImageError, match="not an image"):
        read_image(p)
    with pytest.raises(ImageError):
        read_image(tmp_path / "missing.png")


def test_too_large_raises(tmp_path, monkeypatch):
    p = tmp_path / "big.png"
    Image.new("RGB", (64, 64)).save(p)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageError, match="too large"):
        read_image(p)


def test_resize_center_crop_shapes_and_no_distortion():
    wide = np.zeros((50, 10000, 3), np.uint8)
    wide[:, 4975:5025] = 255  # a 50x50 white square in the middle
    out = resize_center_crop(wide, 100)
    assert out.shape == (100, 100, 3) and out.dtype == np.uint8
    assert out[5:-5, 5:-5].min() > 240  # the centre square fills the crop: not squashed
    img = np.zeros((100, 150, 3), np.uint8)
    img[:, 25:125] = 200
    out = resize_center_crop(img, 100)
    assert out.shape == (100, 100, 3) and (out == 200).all()
    small = resize_center_crop(np.full((40, 30, 3), 7, np.uint8), 64)  # growing
    assert small.shape == (64, 64, 3) and (small == 7).all()
    assert resize_center_crop(np.zeros((9, 12), np.float32), 4).shape == (4, 4)


def test_find_images(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in ("a/x.JPG", "a/b/y.png", "z.webp", "notes.txt", ".hidden/h.jpg", "a/.dot.png"):
        (tmp_path / rel).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in find_images(tmp_path)]
    assert found == ["a/b/y.png", "a/x.JPG", "z.webp"]
    assert ".jpg" in IMAGE_EXTENSIONS
