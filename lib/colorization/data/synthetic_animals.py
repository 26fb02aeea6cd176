"""Generated animal scenes: a dog, chicken, horse or cat in natural coat colours on grass or
bare ground under a sky, shaded, with a soft shadow (drawn like :mod:`.synthetic`'s fruits)."""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from colorization.data.synthetic import grid, jitter, noise, render_many

ANIMAL_CLASSES = ("dog", "chicken", "horse", "cat")

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

    def _both(self, color):
        """``(canvas, colour)`` for the albedo, then for the mask."""
        return (self.img, tuple(int(255 * c) for c in color)), (self.mask, 255)

    def ellipse(self, x, y, ax, ay, angle, color):
        c, axes = _pt(self.xy(x, y)), _pt((ax * self.s, ay * self.s))
        for im, col in self._both(color):
            cv2.ellipse(im, c, axes, angle * self.facing, 0, 360, col, -1, cv2.LINE_AA, _SHIFT)

    def line(self, pts, width, color):
        ps = [_pt(self.xy(x, y)) for x, y in pts]
        for im, col in self._both(color):
            for a, b in itertools.pairwise(ps):
                cv2.line(im, a, b, col, max(1, round(width * self.s)), cv2.LINE_AA, _SHIFT)

    def poly(self, pts, color):
        ps = np.array([_pt(self.xy(x, y)) for x, y in pts], np.int32)
        for im, col in self._both(color):
            cv2.fillPoly(im, [ps], col, cv2.LINE_AA, _SHIFT)


_DOG_COATS = (  # (coat, ears)
    ((0.45, 0.28, 0.14), (0.25, 0.15, 0.08)), ((0.82, 0.62, 0.32), (0.55, 0.36, 0.16)),
    ((0.13, 0.11, 0.10), (0.30, 0.22, 0.14)), ((0.90, 0.86, 0.78), (0.50, 0.32, 0.16)))
_CAT_COATS = (  # (coat, tabby stripes)
    ((0.88, 0.52, 0.22), True), ((0.55, 0.53, 0.50), True),
    ((0.12, 0.11, 0.11), False), ((0.93, 0.92, 0.88), False))
_HORSE_COATS = (  # (coat, mane)
    ((0.50, 0.27, 0.12), (0.10, 0.08, 0.07)), ((0.64, 0.31, 0.13), (0.45, 0.20, 0.08)),
    ((0.84, 0.82, 0.79), (0.60, 0.58, 0.56)), ((0.15, 0.12, 0.11), (0.08, 0.07, 0.06)))
_CHICKEN_COATS = ((0.96, 0.95, 0.91), (0.62, 0.30, 0.11), (0.96, 0.95, 0.91))
_RED = (0.86, 0.10, 0.10)
_YELLOW = (0.96, 0.72, 0.20)
_EYE = (0.05, 0.04, 0.04)


def _dog(cv: _Canvas, rng):
    coat, ear = (jitter(rng, c, 0.05) for c in _DOG_COATS[rng.integers(len(_DOG_COATS))])
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


def _chicken(cv: _Canvas, rng):
    coat = jitter(rng, _CHICKEN_COATS[rng.integers(len(_CHICKEN_COATS))], 0.04)
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


def _horse(cv: _Canvas, rng):
    coat, mane = (jitter(rng, c, 0.05) for c in _HORSE_COATS[rng.integers(len(_HORSE_COATS))])
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


def _cat(cv: _Canvas, rng):
    coat, tabby = _CAT_COATS[rng.integers(len(_CAT_COATS))]
    coat = jitter(rng, coat, 0.05)
    for x in (-0.65, -0.45, 0.5, 0.68):
        cv.line([(x, 0.1), (x + rng.normal(0, 0.04), 0.9)], 0.14, coat)
    cv.line([(-0.8, -0.1), (-1.25, -0.25), (-1.45, -0.7), (-1.35, -1.05)], 0.11, coat)
    cv.ellipse(0, 0, 0.9, 0.38, 0, coat)
    cv.ellipse(1.0, -0.5, 0.34, 0.31, 0, coat)
    cv.poly([(0.72, -0.62), (0.78, -1.05), (0.98, -0.76)], coat)
    cv.poly([(1.05, -0.78), (1.25, -1.05), (1.28, -0.6)], coat)
    eye = jitter(rng, (0.55, 0.70, 0.20), 0.1)
    cv.ellipse(1.1, -0.55, 0.06, 0.05, 0, eye)
    cv.ellipse(1.3, -0.42, 0.05, 0.035, 0, (0.8, 0.45, 0.45))
    return tabby  # the other painters return None: no stripes


_ANIMAL_PAINTERS = (_dog, _chicken, _horse, _cat)
_ANIMAL_SCALE = (0.25, 0.19, 0.22, 0.21)
_ANIMAL_LEGS = (0.95, 0.95, 1.42, 0.9)  # from the body's centre to the feet, in units


def _scene(rng, size: int, horizon: float) -> np.ndarray:
    """Sky with clouds above ``horizon`` (pixels), grass or bare ground below: (H, W, 3)."""
    yy, _xx = grid(size)
    t = np.clip(yy / max(horizon, 1.0), 0.0, 1.0)[..., None]
    top = jitter(rng, (0.22, 0.44, 0.85), 0.08)
    low = jitter(rng, (0.70, 0.82, 0.96), 0.03)
    sky = top * (1.0 - t) + low * t
    clouds = np.clip(noise(rng, size, 4, 6) - rng.uniform(0.2, 1.0), 0.0, 0.6)[..., None] / 0.6
    sky = sky * (1.0 - clouds) + np.float32(0.97) * clouds
    depth = np.clip((yy - horizon) / max(size - horizon, 1.0), 0.0, 1.0)[..., None]
    if rng.random() < 0.65:  # grass: vertical blades, darker and coarser towards the viewer
        base = jitter(rng, (0.28, 0.55, 0.16), 0.08)
        blades = noise(rng, size, max(size // 10, 2), size // 2)
        fine = rng.standard_normal((size, size)).astype(np.float32)
        fine = cv2.GaussianBlur(fine, (1, 5), 0)
        tex = 1.0 + 0.22 * blades + 0.12 * fine
        ground = base * tex[..., None] * (1.05 - 0.3 * depth)
        ground[..., 0] += 0.05 * np.clip(blades, 0, None)  # yellow tips
    else:  # bare ground: smoother brown with pebbles
        base = jitter(rng, (0.58, 0.45, 0.30), 0.08)
        tex = 1.0 + 0.08 * noise(rng, size, 6) + 0.05 * noise(rng, size, size // 4)
        ground = base * tex[..., None] * (1.0 - 0.2 * depth)
    return np.clip(np.where((yy >= horizon)[..., None], ground, sky), 0.0, 1.0).astype(np.float32)


def _animal_image(seed: int, code: int, i: int, size: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng([seed, code, i])
    label = i % len(ANIMAL_CLASSES)
    horizon = size * rng.uniform(0.3, 0.6)
    scene = _scene(rng, size, horizon)
    s = size * _ANIMAL_SCALE[label] * rng.uniform(0.85, 1.12)
    facing = float(rng.choice([-1.0, 1.0]))
    feet = size * rng.uniform(0.8, 0.96)
    cx = size * rng.uniform(0.38, 0.62) - facing * 0.2 * s
    cy = feet - _ANIMAL_LEGS[label] * s
    canvas = _Canvas(size, cx, cy, s, facing)
    tabby = bool(_ANIMAL_PAINTERS[label](canvas, rng))
    yy, xx = grid(size)
    # soft shadow under the animal
    shadow = np.exp(-(((xx - cx) / (1.1 * s)) ** 2 + ((yy - feet) / (0.12 * s)) ** 2))
    scene = scene * (1.0 - 0.45 * shadow)[..., None]
    alpha = canvas.mask.astype(np.float32)[..., None] / 255.0
    albedo = canvas.img.astype(np.float32) / 255.0
    # rounded body shading: distance to the silhouette, lit from above
    d = cv2.distanceTransform((canvas.mask > 127).astype(np.uint8), cv2.DIST_L2, 3)
    dn = np.clip(d / (0.3 * s), 0.0, 1.0)
    dome = np.sqrt(dn * (2.0 - dn))
    gy, gx = np.gradient(cv2.GaussianBlur(dome, (5, 5), 0))
    shade = 0.55 + 0.35 * dome - 0.9 * s * (gy * 0.6 + gx * 0.3) - 0.12 * (yy - cy) / s
    fur = 1.0 + 0.07 * noise(rng, size, size // 3, size // 6)
    if tabby:
        phase = rng.uniform(0, 6)
        wave = np.sin((xx - cx) / s * 9.0 + 1.5 * noise(rng, size, 4) + phase)
        fur *= 1.0 - 0.35 * (wave > 0.3)
    animal = albedo * (np.clip(shade, 0.3, 1.3) * fur)[..., None]
    out = animal * alpha + scene * (1.0 - alpha)
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8), label


def generate_animals(n: int, seed: int = 0, split: str = "train", size: int = 100):
    """``n`` animal scenes, ``(n, size, size, 3)`` uint8 RGB, and their :data:`ANIMAL_CLASSES`
    labels ``(n,)`` int32; image ``i`` depends only on ``(seed, split, i)``."""
    return render_many(_animal_image, n, seed, split, size)
