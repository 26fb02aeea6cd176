"""Zhang et al.'s quantised ab space: bins, soft encoding, class rebalancing, annealed mean.

**The bins.** ab is cut into cells of a grid of ``GRID = 10`` ab units; a bin is a cell that
some displayable colour reaches. Q is computed here, not downloaded: every one of the
16,777,216 8-bit sRGB colours is converted to Lab with :func:`colorization.core.color.rgb_to_lab`
(the pipeline's own conversion), its ab is rounded to the grid (``round(ab / 10) * 10``,
NumPy's round-half-to-even) and the distinct cells are counted. That gives **Q = 261**
(a in [-90, 100], b in [-110, 90]). Zhang et al. used 313, from their own, wider estimate
of the gamut (ab cells in gamut at *any* L in a continuous sweep, not just the colours an
8-bit image can hold). The bin centres are the cell centres, sorted by (a, b); the result is
cached in memory and in ``data_dir()/priors/`` (the computation takes a few seconds).

**Soft encoding** (:func:`soft_encode`): a true ab is spread over its ``k = 5`` nearest bins
with Gaussian weights (``sigma = 5`` ab units), normalised to sum to one.

**Class rebalancing** (:func:`rebalancing_weights`): with the empirical prior ``p`` of the
training set's ab over the bins (:func:`empirical_prior`: nearest-bin histogram of the
pixels of at most 2,000 training images, smoothed with a Gaussian of sigma 5 over the bin
centres as Zhang does, cached per dataset), ``w ∝ ((1 - λ) p + λ / Q)^-1`` with ``λ = 0.5``,
scaled so that ``sum(p * w) == 1`` (the expected weight of a training pixel is 1, so the
loss keeps its scale).

**Annealed mean** (:func:`annealed_mean`): the predicted distribution ``z`` is re-tempered,
``f_T(z) ∝ exp(log z / T)`` (``softmax(logits / T)``), and its mean taken. ``T = 1`` is the
expectation (desaturated: the mean of a spread of colours is greyish), ``T -> 0`` the mode
(vivid but patchy); Zhang's ``T = 0.38`` is in between.
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

_CODE = 128  # grid index i in [-64, 63] -> i + 64; cell code = (ia + 64) * 128 + (ib + 64)


def _cell_codes(ab: np.ndarray, grid: float) -> np.ndarray:
    idx = np.round(np.asarray(ab, np.float64) / grid).astype(np.int64) + _CODE // 2
    return idx[..., 0] * _CODE + idx[..., 1]


def _gamut_cells(grid: float) -> np.ndarray:
    """Sorted codes of the grid cells reached by all 8-bit sRGB colours."""
    channel = np.arange(256, dtype=np.uint8)
    codes = []
    for red in range(0, 256, 16):  # 16 chunks of 1M colours
        rgb = np.stack(
            np.meshgrid(np.arange(red, red + 16, dtype=np.uint8), channel, channel,
                        indexing="ij"), axis=-1).reshape(-1, 3)
        ab = color.to_numpy(color.rgb_uint8_to_lab(rgb))[:, 1:]
        codes.append(np.unique(_cell_codes(ab, grid)))
    return np.unique(np.concatenate(codes))


@functools.cache
def ab_bins(grid: float = GRID) -> np.ndarray:
    """Bin centres ``(Q, 2)`` float32 in ab units (Q = 261 for the grid of 10), sorted by
    (a, b): the grid cells that the 8-bit sRGB gamut reaches (see the module docstring)."""
    cache = paths.data_dir() / "priors" / f"ab-bins-grid{grid:g}.npy"
    if cache.exists():
        return np.load(cache)
    codes = _gamut_cells(grid)
    centres = np.stack([codes // _CODE - _CODE // 2, codes % _CODE - _CODE // 2], axis=-1)
    centres = (centres * grid).astype(np.float32)
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
    """ab ``(..., 2)`` in ab units -> soft one-hot ``(..., Q)`` float32 summing to one.

    The ``k`` nearest bin centres get ``exp(-d^2 / (2 sigma^2))``, the others 0, then the
    row is normalised. Written with ``keras.ops`` (runs inside a training step on any
    backend); distances via ``|x|^2 - 2 x.c + |c|^2`` so memory is ``(..., Q)``, not
    ``(..., k, Q)``. A pixel exactly equidistant from its k-th and (k+1)-th bins keeps both.
    """
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
    """:func:`empirical_prior` of a training set, computed once and cached on disk.

    At most ``max_images`` images (a seeded random subset) are used. The cache file,
    ``data_dir()/priors/<dataset>-<H>px-<N>img-q<Q>-<hash>.npy``, is keyed by a hash of the
    images used, so a different subset or dataset never reads a stale prior.
    """
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
    """Logits ``(..., Q)`` -> ab ``(..., 2)`` float32 in ab units: the mean of
    ``softmax(logits / T)`` over the bin centres. ``T = 1``: the expectation; ``T -> 0``:
    the mode (``T <= 1e-6`` returns the mode's centre exactly)."""
    centres = ab_bins() if centres is None else centres
    centres = ops.convert_to_tensor(np.asarray(centres, np.float32))
    logits = ops.cast(ops.convert_to_tensor(logits), "float32")
    if temperature <= 1e-6:
        return ops.take(centres, ops.argmax(logits, axis=-1), axis=0)
    probs = ops.softmax(logits / temperature, axis=-1)
    return ops.matmul(probs, centres)
