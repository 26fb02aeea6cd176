"""Zhang et al.'s quantised ab space: bins, soft encoding, class rebalancing, annealed mean.

The bins are the cells of a 10-ab-unit grid that some 8-bit sRGB colour reaches, computed here
from all 16,777,216 colours with the pipeline's own Lab conversion: Q = 261 (Zhang et al. used
313, from a wider gamut estimate). They are cached in ``data_dir()/priors/``. A true ab is
soft-encoded over its 5 nearest bins (Gaussian, sigma 5); class rebalancing weights pixels by
``w ∝ ((1 - λ) p + λ / Q)^-1`` (λ = 0.5, ``p`` the training set's smoothed prior, ``sum(p w)
= 1``); the annealed mean decodes ``softmax(logits / T)`` with Zhang's ``T = 0.38``, between
the desaturated mean (T = 1) and the patchy mode (T -> 0).
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from keras import ops

from colorization.core import color, fileio, paths

GRID = 10.0
SIGMA = 5.0
NEIGHBOURS = 5
LAMBDA = 0.5
TEMPERATURE = 0.38
PRIOR_MAX_IMAGES = 2000


def _gamut_cells(grid: float) -> np.ndarray:
    """Grid indices ``(Q, 2)`` of the cells reached by all 8-bit sRGB colours, sorted."""
    channel = np.arange(256, dtype=np.uint8)
    cells = []
    for red in range(0, 256, 16):  # 16 chunks of 1M colours
        rgb = np.stack(np.meshgrid(np.arange(red, red + 16, dtype=np.uint8), channel, channel,
                                   indexing="ij"), axis=-1).reshape(-1, 3)
        ab = color.to_numpy(color.rgb_uint8_to_lab(rgb))[:, 1:].astype(np.float64)
        cells.append(np.unique(np.round(ab / grid).astype(np.int64), axis=0))
    return np.unique(np.concatenate(cells), axis=0)


@functools.cache
def ab_bins(grid: float = GRID) -> np.ndarray:
    """Bin centres ``(Q, 2)`` float32 in ab units, sorted by (a, b): the grid cells that the
    8-bit sRGB gamut reaches."""
    cache = paths.data_dir() / "priors" / f"ab-bins-grid{grid:g}.npy"
    if cache.exists():
        return np.load(cache)
    centres = (_gamut_cells(grid) * grid).astype(np.float32)
    _save_npy(cache, centres)
    return centres


def n_bins(grid: float = GRID) -> int:
    """Q, the number of in-gamut bins."""
    return int(ab_bins(grid).shape[0])


def _save_npy(path, array) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with fileio.atomic_write(path, "wb") as f:
        np.save(f, array)


def soft_encode(ab, centres=None, sigma: float = SIGMA, k: int = NEIGHBOURS):
    """ab ``(..., 2)`` in ab units -> soft one-hot ``(..., Q)`` float32 summing to one: the
    ``k`` nearest bins weighted ``exp(-d^2 / (2 sigma^2))``. ``keras.ops``: runs in a
    training step."""
    centres = ab_bins() if centres is None else centres
    centres = ops.convert_to_tensor(np.asarray(centres, np.float32))
    ab = ops.cast(ops.convert_to_tensor(ab), "float32")
    d2 = (ops.sum(ab * ab, axis=-1, keepdims=True) - 2.0 * ops.matmul(ab, ops.transpose(centres))
          + ops.sum(centres * centres, axis=-1))
    d2 = ops.maximum(d2, 0.0)
    kth = -ops.top_k(-d2, k, sorted=True)[0][..., k - 1 : k]  # k-th smallest distance
    weights = ops.where(d2 <= kth, ops.exp(-d2 / (2.0 * sigma * sigma)), 0.0)
    return weights / ops.sum(weights, axis=-1, keepdims=True)


def nearest_bin(ab: np.ndarray, centres=None) -> np.ndarray:
    """Index of the nearest bin ``(...)`` int64 for ab ``(..., 2)`` (NumPy)."""
    centres = ab_bins() if centres is None else np.asarray(centres)
    ab = np.asarray(ab, np.float32).reshape(-1, 2)
    out = np.empty(len(ab), np.int64)
    for start in range(0, len(ab), 65536):
        chunk = ab[start : start + 65536]
        d2 = ((chunk[:, None, :] - centres[None]) ** 2).sum(-1)
        out[start : start + 65536] = d2.argmin(-1)
    return out


def empirical_prior(rgb: np.ndarray, centres=None, sigma: float = SIGMA) -> np.ndarray:
    """Prior ``(Q,)`` float64 summing to one: the nearest-bin histogram of the ab of uint8
    images ``(N, H, W, 3)``, smoothed by a Gaussian of ``sigma`` ab units over the centres."""
    centres = ab_bins() if centres is None else np.asarray(centres)
    counts = np.zeros(len(centres), np.float64)
    for start in range(0, len(rgb), 64):
        ab = color.to_numpy(color.rgb_uint8_to_lab(rgb[start : start + 64]))[..., 1:]
        counts += np.bincount(nearest_bin(ab, centres), minlength=len(centres))
    prior = counts / counts.sum()
    if sigma > 0:
        d2 = ((centres[:, None, :] - centres[None]) ** 2).sum(-1).astype(np.float64)
        kernel = np.exp(-d2 / (2.0 * sigma * sigma))
        prior = kernel @ prior
        prior /= prior.sum()
    return prior


def cached_prior(images: np.ndarray, dataset: str, max_images: int = PRIOR_MAX_IMAGES,
                 seed: int = 0) -> np.ndarray:
    """:func:`empirical_prior` of at most ``max_images`` images (a seeded subset), cached in
    ``data_dir()/priors/`` under a hash of the images used."""
    images = np.asarray(images)
    if len(images) > max_images:
        pick = np.sort(np.random.default_rng(seed).choice(len(images), max_images,
                                                          replace=False))
        images = images[pick]
    digest = hashlib.sha1(np.ascontiguousarray(images).tobytes()).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(dataset))
    name = f"{safe}-{images.shape[1]}px-{len(images)}img-q{n_bins()}-{digest}.npy"
    path = paths.data_dir() / "priors" / name
    if path.exists():
        return np.load(path)
    prior = empirical_prior(images)
    _save_npy(path, prior)
    return prior


def rebalancing_weights(prior: np.ndarray, lam: float = LAMBDA) -> np.ndarray:
    """Zhang's class weights ``(Q,)`` float32: ``w ∝ ((1 - lam) p + lam / Q)^-1``,
    normalised so that ``sum(p * w) == 1``."""
    prior = np.asarray(prior, np.float64)
    weights = 1.0 / ((1.0 - lam) * prior + lam / len(prior))
    return (weights / np.sum(prior * weights)).astype(np.float32)


def annealed_mean(logits, temperature: float = TEMPERATURE, centres=None):
    """Logits ``(..., Q)`` -> ab ``(..., 2)`` float32: the mean of ``softmax(logits / T)``
    over the bin centres (``T <= 1e-6``: the mode's centre)."""
    centres = ab_bins() if centres is None else centres
    centres = ops.convert_to_tensor(np.asarray(centres, np.float32))
    logits = ops.cast(ops.convert_to_tensor(logits), "float32")
    if temperature <= 1e-6:
        return ops.take(centres, ops.argmax(logits, axis=-1), axis=0)
    probs = ops.softmax(logits / temperature, axis=-1)
    return ops.matmul(probs, centres)
