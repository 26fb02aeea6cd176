"""Metrics on hand-computable images."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000
from skimage.metrics import structural_similarity

from colorization.core import color, metrics


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
    for key in a:  # float32 Lab: a hue of 0 may come out as 1e-5 degrees on some CPUs
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-4)


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


# --- hue-aware metrics -------------------------------------------------------------------

# object colours (sRGB) of five classes with clearly different Lab hues: about 35 (red),
# 138 (green), 297 (blue), 93 (yellow) and 318 (purple) degrees
CLASS_RGB = ((200, 35, 30), (50, 150, 45), (40, 70, 200), (235, 205, 40), (130, 45, 160))
SEPIA_HUE_DEG = 65.0


def fruit_images(per_class=4, size=32, seed=0):
    """``(5 * per_class, size, size, 3)`` uint8 "fruits": a shaded, noisy disc of the class
    colour (jittered per image) on a light, nearly neutral background; and ``(N,)`` labels."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / (size - 1)
    images, labels = [], []
    for label, rgb in enumerate(CLASS_RGB):
        for _ in range(per_class):
            cy, cx = rng.uniform(0.4, 0.6, 2)
            radius = rng.uniform(0.25, 0.35)
            inside = np.hypot(yy - cy, xx - cx) < radius
            # lit from the top left: brighter there, darker towards the far rim
            light = np.clip(np.hypot(yy - cy + 0.15, xx - cx + 0.15) / radius, 0, 1.5)
            tint = np.asarray(rgb) * rng.uniform(0.9, 1.1, 3)
            fruit = tint * (1.15 - 0.35 * light)[..., None] + rng.normal(0, 4, (size, size, 3))
            ground = rng.uniform(215, 245) + rng.normal(0, 2, (size, size, 3))
            image = np.where(inside[..., None], fruit, ground)
            images.append(np.clip(image, 0, 255).round().astype(np.uint8))
            labels.append(label)
    return np.stack(images), np.array(labels)


@pytest.fixture(scope="module")
def fruits():
    rgb, labels = fruit_images()
    return rgb, labels, true_ab(rgb)


def sepia_direction():
    return np.array([np.cos(np.deg2rad(SEPIA_HUE_DEG)), np.sin(np.deg2rad(SEPIA_HUE_DEG))])


def rotate_ab(ab, degrees):
    angle = np.deg2rad(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    return np.stack([cos * ab[..., 0] - sin * ab[..., 1], sin * ab[..., 0] + cos * ab[..., 1]], -1)


def test_fruit_classes_have_distinct_hues(fruits):
    # the premise of the sepia tests: each class is one clear hue, the classes far apart
    rgb, labels, ab = fruits
    chromatic = np.linalg.norm(ab, axis=-1) >= metrics.HUE_MIN_CHROMA
    hues = []
    for label in range(len(CLASS_RGB)):
        mean = ab[labels == label][chromatic[labels == label]].mean(axis=0)
        assert np.hypot(*mean) > 40.0
        hues.append(np.rad2deg(np.arctan2(mean[1], mean[0])) % 360)
    gaps = np.diff(np.sort(hues + [min(hues) + 360]))
    assert gaps.min() > 20.0
    assert 0.1 < chromatic.mean() < 0.5  # objects on a mostly neutral background


def test_uniform_sepia_fails_hue_metrics(fruits):
    """Every pixel of every image the same sepia ab at the truth's mean chroma: chroma alone
    says "as saturated as the truth", every hue-aware measure says "wrong"."""
    rgb, labels, ab = fruits
    mean_chroma = np.linalg.norm(ab, axis=-1).mean()
    sepia = np.broadcast_to(mean_chroma * sepia_direction(), ab.shape)
    result = metrics.evaluate_with_baseline(rgb, sepia, labels=labels)
    assert 0.9 < result["chroma_ratio"] < 1.1  # what chroma alone would pass
    assert result["hue_error"] > 45.0
    assert result["spread_ratio"] < 0.1
    assert result["class_hue_error"] > 45.0
    assert result["class_hue_error_max"] > 90.0  # blue and purple are far from sepia
    assert result["ciede2000"] > 0.8 * result["ciede2000_gray"]
    assert result["hue_error_gray"] == 90.0
    assert result["class_hue_error_gray"] == result["class_hue_error_max_gray"] == 90.0


def test_hue_blind_colouring_fails_hue_metrics(fruits):
    # harder than a uniform tint: each pixel keeps its true chroma (so grey stays grey and the
    # objects vary from image to image) but every hue is sepia
    rgb, labels, ab = fruits
    hue_blind = np.linalg.norm(ab, axis=-1, keepdims=True) * sepia_direction()
    result = metrics.evaluate_with_baseline(rgb, hue_blind, labels=labels)
    assert result["chroma_ratio"] == pytest.approx(1.0, abs=1e-6)
    assert result["hue_error"] > 45.0
    assert result["class_hue_error"] > 45.0
    assert result["class_hue_error_max"] > 90.0
    assert result["ciede2000"] > 0.8 * result["ciede2000_gray"]


@pytest.mark.parametrize("kind", ["noisy", "desaturated"])
def test_good_prediction_passes_hue_metrics(fruits, kind):
    rgb, labels, ab = fruits
    if kind == "noisy":
        pred = ab + np.random.default_rng(1).normal(0, 2, ab.shape)
    else:
        pred = 0.9 * ab
    result = metrics.evaluate_with_baseline(rgb, pred, labels=labels)
    assert result["hue_error"] < 15.0
    assert result["class_hue_error"] < 15.0
    assert result["class_hue_error_max"] < 15.0
    assert result["spread_ratio"] > 0.8
    assert result["ciede2000"] < 0.5 * result["ciede2000_gray"]
    assert 0.85 < result["chroma_ratio"] < 1.15


def test_ciede2000_matches_skimage():
    rng = np.random.default_rng(4)
    n = 2000
    lab_a = np.stack([rng.uniform(0, 100, n), rng.uniform(-110, 110, n),
                      rng.uniform(-110, 110, n)], -1)
    lab_b = np.stack([rng.uniform(0, 100, n), rng.uniform(-110, 110, n),
                      rng.uniform(-110, 110, n)], -1)
    # edge cases: grey on one side or both, opposite hues (the mean-hue branch at 180 deg)
    lab_b[:3] = [[50, 0, 0], [60, 0, 0], [50, -lab_a[2, 1], -lab_a[2, 2]]]
    lab_a[1] = [50, 0, 0]
    np.testing.assert_allclose(
        metrics.ciede2000(lab_a, lab_b), deltaE_ciede2000(lab_a, lab_b), rtol=1e-10, atol=1e-10
    )
    # Sharma, Wu & Dalal (2005) test data, pairs 1, 7, 13, 15, 17, 21, 22
    sharma = [
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((50, 2.49, -0.001), (50, -2.49, 0.0009), 7.1792),
        ((50, 2.49, -0.001), (50, -2.49, 0.0011), 7.2195),
        ((50, -0.001, 2.49), (50, 0.0009, -2.49), 4.8045),
        ((50, 2.5, 0), (73, 25, -18), 27.1492),
        ((50, 2.5, 0), (61, -5, 29), 22.8977),
    ]
    first = np.array([pair[0] for pair in sharma], np.float64)
    second = np.array([pair[1] for pair in sharma], np.float64)
    expected = [pair[2] for pair in sharma]
    np.testing.assert_allclose(metrics.ciede2000(first, second), expected, atol=5e-5)


def test_ciede2000_per_image_is_the_pixel_mean():
    rgb = colourful_images(n=3, size=12)
    ab = true_ab(rgb)
    pred = ab + np.random.default_rng(5).normal(0, 15, ab.shape)
    lab = color.to_numpy(color.rgb_uint8_to_lab(rgb)).astype(np.float64)
    expected = deltaE_ciede2000(lab, np.concatenate([lab[..., :1], pred], -1)).mean(axis=(1, 2))
    np.testing.assert_allclose(metrics.evaluate_images(rgb, pred)["ciede2000"], expected,
                               rtol=1e-9)
    np.testing.assert_allclose(metrics.evaluate_images(rgb, ab)["ciede2000"], 0.0, atol=1e-9)


@pytest.mark.parametrize("degrees", [-30.0, 10.0, 45.0, 120.0, 180.0])
def test_hue_error_of_a_rotation(fruits, degrees):
    rgb, _, ab = fruits
    per_image = metrics.evaluate_images(rgb, rotate_ab(ab, degrees))
    np.testing.assert_allclose(per_image["hue_error"], abs(degrees), atol=1e-6)
    assert metrics.summarize(per_image)["hue_error"] == pytest.approx(abs(degrees), abs=1e-6)


def test_hue_error_of_grey_and_of_grey_truth():
    ab_true = np.zeros((3, 4, 4, 2))
    ab_true[0, :2, :, 0] = 30.0  # half chromatic (a = 30), half grey
    ab_true[1, ...] = [0.0, 40.0]
    # image 2: grey everywhere but one pixel just under the chromatic threshold
    ab_true[2, 0, 0] = [0.0, metrics.HUE_MIN_CHROMA - 1e-6]
    pred = ab_true.copy()
    pred[0, 0, 0] = [0.0, 30.0]  # 90 degrees off
    pred[0, 0, 1] = [1.0, 1.0]  # no hue (chroma < 2): scores 90 too
    pred[0, 2:] = [-50.0, 0.0]  # grey truth here: ignored
    pred[1, :, :, 0] = 40.0  # 45 degrees off
    errors = metrics.hue_error(pred, ab_true)
    np.testing.assert_allclose(errors[:2], [2 * 90.0 / 8, 45.0])  # image 0: 2 of 8 at 90
    assert np.isnan(errors[2])
    np.testing.assert_array_equal(metrics.hue_error(np.zeros_like(ab_true), ab_true)[:2], 90.0)
    summary = metrics.summarize({"hue_error": errors, "chroma_pred": np.ones(3),
                                 "chroma_true": np.ones(3), "colorfulness_pred": np.ones(3),
                                 "colorfulness_true": np.ones(3)})
    assert summary["hue_error"] == pytest.approx(33.75)  # the NaN image left out


def test_hue_error_nan_only_when_no_image_has_colour():
    gray = np.full((2, 16, 16, 3), 128, np.uint8)
    gray[1] = 40
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice"
        per_image = metrics.evaluate_images(gray, np.full((2, 16, 16, 2), 20.0))
        assert np.isnan(per_image["hue_error"]).all()
        assert np.isnan(metrics.summarize(per_image)["hue_error"])
    rgb = np.concatenate([gray, colourful_images(n=1, size=16)])
    per_image = metrics.evaluate_images(rgb, true_ab(rgb) * 0.5)
    assert np.isnan(per_image["hue_error"][:2]).all()
    assert metrics.summarize(per_image)["hue_error"] == pytest.approx(0.0, abs=1e-6)


def test_gray_baseline_hue_error_is_90(fruits):
    rgb, _, ab = fruits
    result = metrics.evaluate_with_baseline(rgb, ab)
    assert result["hue_error_gray"] == 90.0
    assert result["hue_error"] == pytest.approx(0.0, abs=1e-6)
    assert result["ciede2000"] == pytest.approx(0.0, abs=1e-9) and result["ciede2000_gray"] > 1


def solid_images(colours, size=4):
    """``(len(colours), size, size, 3)`` uint8 images, each one flat sRGB colour."""
    return np.broadcast_to(np.asarray(colours, np.uint8)[:, None, None, :],
                           (len(colours), size, size, 3)).copy()


def test_class_hue_errors_by_hand():
    red, green, blue, grey = (200, 40, 40), (40, 160, 40), (50, 60, 200), (128, 128, 128)
    rgb = solid_images([red, red, green, green, blue, grey, grey, red])
    labels = np.array([0, 0, 1, 1, 2, 3, 3, -1])
    ab = true_ab(rgb)
    pred = ab.copy()
    pred[2:4] = -ab[2:4]  # class 1: the opposite hue
    pred[4] = 0.5  # class 2: no hue (chroma < 2)
    pred[5:7] = [30.0, 0.0]  # class 3: grey truth, no hue to match: left out
    pred[7] = -ab[7]  # unknown label: ignored
    errors = metrics.class_hue_errors(rgb, pred, labels)
    assert set(errors) == {0, 1, 2}
    assert errors[0] == pytest.approx(0.0, abs=1e-6)
    assert errors[1] == pytest.approx(180.0, abs=1e-6)
    assert errors[2] == 90.0
    claims = metrics.claim_metrics(rgb, pred, labels=labels)
    assert claims["class_hue_error"] == pytest.approx(90.0)
    assert claims["class_hue_error_max"] == pytest.approx(180.0)
    # a class is judged on its *mean* hue: half right, half a little off -> half the offset
    pred = ab.copy()
    pred[1] = rotate_ab(ab[1], 20.0)
    assert metrics.class_hue_errors(rgb, pred, labels)[0] == pytest.approx(10.0, abs=1e-6)


def test_class_keys_only_with_labels():
    rgb = colourful_images(n=4, size=12)
    ab = true_ab(rgb)
    plain = metrics.evaluate_with_baseline(rgb, ab)
    assert not any(key.startswith("class_hue") for key in plain)
    assert set(metrics.claim_metrics(rgb, ab)) == {
        "spread_ratio", "gray_stain", "green_share", "green_share_true", "mean_a",
        "ab_error_under_128"}
    labelled = metrics.evaluate_with_baseline(rgb, ab, labels=np.array([0, 1, 1, -1]))
    assert set(labelled) - set(plain) == {"class_hue_error", "class_hue_error_max",
                                          "class_hue_error_gray", "class_hue_error_max_gray"}
    np.testing.assert_equal({key: labelled[key] for key in plain}, plain)
    assert all(type(v) is float for v in labelled.values())
    # no class with chromatic pixels (all unknown, or all grey): no class keys
    assert "class_hue_error" not in metrics.claim_metrics(rgb, ab, labels=np.full(4, -1))
    grey = np.full((2, 12, 12, 3), 90, np.uint8)
    assert "class_hue_error" not in metrics.claim_metrics(grey, np.zeros((2, 12, 12, 2)),
                                                          labels=np.array([0, 1]))
    with pytest.raises(ValueError, match="labels"):
        metrics.claim_metrics(rgb, ab, labels=np.array([0, 1]))
