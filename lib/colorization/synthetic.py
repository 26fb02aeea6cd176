"""The embedded default data: procedural fruit and animal pictures, and scikit-image's photos.

No network is needed. Images are drawn with NumPy and OpenCV, deterministically:

- :func:`generate_fruits`: one fruit-like object on a white background (the Fruits-360 look of
  the Kaggle ``fruit-recognition`` set). Each class has its own **shape and surface texture**,
  visible in the gray (L) image, and its own colour, so the colour is learnable from the gray
  picture: apple (round, dimpled top, stem and leaf, vertical streaks, crimson), strawberry
  (cone with seed dots and a green crown, scarlet), orange (round, dimpled peel, orange),
  banana (curved crescent with ridges and brown tips, yellow), lime (oval with pointed tips,
  fine pores, green), kiwi (fuzzy matte oval, brown), plum (round with a suture groove and a
  waxy bloom, blue-violet) and grape (cluster of small glossy berries, red-purple). Radial
  (Lambert + Phong) lighting from the upper left gives shading and a specular highlight; every
  image gets a random rotation, scale, position and a small colour jitter.
- :func:`generate_animals`: an outdoor scene (sky gradient with clouds above a horizon at a
  random height, grass with blade texture or smoother bare ground below) with one animal:
  dog (floppy ears, snout), chicken (white or red-brown, red comb and wattle, yellow beak and
  legs), horse (long legs and neck, dark mane and tail), cat (pointed ears, long tail, tabby
  stripes for tabby coats), in natural coat colours, shaded and casting a soft shadow.
- :func:`photos`: the colour photographs that ship inside scikit-image, for the "never seen"
  figures.

Image ``i`` of a split depends only on ``(seed, split, i)``: it is drawn from
``np.random.default_rng([seed, split_code, i])``, so asking for fewer images gives a prefix of
a larger request, and ``train`` and ``test`` differ for the same seed. Labels cycle through the
classes (``label = i % n_classes``), so any prefix is balanced.

All outputs are ``(n, size, size, 3)`` uint8 RGB in 0..255 with ``(n,)`` int32 labels.
"""

from __future__ import annotations

import functools
import itertools

import cv2
import numpy as np

FRUIT_CLASSES = ("apple", "strawberry", "orange", "banana", "lime", "kiwi", "plum", "grape")
ANIMAL_CLASSES = ("dog", "chicken", "horse", "cat")
SPLIT_CODES = {"train": 0, "test": 1, "val": 2}

# Light from the upper left, in image axes (x right, y down, z towards the viewer).
_LIGHT = np.array([-0.45, -0.55, 0.70], dtype=np.float32)
_LIGHT /= np.linalg.norm(_LIGHT)
_HALF = _LIGHT + np.array([0.0, 0.0, 1.0], dtype=np.float32)
_HALF /= np.linalg.norm(_HALF)


def _split_code(split: str) -> int:
    try:
        return SPLIT_CODES[split]
    except KeyError:
        raise ValueError(f"split must be one of {tuple(SPLIT_CODES)}, got {split!r}") from None


@functools.lru_cache(maxsize=8)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    return yy + 0.5, xx + 0.5


def _noise(rng: np.random.Generator, size: int, cells_y: int, cells_x: int | None = None):
    """Smooth random field ``(size, size)`` float32, about unit variance, ``cells`` blobs across."""
    cells_x = cells_y if cells_x is None else cells_x
    small = rng.standard_normal((max(cells_y, 2), max(cells_x, 2))).astype(np.float32)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)


def _dome(f: np.ndarray) -> np.ndarray:
    """Height of a rounded body whose implicit function is ``f`` (< 1 inside): 0..1."""
    return np.sqrt(np.clip(1.0 - f, 0.0, 1.0))


def _seg_dist(u, v, p0, p1):
    """Distance from every ``(u, v)`` to the segment ``p0``-``p1``."""
    du, dv = p1[0] - p0[0], p1[1] - p0[1]
    t = np.clip(((u - p0[0]) * du + (v - p0[1]) * dv) / (du * du + dv * dv), 0.0, 1.0)
    return np.hypot(u - p0[0] - t * du, v - p0[1] - t * dv)


def _jitter(rng, rgb, amount=0.06):
    rgb = np.asarray(rgb, dtype=np.float32)
    return np.clip(rgb * (1.0 + rng.normal(0.0, amount, 3)).astype(np.float32), 0.0, 1.0)


def _light(height, mask, albedo, gloss, scale, background=1.0):
    """Shade an object: Lambert + Phong from ``_LIGHT``; composite on ``background``.

    ``height`` (H, W) in object units (radius 1), ``scale`` pixels per unit; ``albedo``
    (H, W, 3) in 0..1; ``gloss`` scalar or (H, W). Returns (H, W, 3) float32 in 0..1.
    """
    gy, gx = np.gradient(height * scale)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    nx, ny, nz = -gx / norm, -gy / norm, 1.0 / norm
    diffuse = np.clip(nx * _LIGHT[0] + ny * _LIGHT[1] + nz * _LIGHT[2], 0.0, 1.0)
    spec = np.clip(nx * _HALF[0] + ny * _HALF[1] + nz * _HALF[2], 0.0, 1.0) ** 24
    color = albedo * (0.32 + 0.78 * diffuse)[..., None] + (gloss * spec)[..., None]
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.6)[..., None]
    return color * alpha + background * (1.0 - alpha)


# --------------------------------------------------------------------------- fruits
# Each painter takes (rng, u, v, size) in the object frame (unit = fruit radius, v down the
# fruit's axis) and returns (mask, height, albedo, gloss).


def _apple(rng, u, v, size):
    body_col = _jitter(rng, (0.72, 0.07, 0.22))
    f = (u / (1.0 - 0.10 * v)) ** 2 + (v / 0.9) ** 2
    mask = f < 1.0
    h = _dome(f) - 0.30 * np.exp(-(u * u + (v + 0.78) ** 2) / 0.04)
    streaks = 1.0 + 0.10 * np.sin(u * 21.0 + 2.5 * np.sin(v * 3.0 + rng.uniform(0, 6)))
    dark = np.clip(_noise(rng, size, 4), 0.0, 1.0)[..., None] * 0.35
    albedo = body_col * streaks[..., None] * (1.0 - dark)
    top = (0.0, -0.72)
    tip = (rng.uniform(-0.15, 0.15), -1.15)
    stem = _seg_dist(u, v, top, tip) < 0.055
    albedo[stem] = (0.33, 0.20, 0.09)
    h = np.where(stem, np.maximum(h, 0.30), h)
    mask |= stem
    if rng.random() < 0.6:
        side = rng.choice([-1.0, 1.0])
        lu, lv = u - side * 0.30, v + 1.02
        c, s = np.cos(side * 0.5), np.sin(side * 0.5)
        fl = ((lu * c + lv * s) / 0.32) ** 2 + ((-lu * s + lv * c) / 0.12) ** 2
        leaf = (fl < 1.0) & ~(f < 0.9)
        vein = 1.0 - 0.3 * np.exp(-((-lu * s + lv * c) ** 2) / 0.0006)
        albedo[leaf] = (np.array((0.22, 0.50, 0.10)) * vein[leaf][:, None]).astype(np.float32)
        h = np.where(leaf, np.maximum(h, 0.25 * _dome(fl) + 0.1), h)
        mask |= leaf
    return mask, h, albedo, 0.55


def _strawberry(rng, u, v, size):
    col = _jitter(rng, (0.88, 0.09, 0.06))
    t = np.clip((v + 1.0) / 2.0, 0.0, 1.0)
    f = (u / (0.95 * (1.0 - 0.62 * t**1.3))) ** 2 + (v / 1.05) ** 2
    mask = f < 1.0
    h = _dome(f)
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
    albedo[crown] = _jitter(rng, (0.20, 0.52, 0.12))
    h = np.where(crown, np.maximum(h, 0.15) + 0.1, h)
    stem = _seg_dist(u, v, (0.0, -0.98), (0.05, -1.30)) < 0.06
    albedo[stem] = (0.30, 0.48, 0.15)
    h = np.where(stem, np.maximum(h, 0.3), h)
    mask = mask | crown | stem
    return mask, h, albedo, 0.55


def _orange(rng, u, v, size):
    col = _jitter(rng, (0.98, 0.55, 0.05), 0.04)
    f = u * u + (v / 0.96) ** 2
    mask = f < 1.0
    h = _dome(f) + 0.009 * _noise(rng, size, size // 3)
    albedo = col * (1.0 + 0.06 * _noise(rng, size, 5))[..., None]
    if rng.random() < 0.7:
        scar = np.hypot(u - 0.1, v + 0.15) < 0.07
        albedo[scar] = (0.45, 0.40, 0.12)
    return mask, h, np.clip(albedo, 0.0, 1.0), 0.22


def _banana(rng, u, v, size):
    col = _jitter(rng, (0.97, 0.84, 0.22), 0.04)
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
    spots = _noise(rng, size, size // 5) > 1.6
    albedo[spots & mask] *= np.float32(0.55)
    tips = np.abs(q) > 0.9
    albedo[tips] = (0.30, 0.22, 0.10)
    end = np.sign(rng.uniform(-1, 1))
    stem = (np.abs(rho - rc) < 0.07) & (q * end >= 0.95) & (q * end < 1.18)
    albedo[stem] = (0.45, 0.45, 0.18)
    h = np.where(stem, 0.2, h)
    mask |= stem
    return mask, h, albedo, 0.3


def _lime(rng, u, v, size):
    col = _jitter(rng, (0.40, 0.68, 0.12), 0.05)
    f = u * u + (v / 0.74) ** 2
    ft = ((np.abs(u) - 0.97) / 0.17) ** 2 + (v / 0.16) ** 2
    mask = (f < 1.0) | (ft < 1.0)
    h = np.maximum(_dome(f), 0.45 * _dome(ft)) + 0.004 * _noise(rng, size, size // 2)
    albedo = col * (1.0 + 0.08 * _noise(rng, size, 4))[..., None]
    return mask, h, np.clip(albedo, 0.0, 1.0), 0.45


def _kiwi(rng, u, v, size):
    col = _jitter(rng, (0.48, 0.34, 0.18), 0.05)
    fuzz = rng.standard_normal(u.shape).astype(np.float32)
    f = u * u + (v / 0.8) ** 2
    mask = f < 1.0 + 0.08 * fuzz
    h = _dome(f) + 0.01 * _noise(rng, size, size // 3)
    tex = 1.0 + 0.17 * cv2.GaussianBlur(fuzz, (3, 3), 0.7) + 0.08 * _noise(rng, size, 5)
    albedo = col * tex[..., None]
    end = np.hypot(np.abs(u) - 0.93, v) < 0.08
    albedo[end] = (0.22, 0.15, 0.08)
    return mask, h, np.clip(albedo, 0.0, 1.0), 0.03


def _plum(rng, u, v, size):
    col = _jitter(rng, (0.26, 0.20, 0.52), 0.05)
    f = (u / 0.93) ** 2 + v * v
    mask = f < 1.0
    groove = np.exp(-((u - 0.30 - 0.25 * v * v) ** 2) / 0.004)
    h = _dome(f) - 0.06 * groove
    bloom = np.clip(0.5 + 0.5 * _noise(rng, size, 6), 0.0, 1.0)[..., None] * 0.30
    albedo = col * (1.0 - bloom) + np.float32((0.62, 0.62, 0.74)) * bloom
    albedo *= (1.0 - 0.25 * groove)[..., None]
    if rng.random() < 0.5:
        stem = _seg_dist(u, v, (0.0, -0.95), (0.06, -1.22)) < 0.045
        albedo[stem] = (0.35, 0.28, 0.12)
        h = np.where(stem, 0.3, h)
        mask |= stem
    return mask, h, albedo, 0.3


def _grape(rng, u, v, size):
    col = _jitter(rng, (0.45, 0.10, 0.28), 0.06)
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
            hb = _dome(fb) * rb + rng.uniform(0, 0.1)
            h = np.where(inside, np.maximum(h, hb), h)
            mask |= inside
    stem = _seg_dist(u, v, (0.0, -0.9), (0.08, -1.3)) < 0.05
    h = np.where(stem & ~mask, 0.1, h)
    albedo = np.broadcast_to(col, u.shape + (3,)).copy()
    albedo *= (1.0 + 0.08 * _noise(rng, size, 6))[..., None]
    albedo[stem & ~mask] = (0.40, 0.38, 0.15)
    mask |= stem
    return mask, h * (1.0 / rb), np.clip(albedo, 0.0, 1.0), 0.7


_FRUIT_PAINTERS = (_apple, _strawberry, _orange, _banana, _lime, _kiwi, _plum, _grape)
_FRUIT_SCALE = (1.0, 0.95, 1.05, 0.88, 0.95, 0.95, 0.95, 0.92)


def _fruit_image(seed: int, code: int, i: int, size: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng([seed, code, i])
    label = i % len(FRUIT_CLASSES)
    yy, xx = _grid(size)
    scale = size * rng.uniform(0.27, 0.34) * _FRUIT_SCALE[label]
    theta = rng.uniform(-np.pi, np.pi)
    cx, cy = size * (0.5 + rng.uniform(-0.06, 0.06, 2))
    c, s = np.float32(np.cos(theta)), np.float32(np.sin(theta))
    dx, dy = xx - np.float32(cx), yy - np.float32(cy)
    u = (dx * c + dy * s) / np.float32(scale)
    v = (-dx * s + dy * c) / np.float32(scale)
    mask, h, albedo, gloss = _FRUIT_PAINTERS[label](rng, u, v, size)
    rgb = _light(h.astype(np.float32), mask, albedo.astype(np.float32), gloss, scale)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8), label


# --------------------------------------------------------------------------- animals

_SHIFT = 4
_ONE = 1 << _SHIFT


def _pt(p):
    return (round(p[0] * _ONE), round(p[1] * _ONE))


class _Canvas:
    """uint8 albedo + mask canvases drawn with anti-aliased OpenCV primitives."""

    def __init__(self, size: int, cx: float, cy: float, s: float, facing: float):
        self.img = np.zeros((size, size, 3), np.uint8)
        self.mask = np.zeros((size, size), np.uint8)
        self.cx, self.cy, self.s, self.facing = cx, cy, s, facing

    def xy(self, x, y):
        return (self.cx + self.facing * x * self.s, self.cy + y * self.s)

    def _both(self, fn, color):
        fn(self.img, tuple(int(255 * c) for c in color))
        fn(self.mask, 255)

    def ellipse(self, x, y, ax, ay, angle, color):
        c, axes = _pt(self.xy(x, y)), _pt((ax * self.s, ay * self.s))
        ang = angle * self.facing

        def fn(im, col):
            cv2.ellipse(im, c, axes, ang, 0, 360, col, -1, cv2.LINE_AA, _SHIFT)

        self._both(fn, color)

    def line(self, pts, width, color):
        ps = [_pt(self.xy(x, y)) for x, y in pts]
        t = max(1, round(width * self.s))

        def fn(im, col):
            for a, b in itertools.pairwise(ps):
                cv2.line(im, a, b, col, t, cv2.LINE_AA, _SHIFT)

        self._both(fn, color)

    def poly(self, pts, color):
        ps = np.array([_pt(self.xy(x, y)) for x, y in pts], np.int32)

        def fn(im, col):
            cv2.fillPoly(im, [ps], col, cv2.LINE_AA, _SHIFT)

        self._both(fn, color)


_DOG_COATS = (
    ((0.45, 0.28, 0.14), (0.25, 0.15, 0.08)),
    ((0.82, 0.62, 0.32), (0.55, 0.36, 0.16)),
    ((0.13, 0.11, 0.10), (0.30, 0.22, 0.14)),
    ((0.90, 0.86, 0.78), (0.50, 0.32, 0.16)),
)
_CAT_COATS = (
    ((0.88, 0.52, 0.22), True),
    ((0.55, 0.53, 0.50), True),
    ((0.12, 0.11, 0.11), False),
    ((0.93, 0.92, 0.88), False),
)
_HORSE_COATS = (
    ((0.50, 0.27, 0.12), (0.10, 0.08, 0.07)),
    ((0.64, 0.31, 0.13), (0.45, 0.20, 0.08)),
    ((0.84, 0.82, 0.79), (0.60, 0.58, 0.56)),
    ((0.15, 0.12, 0.11), (0.08, 0.07, 0.06)),
)
_CHICKEN_COATS = ((0.96, 0.95, 0.91), (0.62, 0.30, 0.11), (0.96, 0.95, 0.91))
_RED = (0.86, 0.10, 0.10)
_YELLOW = (0.96, 0.72, 0.20)
_EYE = (0.05, 0.04, 0.04)


def _dog(cv: _Canvas, rng):
    coat, ear = (_jitter(rng, c, 0.05) for c in _DOG_COATS[rng.integers(len(_DOG_COATS))])
    for x in (-0.7, -0.5, 0.5, 0.7):
        cv.line([(x, 0.1), (x + rng.normal(0, 0.05), 0.95)], 0.2, coat * 0.9)
    cv.line([(-0.9, -0.15), (-1.2, -0.45), (-1.35, -0.75)], 0.12, coat)
    cv.ellipse(0, 0, 1.0, 0.45, 0, coat)
    cv.line([(0.75, -0.15), (1.0, -0.55)], 0.42, coat)
    cv.ellipse(1.05, -0.62, 0.36, 0.34, 0, coat)
    cv.ellipse(1.38, -0.52, 0.30, 0.17, 10, coat * 0.95)
    cv.ellipse(1.66, -0.56, 0.07, 0.06, 0, _EYE)
    cv.ellipse(0.9, -0.55, 0.13, 0.30, -15, ear)
    cv.ellipse(1.17, -0.72, 0.05, 0.05, 0, _EYE)
    return 0.95


def _chicken(cv: _Canvas, rng):
    coat = _jitter(rng, _CHICKEN_COATS[rng.integers(len(_CHICKEN_COATS))], 0.04)
    for x in (-0.15, 0.15):
        cv.line([(x, 0.3), (x + 0.05, 0.95)], 0.07, _YELLOW)
        cv.line([(x - 0.1, 0.95), (x + 0.2, 0.95)], 0.05, _YELLOW)
    cv.poly([(-0.45, -0.1), (-1.0, -0.95), (-0.75, -0.2), (-0.6, 0.2)], coat * 0.9)
    cv.ellipse(0, 0, 0.72, 0.55, -10, coat)
    cv.ellipse(0.32, -0.12, 0.35, 0.22, -20, coat * 0.85)  # wing
    cv.ellipse(0.62, -0.62, 0.24, 0.30, 0, coat)
    cv.ellipse(0.80, -0.76, 0.06, 0.06, 0, _EYE)
    for k in range(3):
        cv.ellipse(0.5 + 0.12 * k, -0.92 - 0.03 * (k == 1), 0.08, 0.1, 0, _RED)
    cv.poly([(0.82, -0.7), (1.05, -0.63), (0.82, -0.56)], _YELLOW)
    cv.ellipse(0.84, -0.45, 0.06, 0.09, 0, _RED)
    return 0.95


def _horse(cv: _Canvas, rng):
    coat, mane = (_jitter(rng, c, 0.05) for c in _HORSE_COATS[rng.integers(len(_HORSE_COATS))])
    for x in (-0.75, -0.55, 0.55, 0.75):
        cv.line([(x, 0.1), (x + rng.normal(0, 0.06), 1.35)], 0.16, coat * 0.92)
        cv.line([(x, 1.3), (x, 1.42)], 0.18, (0.12, 0.10, 0.09))
    cv.line([(-1.0, -0.2), (-1.15, 0.3), (-1.1, 0.75)], 0.18, mane)
    cv.ellipse(0, 0, 1.0, 0.42, 0, coat)
    cv.poly([(0.55, -0.25), (0.95, -1.05), (1.25, -0.95), (0.95, 0.05)], coat)
    cv.line([(0.62, -0.35), (0.95, -1.08)], 0.12, mane)
    cv.ellipse(1.28, -0.92, 0.44, 0.17, 35, coat)
    cv.ellipse(1.12, -1.05, 0.05, 0.05, 0, _EYE)
    cv.poly([(0.95, -1.05), (1.0, -1.3), (1.08, -1.08)], coat * 0.9)
    return 1.42


def _cat(cv: _Canvas, rng):
    coat, tabby = _CAT_COATS[rng.integers(len(_CAT_COATS))]
    coat = _jitter(rng, coat, 0.05)
    for x in (-0.65, -0.45, 0.5, 0.68):
        cv.line([(x, 0.1), (x + rng.normal(0, 0.04), 0.9)], 0.14, coat)
    cv.line([(-0.8, -0.1), (-1.25, -0.25), (-1.45, -0.7), (-1.35, -1.05)], 0.11, coat)
    cv.ellipse(0, 0, 0.9, 0.38, 0, coat)
    cv.ellipse(1.0, -0.5, 0.34, 0.31, 0, coat)
    cv.poly([(0.72, -0.62), (0.78, -1.05), (0.98, -0.76)], coat)
    cv.poly([(1.05, -0.78), (1.25, -1.05), (1.28, -0.6)], coat)
    eye = _jitter(rng, (0.55, 0.70, 0.20), 0.1)
    cv.ellipse(1.1, -0.55, 0.06, 0.05, 0, eye)
    cv.ellipse(1.3, -0.42, 0.05, 0.035, 0, (0.8, 0.45, 0.45))
    return 0.9, tabby


_ANIMAL_PAINTERS = (_dog, _chicken, _horse, _cat)
_ANIMAL_SCALE = (0.25, 0.19, 0.22, 0.21)


def _scene(rng, size: int, horizon: float) -> np.ndarray:
    """Sky with clouds above ``horizon`` (pixels), grass or bare ground below: (H, W, 3)."""
    yy, _xx = _grid(size)
    t = np.clip(yy / max(horizon, 1.0), 0.0, 1.0)[..., None]
    top = _jitter(rng, (0.22, 0.44, 0.85), 0.08)
    low = _jitter(rng, (0.70, 0.82, 0.96), 0.03)
    sky = top * (1.0 - t) + low * t
    clouds = np.clip(_noise(rng, size, 4, 6) - rng.uniform(0.2, 1.0), 0.0, 0.6)[..., None] / 0.6
    sky = sky * (1.0 - clouds) + np.float32(0.97) * clouds
    depth = np.clip((yy - horizon) / max(size - horizon, 1.0), 0.0, 1.0)[..., None]
    if rng.random() < 0.65:  # grass: vertical blades, darker and coarser towards the viewer
        base = _jitter(rng, (0.28, 0.55, 0.16), 0.08)
        blades = _noise(rng, size, max(size // 10, 2), size // 2)
        fine = rng.standard_normal((size, size)).astype(np.float32)
        fine = cv2.GaussianBlur(fine, (1, 5), 0)
        tex = 1.0 + 0.22 * blades + 0.12 * fine
        ground = base * tex[..., None] * (1.05 - 0.3 * depth)
        ground[..., 0] += 0.05 * np.clip(blades, 0, None)  # yellow tips
    else:  # bare ground: smoother brown with pebbles
        base = _jitter(rng, (0.58, 0.45, 0.30), 0.08)
        tex = 1.0 + 0.08 * _noise(rng, size, 6) + 0.05 * _noise(rng, size, size // 4)
        ground = base * tex[..., None] * (1.0 - 0.2 * depth)
    below = (yy >= horizon)[..., None]
    out = np.where(below, ground, sky)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _animal_image(seed: int, code: int, i: int, size: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng([seed, code, i])
    label = i % len(ANIMAL_CLASSES)
    horizon = size * rng.uniform(0.3, 0.6)
    scene = _scene(rng, size, horizon)
    s = size * _ANIMAL_SCALE[label] * rng.uniform(0.85, 1.12)
    facing = float(rng.choice([-1.0, 1.0]))
    feet = size * rng.uniform(0.8, 0.96)
    legs = {0: 0.95, 1: 0.95, 2: 1.42, 3: 0.9}[label]
    cx = size * rng.uniform(0.38, 0.62) - facing * 0.2 * s
    cy = feet - legs * s
    canvas = _Canvas(size, cx, cy, s, facing)
    result = _ANIMAL_PAINTERS[label](canvas, rng)
    tabby = isinstance(result, tuple) and result[1]
    yy, xx = _grid(size)
    # soft shadow under the animal
    shadow = np.exp(-(((xx - cx) / (1.1 * s)) ** 2 + ((yy - feet) / (0.12 * s)) ** 2))
    scene = scene * (1.0 - 0.45 * shadow)[..., None]
    mask = canvas.mask
    alpha = mask.astype(np.float32)[..., None] / 255.0
    albedo = canvas.img.astype(np.float32) / 255.0
    # rounded body shading: distance to the silhouette, lit from above
    d = cv2.distanceTransform((mask > 127).astype(np.uint8), cv2.DIST_L2, 3)
    dn = np.clip(d / (0.3 * s), 0.0, 1.0)
    dome = np.sqrt(dn * (2.0 - dn))
    gy, gx = np.gradient(cv2.GaussianBlur(dome, (5, 5), 0))
    shade = 0.55 + 0.35 * dome - 0.9 * s * (gy * 0.6 + gx * 0.3) - 0.12 * (yy - cy) / s
    fur = 1.0 + 0.07 * _noise(rng, size, size // 3, size // 6)
    if tabby:
        phase = rng.uniform(0, 6)
        wave = np.sin((xx - cx) / s * 9.0 + 1.5 * _noise(rng, size, 4) + phase)
        fur *= 1.0 - 0.35 * (wave > 0.3)
    animal = albedo * (np.clip(shade, 0.3, 1.3) * fur)[..., None]
    out = animal * alpha + scene * (1.0 - alpha)
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8), label


# --------------------------------------------------------------------------- public API


def _generate(render, n: int, seed: int, split: str, size: int):
    n, size = int(n), int(size)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}")
    code = _split_code(split)
    images = np.empty((n, size, size, 3), np.uint8)
    labels = np.empty((n,), np.int32)
    for i in range(n):
        images[i], labels[i] = render(int(seed), code, i, size)
    return images, labels


def generate_fruits(n: int, seed: int = 0, split: str = "train", size: int = 100):
    """``n`` synthetic fruit pictures: ``(n, size, size, 3)`` uint8 RGB, ``(n,)`` int32 labels.

    Labels index :data:`FRUIT_CLASSES`; image ``i`` depends only on ``(seed, split, i)``.
    """
    return _generate(_fruit_image, n, seed, split, size)


def generate_animals(n: int, seed: int = 0, split: str = "train", size: int = 100):
    """``n`` synthetic animal scenes: ``(n, size, size, 3)`` uint8 RGB, ``(n,)`` int32 labels.

    Labels index :data:`ANIMAL_CLASSES`; image ``i`` depends only on ``(seed, split, i)``.
    """
    return _generate(_animal_image, n, seed, split, size)


# Colour photographs shipped inside the scikit-image wheel (no download needed).
PHOTO_NAMES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "stereo_motorcycle",
)


@functools.lru_cache(maxsize=4)
def _photos(size: int):
    import skimage.data

    from .images import resize_center_crop

    images, names = [], []
    for name in PHOTO_NAMES:
        try:
            img = getattr(skimage.data, name)()
        except Exception:  # noqa: BLE001, S112 - a file missing from this skimage build
            continue
        if isinstance(img, tuple):  # stereo_motorcycle -> (left, right, disparity)
            img = img[0]
        img = np.asarray(img)
        if img.ndim != 3 or img.shape[2] < 3:
            continue
        images.append(resize_center_crop(img[..., :3].astype(np.uint8), size))
        names.append(name)
    stack = np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8)
    stack.setflags(write=False)
    return stack, tuple(names)


def photos(size: int = 100) -> tuple[np.ndarray, list[str]]:
    """scikit-image's colour photographs, resized + centre-cropped: ``(n, size, size, 3)``
    uint8 RGB (n = 8 with scikit-image 0.26) and their names."""
    images, names = _photos(int(size))
    return images.copy(), list(names)
