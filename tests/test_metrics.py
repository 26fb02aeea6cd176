"""Metrics on hand-computable images."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from colorization import color, metrics


def colourful_images(n=3, size=24, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (n, 4, 4, 3), dtype=np.uint8)
    return np.repeat(np.repeat(base, size // 4, axis=1), size // 4, axis=2)


def true_ab(rgb):
    return color.to_numpy(color.rgb_uint8_to_lab(rgb))[..., 1:].astype(np.float64)


def test_perfect_prediction():
    rgb = colourful_images()
    per_image = metrics.evaluate_images(rgb, true_ab(rgb))
    assert set(per_image) == set(metrics.PER_IMAGE_KEYS)
    assert all(v.shape == (3,) for v in per_image.values())
    np.testing.assert_allclose(per_image["ab_mae"], 0.0, atol=1e-12)
    np.testing.assert_allclose(per_image["auc"], 100.0)
    assert per_image["psnr"].min() > 60.0 and per_image["psnr"].max() <= metrics.PSNR_CAP_DB
    np.testing.assert_allclose(per_image["ssim"], 1.0, atol=1e-6)
    summary = metrics.summarize(per_image)
    assert summary["chroma_ratio"] == pytest.approx(1.0)
    assert summary["colorfulness_diff"] == pytest.approx(0.0, abs=1e-3)


def test_gray_baseline_matches_hand_computation():
    rgb = colourful_images()
    ab = true_ab(rgb)
    result = metrics.evaluate_with_baseline(rgb, ab)
    assert result["ab_mae_gray"] == pytest.approx(np.abs(ab).mean(), rel=1e-9)
    chroma = np.sqrt((ab**2).sum(-1))
    assert result["delta_e_gray"] == pytest.approx(chroma.mean(), rel=1e-9)
    assert result["chroma_ratio_gray"] == 0.0
    assert result["chroma_ratio"] == pytest.approx(1.0)
    assert result["psnr_gray"] < result["psnr"]
    assert result["auc_gray"] < 100.0
    assert result["n_images"] == 3.0
    assert all(type(v) is float for v in result.values())
    for key in ("psnr", "ssim", "ab_mae", "delta_e", "auc", "chroma_ratio", "colorfulness_diff"):
        assert f"{key}_gray" in result


def test_float_input_equals_uint8_input():
    rgb = colourful_images(n=2)
    ab = true_ab(rgb) * 0.5
    a = metrics.evaluate_images(rgb, ab)
    b = metrics.evaluate_images(rgb.astype(np.float64) / 255.0, ab)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-5)


def test_colorfulness():
    gray = np.full((1, 4, 4, 3), 128.0)
    assert metrics.colorfulness(gray)[0] == pytest.approx(0.0)
    # half pure red (255, 0, 0), half pure blue (0, 0, 255)
    img = np.zeros((1, 2, 2, 3))
    img[0, 0, :, 0] = 255.0
    img[0, 1, :, 2] = 255.0
    # red: rg = 255, yb = 127.5; blue: rg = 0, yb = -255
    rg, yb = np.array([255.0, 0.0]), np.array([127.5, -255.0])
    expected = np.sqrt(rg.var() + yb.var()) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    assert metrics.colorfulness(img)[0] == pytest.approx(expected)
    assert expected == pytest.approx(np.sqrt(127.5**2 + 191.25**2) + 0.3 * np.hypot(127.5, 63.75))


def test_ssim_matches_skimage():
    rng = np.random.default_rng(1)
    a = rng.random((3, 30, 23, 3))
    b = np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1)
    ours = metrics.ssim(a, b)
    reference = [
        structural_similarity(
            a[i],
            b[i],
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1.0,
            channel_axis=-1,
        )
        for i in range(3)
    ]
    np.testing.assert_allclose(ours, reference, atol=1e-10)
    np.testing.assert_allclose(metrics.ssim(a, a), 1.0)


def test_psnr_cap():
    a = np.random.default_rng(2).random((2, 8, 8, 3))
    np.testing.assert_allclose(metrics.psnr(a, a), metrics.PSNR_CAP_DB)
    b = a.copy()
    b[1] = np.clip(b[1] + 0.1, 0, 1)
    b[0] = a[0]
    assert metrics.psnr(a, b)[1] < 30.0


@pytest.mark.parametrize(
    ("error", "expected"),
    [(0.0, 100.0), (10.0, 100 * 141 / 151), (10.5, 100 * 140 / 151), (200.0, 0.0)],
)
def test_auc_constant_error(error, expected):
    ab_true = np.zeros((1, 4, 4, 2))
    ab_pred = ab_true.copy()
    ab_pred[..., 0] = error
    assert metrics.auc(ab_pred, ab_true)[0] == pytest.approx(expected)


def test_auc_matches_definition():
    rng = np.random.default_rng(3)
    ab_true = rng.normal(0, 30, (2, 6, 6, 2))
    ab_pred = rng.normal(0, 30, (2, 6, 6, 2))
    error = np.linalg.norm(ab_pred - ab_true, axis=-1).reshape(2, -1)
    cmf = np.stack([(error <= t).mean(axis=1) for t in range(151)], axis=1)
    np.testing.assert_allclose(metrics.auc(ab_pred, ab_true), 100 * cmf.mean(axis=1))


def test_chunks_give_the_same_result(monkeypatch):
    rgb = colourful_images(n=5, size=12)
    ab = true_ab(rgb) * 0.7
    whole = metrics.evaluate_images(rgb, ab)
    monkeypatch.setattr(metrics, "_PIXELS_PER_CHUNK", 2 * 12 * 12)
    chunked = metrics.evaluate_images(rgb, ab)
    for key in whole:
        np.testing.assert_allclose(chunked[key], whole[key], rtol=1e-6, atol=1e-9)


def test_shape_errors():
    rgb = colourful_images(n=1)
    with pytest.raises(ValueError, match="ab_pred"):
        metrics.evaluate_images(rgb, np.zeros((1, 24, 24, 3)))
