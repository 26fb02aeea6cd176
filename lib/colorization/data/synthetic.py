"""Generated stand-ins for the datasets, drawn with NumPy and OpenCV (no network).

:func:`generate_fruits`: one fruit on white (the Fruits-360 look), eight classes (apple,
strawberry, orange, banana, lime, kiwi, plum, grape), each with its own shape, texture and
colour, so the colour is learnable from the gray picture; lit from the upper left, randomly
rotated, scaled, moved and colour-jittered. The animal scenes of
:mod:`colorization.data.synthetic_animals` are drawn with this module's helpers.

Image ``i`` of a split is drawn from ``np.random.default_rng([seed, split_code, i])``: fewer
images are a prefix of more, and ``train`` and ``test`` differ. Labels cycle through the
classes (``i % n_classes``). Outputs: ``(n, size, size, 3)`` uint8 RGB, ``(n,)`` int32 labels.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

FRUIT_CLASSES = ("apple", "strawberry", "orange", "banana", "lime", "kiwi", "plum", "grape")
SPLIT_CODES = {"train": 0, "test": 1}

# Light from the upper left, in image axes (x right, y down, z towards the viewer).
LIGHT = np.array([-0.45, -0.55, 0.70], dtype=np.float32)
LIGHT /= np.linalg.norm(LIGHT)
HALF = LIGHT + np.array([0.0, 0.0, 1.0], dtype=np.float32)
HALF /= np.linalg.norm(HALF)


@functools.lru_cache(maxsize=8)
def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    return yy + 0.5, xx + 0.5


def noise(rng: np.random.Generator, size: int, cells_y: int, cells_x: int | None = None):
    """Smooth random field ``(size, size)`` float32, about unit variance, ``cells`` blobs across."""
    cells_x = cells_y if cells_x is None else cells_x
    small = rng.standard_normal((max(cells_y, 2), max(cells_x, 2))).astype(np.float32)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)


def dome(f: np.ndarray) -> np.ndarray:
    """Height of a rounded body whose implicit function is ``f`` (< 1 inside): 0..1."""
    return np.sqrt(np.clip(1.0 - f, 0.0, 1.0))


def seg_dist(u, v, p0, p1):
    """Distance from every ``(u, v)`` to the segment ``p0``-``p1``."""
    du, dv = p1[0] - p0[0], p1[1] - p0[1]
    t = np.clip(((u - p0[0]) * du + (v - p0[1]) * dv) / (du * du + dv * dv), 0.0, 1.0)
    return np.hypot(u - p0[0] - t * du, v - p0[1] - t * dv)


def jitter(rng, rgb, amount=0.06):
    rgb = np.asarray(rgb, dtype=np.float32)
    return np.clip(rgb * (1.0 + rng.normal(0.0, amount, 3)).astype(np.float32), 0.0, 1.0)


def light(height, mask, albedo, gloss, scale, background=1.0):
    """An object of ``height`` (H, W; object units, ``scale`` pixels each), ``albedo``
    (H, W, 3) and ``gloss`` lit from ``LIGHT`` (Lambert + Phong) on ``background``: 0..1."""
    gy, gx = np.gradient(height * scale)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    nx, ny, nz = -gx / norm, -gy / norm, 1.0 / norm
    diffuse = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0.0, 1.0)
    spec = np.clip(nx * HALF[0] + ny * HALF[1] + nz * HALF[2], 0.0, 1.0) ** 24
    color = albedo * (0.32 + 0.78 * diffuse)[..., None] + (gloss * spec)[..., None]
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.6)[..., None]
    return color * alpha + background * (1.0 - alpha)


def _paint(part, colour, height, mask, h, albedo):
    """Paint ``part`` (bool) in ``colour`` at ``height`` over the fruit: new ``(mask, h)``."""
    albedo[part] = colour
    return mask | part, np.where(part, height, h)


# Each painter takes (rng, u, v, size) in the object frame (unit = fruit radius, v down the
# fruit's axis) and returns (mask, height, albedo, gloss).
def _apple(rng, u, v, size):
    body_col = jitter(rng, (0.72, 0.07, 0.22))
    f = (u / (1.0 - 0.10 * v)) ** 2 + (v / 0.9) ** 2
    mask = f < 1.0
    h = dome(f) - 0.30 * np.exp(-(u * u + (v + 0.78) ** 2) / 0.04)
    streaks = 1.0 + 0.10 * np.sin(u * 21.0 + 2.5 * np.sin(v * 3.0 + rng.uniform(0, 6)))
    dark = np.clip(noise(rng, size, 4), 0.0, 1.0)[..., None] * 0.35
    albedo = body_col * streaks[..., None] * (1.0 - dark)
    top = (0.0, -0.72)
    tip = (rng.uniform(-0.15, 0.15), -1.15)
    stem = seg_dist(u, v, top, tip) < 0.055
    mask, h = _paint(stem, (0.33, 0.20, 0.09), np.maximum(h, 0.30), mask, h, albedo)
    if rng.random() < 0.6:
        side = rng.choice([-1.0, 1.0])
        lu, lv = u - side * 0.30, v + 1.02
        c, s = np.cos(side * 0.5), np.sin(side * 0.5)
        fl = ((lu * c + lv * s) / 0.32) ** 2 + ((-lu * s + lv * c) / 0.12) ** 2
        leaf = (fl < 1.0) & ~(f < 0.9)
        vein = 1.0 - 0.3 * np.exp(-((-lu * s + lv * c) ** 2) / 0.0006)
        colour = (np.array((0.22, 0.50, 0.10)) * vein[leaf][:, None]).astype(np.float32)
        mask, h = _paint(leaf, colour, np.maximum(h, 0.25 * dome(fl) + 0.1), mask, h, albedo)
    return mask, h, albedo, 0.55


def _strawberry(rng, u, v, size):
    col = jitter(rng, (0.88, 0.09, 0.06))
    t = np.clip((v + 1.0) / 2.0, 0.0, 1.0)
    f = (u / (0.95 * (1.0 - 0.62 * t**1.3))) ** 2 + (v / 1.05) ** 2
    mask = f < 1.0
    h = dome(f)
    k = 7.0
    su = u * k
    sv = v * k + 0.5 * np.floor(su)
    r2 = (su - np.floor(su) - 0.5) ** 2 + (sv - np.floor(sv) - 0.5) ** 2
    h = h - 0.05 * np.exp(-r2 / 0.03)
    albedo = np.broadcast_to(col, u.shape + (3,)).copy()
    seeds = r2 < 0.022
    albedo[seeds] = (0.95, 0.82, 0.38)
    # green crown: a star of sepals around the top
    cu, cv = u, (v + 0.98) / 0.6
    r, ang = np.hypot(cu, cv), np.arctan2(cv, cu) + rng.uniform(0, 1)
    crown = r < 0.16 + 0.30 * np.abs(np.cos(3.0 * ang)) ** 3
    colour = jitter(rng, (0.20, 0.52, 0.12))
    mask, h = _paint(crown, colour, np.maximum(h, 0.15) + 0.1, mask, h, albedo)
    stem = seg_dist(u, v, (0.0, -0.98), (0.05, -1.30)) < 0.06
    mask, h = _paint(stem, (0.30, 0.48, 0.15), np.maximum(h, 0.3), mask, h, albedo)
    return mask, h, albedo, 0.55


def _orange(rng, u, v, size):
    col = jitter(rng, (0.98, 0.55, 0.05), 0.04)
    f = u * u + (v / 0.96) ** 2
    mask = f < 1.0
    h = dome(f) + 0.009 * noise(rng, size, size // 3)
    albedo = col * (1.0 + 0.06 * noise(rng, size, 5))[..., None]
    if rng.random() < 0.7:
        scar = np.hypot(u - 0.1, v + 0.15) < 0.07
        albedo[scar] = (0.45, 0.40, 0.12)
    return mask, h, np.clip(albedo, 0.0, 1.0), 0.22


def _banana(rng, u, v, size):
    col = jitter(rng, (0.97, 0.84, 0.22), 0.04)
    rc, psi_max = 2.2, 0.72
    rho = np.hypot(u, v - rc)
    psi = np.arctan2(u, rc - v)
    q = np.clip(psi / psi_max, -1.5, 1.5)
    w = 0.33 * np.sqrt(np.clip(1.0 - q * q, 0.0, 1.0)) + 0.02
    across = (rho - rc) / w
    mask = (np.abs(across) < 1.0) & (np.abs(q) < 1.0)
    h = np.sqrt(np.clip(1.0 - across**2, 0.0, 1.0)) * (w / 0.35)
    ridges = 1.0 - 0.16 * np.exp(-((np.abs(across) - 0.45) ** 2) / 0.004)
    albedo = col * ridges[..., None]
    spots = noise(rng, size, size // 5) > 1.6
    albedo[spots & mask] *= np.float32(0.55)
    tips = np.abs(q) > 0.9
    albedo[tips] = (0.30, 0.22, 0.10)
    end = np.sign(rng.uniform(-1, 1))
    stem = (np.abs(rho - rc) < 0.07) & (q * end >= 0.95) & (q * end < 1.18)
    mask, h = _paint(stem, (0.45, 0.45, 0.18), 0.2, mask, h, albedo)
    return mask, h, albedo, 0.3


def _lime(rng, u, v, size):
    col = jitter(rng, (0.40, 0.68, 0.12), 0.05)
    f = u * u + (v / 0.74) ** 2
    ft = ((np.abs(u) - 0.97) / 0.17) ** 2 + (v / 0.16) ** 2
    mask = (f < 1.0) | (ft < 1.0)
    h = np.maximum(dome(f), 0.45 * dome(ft)) + 0.004 * noise(rng, size, size // 2)
    albedo = col * (1.0 + 0.08 * noise(rng, size, 4))[..., None]
    return mask, h, np.clip(albedo, 0.0, 1.0), 0.45


def _kiwi(rng, u, v, size):
    col = jitter(rng, (0.48, 0.34, 0.18), 0.05)
    fuzz = rng.standard_normal(u.shape).astype(np.float32)
    f = u * u + (v / 0.8) ** 2
    mask = f < 1.0 + 0.08 * fuzz
    h = dome(f) + 0.01 * noise(rng, size, size // 3)
    tex = 1.0 + 0.17 * cv2.GaussianBlur(fuzz, (3, 3), 0.7) + 0.08 * noise(rng, size, 5)
    albedo = col * tex[..., None]
    end = np.hypot(np.abs(u) - 0.93, v) < 0.08
    albedo[end] = (0.22, 0.15, 0.08)
    return mask, h, np.clip(albedo, 0.0, 1.0), 0.03


def _plum(rng, u, v, size):
    col = jitter(rng, (0.26, 0.20, 0.52), 0.05)
    f = (u / 0.93) ** 2 + v * v
    mask = f < 1.0
    groove = np.exp(-((u - 0.30 - 0.25 * v * v) ** 2) / 0.004)
    h = dome(f) - 0.06 * groove
    bloom = np.clip(0.5 + 0.5 * noise(rng, size, 6), 0.0, 1.0)[..., None] * 0.30
    albedo = col * (1.0 - bloom) + np.float32((0.62, 0.62, 0.74)) * bloom
    albedo *= (1.0 - 0.25 * groove)[..., None]
    if rng.random() < 0.5:
        stem = seg_dist(u, v, (0.0, -0.95), (0.06, -1.22)) < 0.045
        mask, h = _paint(stem, (0.35, 0.28, 0.12), 0.3, mask, h, albedo)
    return mask, h, albedo, 0.3


def _grape(rng, u, v, size):
    col = jitter(rng, (0.45, 0.10, 0.28), 0.06)
    rb = 0.27
    mask = np.zeros(u.shape, bool)
    h = np.zeros(u.shape, np.float32)
    rows = [(-0.75, 4), (-0.32, 4), (0.1, 3), (0.5, 2), (0.85, 1)]
    for vr, n in rows:
        for j in range(n):
            uc = (j - (n - 1) / 2) * 2 * rb * 0.92 + rng.normal(0, 0.04)
            vc = vr + rng.normal(0, 0.04)
            fb = ((u - uc) ** 2 + (v - vc) ** 2) / rb**2
            inside = fb < 1.0
            hb = dome(fb) * rb + rng.uniform(0, 0.1)
            h = np.where(inside, np.maximum(h, hb), h)
            mask |= inside
    stem = seg_dist(u, v, (0.0, -0.9), (0.08, -1.3)) < 0.05
    h = np.where(stem & ~mask, 0.1, h)
    albedo = np.broadcast_to(col, u.shape + (3,)).copy()
    albedo *= (1.0 + 0.08 * noise(rng, size, 6))[..., None]
    albedo[stem & ~mask] = (0.40, 0.38, 0.15)
    mask |= stem
    return mask, h * (1.0 / rb), np.clip(albedo, 0.0, 1.0), 0.7


_FRUIT_PAINTERS = (_apple, _strawberry, _orange, _banana, _lime, _kiwi, _plum, _grape)
_FRUIT_SCALE = (1.0, 0.95, 1.05, 0.88, 0.95, 0.95, 0.95, 0.92)


def _fruit_image(seed: int, code: int, i: int, size: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng([seed, code, i])
    label = i % len(FRUIT_CLASSES)
    yy, xx = grid(size)
    scale = size * rng.uniform(0.27, 0.34) * _FRUIT_SCALE[label]
    theta = rng.uniform(-np.pi, np.pi)
    cx, cy = size * (0.5 + rng.uniform(-0.06, 0.06, 2))
    c, s = np.float32(np.cos(theta)), np.float32(np.sin(theta))
    dx, dy = xx - np.float32(cx), yy - np.float32(cy)
    u = (dx * c + dy * s) / np.float32(scale)
    v = (-dx * s + dy * c) / np.float32(scale)
    mask, h, albedo, gloss = _FRUIT_PAINTERS[label](rng, u, v, size)
    rgb = light(h.astype(np.float32), mask, albedo.astype(np.float32), gloss, scale)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8), label


def render_many(render, n: int, seed: int, split: str, size: int):
    """``render(seed, split_code, i, size) -> (image, label)`` for ``i < n``, stacked."""
    n, size = int(n), int(size)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}")
    if split not in SPLIT_CODES:
        raise ValueError(f"split must be one of {tuple(SPLIT_CODES)}, got {split!r}")
    code = SPLIT_CODES[split]
    images = np.empty((n, size, size, 3), np.uint8)
    labels = np.empty((n,), np.int32)
    for i in range(n):
        images[i], labels[i] = render(int(seed), code, i, size)
    return images, labels


def generate_fruits(n: int, seed: int = 0, split: str = "train", size: int = 100):
    """``n`` fruit pictures, ``(n, size, size, 3)`` uint8 RGB, and their :data:`FRUIT_CLASSES`
    labels ``(n,)`` int32; image ``i`` depends only on ``(seed, split, i)``."""
    return render_many(_fruit_image, n, seed, split, size)
