"""Zhang's quantised ab space: the in-gamut bins, soft encoding, rebalancing, annealed mean."""

from __future__ import annotations

import numpy as np
import pytest

from colorization.core import color, quantize


def _cells_reached_by_all_8bit_srgb() -> set[tuple[int, int]]:
    """Independently of quantize: every 8-bit colour through the pipeline's Lab conversion,
    ab rounded to the grid of 10, distinct cells collected (16 chunks of 1M colours)."""
    cells: set[tuple[int, int]] = set()
    v = np.arange(256, dtype=np.uint8)
    for red in range(0, 256, 16):
        r, g, b = np.meshgrid(np.arange(red, red + 16, dtype=np.uint8), v, v, indexing="ij")
        rgb = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=-1)
        ab = color.to_numpy(color.rgb_uint8_to_lab(rgb))[:, 1:]
        cell = np.round(ab / 10.0).astype(np.int64) + 64  # ab/10 in [-13, 13]: 51..77
        codes = np.unique(cell[:, 0] * 256 + cell[:, 1])  # one integer a cell: a fast unique
        a, b = (codes // 256 - 64) * 10, (codes % 256 - 64) * 10
        cells.update(zip(a.tolist(), b.tolist(), strict=True))
    return cells


def test_q_is_the_number_of_grid_cells_reached_by_all_8bit_srgb_colours():
    centres = quantize.ab_bins()
    expected = _cells_reached_by_all_8bit_srgb()
    assert centres.shape == (len(expected), 2) and centres.dtype == np.float32
    assert set(map(tuple, centres.astype(np.int64).tolist())) == expected
    assert quantize.n_bins() == len(expected) == 261  # documented in quantize's docstring
    # Sorted by (a, b), no duplicates, on the grid.
    assert np.all(centres % 10 == 0)
    assert np.array_equal(centres, centres[np.lexsort((centres[:, 1], centres[:, 0]))])


def _random_ab(n, seed=0):
    rng = np.random.default_rng(seed)
    centres = quantize.ab_bins()
    return (centres[rng.integers(len(centres), size=n)]
            + rng.uniform(-5, 5, size=(n, 2))).astype(np.float32)


def test_soft_encoding_sums_to_one_on_the_five_nearest_bins():
    ab = _random_ab(500)
    encoded = color.to_numpy(quantize.soft_encode(ab.reshape(5, 10, 10, 2))).reshape(500, -1)
    assert encoded.shape == (500, quantize.n_bins())
    np.testing.assert_allclose(encoded.sum(-1), 1.0, atol=1e-5)
    d2 = ((ab[:, None, :] - quantize.ab_bins()[None]) ** 2).sum(-1)
    nearest = np.argsort(d2, axis=-1)[:, :5]
    for row, near, dist in zip(encoded, nearest, d2, strict=True):
        assert set(np.flatnonzero(row)) == set(near)
        # Gaussian in the distance, sigma 5: weight ratios follow exp(-d^2 / 50).
        expected = np.exp(-dist[near] / 50.0)
        np.testing.assert_allclose(row[near], expected / expected.sum(), rtol=1e-3, atol=1e-6)


def test_rebalancing_weights_have_prior_weighted_mean_one():
    prior = np.random.default_rng(1).dirichlet(np.full(quantize.n_bins(), 0.3))
    weights = quantize.rebalancing_weights(prior)
    assert weights.shape == prior.shape and np.all(weights > 0)
    assert np.sum(prior * weights) == pytest.approx(1.0, abs=1e-5)
    # Rare colours weigh more; with lambda = 1 every class weighs the same.
    order = np.argsort(prior)
    assert np.all(np.diff(weights[order]) <= 1e-6)
    np.testing.assert_allclose(quantize.rebalancing_weights(prior, lam=1.0), 1.0, rtol=1e-6)


def test_empirical_prior_is_a_distribution_and_cached(tmp_path):
    from colorization.core import paths
    from colorization.data import datasets

    images = datasets.load("synthetic-fruits", "train", image_size=16, max_images=12).images
    prior = quantize.cached_prior(images, "synthetic-fruits")
    assert prior.shape == (quantize.n_bins(),)
    assert prior.sum() == pytest.approx(1.0) and np.all(prior >= 0)
    cached = list((paths.data_dir() / "priors").glob("synthetic-fruits-16px-12img-*.npy"))
    assert len(cached) == 1
    np.testing.assert_array_equal(quantize.cached_prior(images, "synthetic-fruits"), prior)
    # Fruits on white: the grey bin (0, 0) is the most frequent colour.
    assert tuple(quantize.ab_bins()[np.argmax(prior)]) == (0.0, 0.0)


def test_annealed_mean_at_t1_is_the_expectation_and_tends_to_the_mode():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4, 3, quantize.n_bins())).astype(np.float32) * 3
    logits += 2.0 * (logits == logits.max(-1, keepdims=True))  # a clear mode
    centres = quantize.ab_bins()
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    expectation = probs @ centres
    np.testing.assert_allclose(color.to_numpy(quantize.annealed_mean(logits, 1.0)),
                               expectation, atol=1e-3)
    mode = centres[np.argmax(logits, axis=-1)]
    np.testing.assert_allclose(color.to_numpy(quantize.annealed_mean(logits, 1e-9)), mode)
    np.testing.assert_allclose(color.to_numpy(quantize.annealed_mean(logits, 0.01)), mode,
                               atol=0.5)
    # Lower temperature: further from grey on average (the point of annealing).
    chroma = {t: np.linalg.norm(color.to_numpy(quantize.annealed_mean(logits, t)), axis=-1)
              for t in (0.2, 1.0)}
    assert chroma[0.2].mean() > chroma[1.0].mean()
