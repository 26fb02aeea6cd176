"""Drawing helpers shared by the procedural fruits and animals of :mod:`.synthetic`: pixel
grids, smooth noise, shading, colour jitter."""

from __future__ import annotations

import functools

import cv2
import numpy as np

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
    """Shade an object: Lambert + Phong from ``LIGHT``; composite on ``background``.

    ``height`` (H, W) in object units (radius 1), ``scale`` pixels per unit; ``albedo``
    (H, W, 3) in 0..1; ``gloss`` scalar or (H, W). Returns (H, W, 3) float32 in 0..1.
    """
    gy, gx = np.gradient(height * scale)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    nx, ny, nz = -gx / norm, -gy / norm, 1.0 / norm
    diffuse = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0.0, 1.0)
    spec = np.clip(nx * HALF[0] + ny * HALF[1] + nz * HALF[2], 0.0, 1.0) ** 24
    color = albedo * (0.32 + 0.78 * diffuse)[..., None] + (gloss * spec)[..., None]
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (3, 3), 0.6)[..., None]
    return color * alpha + background * (1.0 - alpha)


# --------------------------------------------------------------------------- fruits
# Each painter takes (rng, u, v, size) in the object frame (unit = fruit radius, v down the
# fruit's axis) and returns (mask, height, albedo, gloss).
