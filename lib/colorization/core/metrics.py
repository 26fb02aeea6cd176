"""Offline colorization metrics in raw units, vectorised over a batch of images (NumPy).

The prediction is judged as the user sees it: the predicted ab joined with the *true* L,
converted to sRGB for the RGB metrics. ``rgb_true`` is ``(N, H, W, 3)`` uint8 or float in
[0, 1]; ``ab_pred`` is ``(N, H, W, 2)`` in ab units (``color.denormalize_ab``).

Per image (:func:`evaluate_images`): ``ab_mae`` (mean |Δa|, |Δb|); ``delta_e`` (ΔE76, mean
||Δab||); ``psnr`` (sRGB, MAX = 1, capped at 100 dB); ``ssim`` (scikit-image, Gaussian sigma
1.5, population covariance, mean over R, G, B); ``chroma_pred/true`` (mean sqrt(a² + b²));
``colorfulness_pred/true`` (Hasler & Süsstrunk 2003); ``auc`` (Zhang et al.'s AuC, percent:
the mean over thresholds t = 0..150 ab units of P(||Δab|| <= t)); ``ciede2000`` (mean ΔE₀₀,
scikit-image); ``hue_error`` (degrees, see :func:`hue_error`; NaN without chromatic pixels).

Per set (:func:`claim_metrics`): ``spread_ratio`` (how much the per-image mean ab varies,
over the truth's: 0 = the same colour for every image); ``gray_stain``
(:func:`gray_stain_share`); ``green_share`` / ``green_share_true`` (pixels with a <= -5);
``mean_a``; ``ab_error_under_128`` (share of a, b errors where SmoothL1 on [-1, 1] is half
the squared error); with class labels, ``class_hue_error`` and ``class_hue_error_max``
(:func:`class_hue_errors`). The ab-magnitude metrics cannot tell a uniform tint from a real
colouring; ``hue_error``, ``ciede2000``, ``spread_ratio`` and ``class_hue_error`` can.
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.metrics import structural_similarity

from colorization.core import color

PSNR_CAP_DB = 100.0
AUC_MAX_THRESHOLD = 150  # ab units; thresholds are 0, 1, ..., 150
SSIM_SIGMA = 1.5
SSIM_WINDOW = 11  # skimage's Gaussian window at sigma 1.5 (truncated at 3.5 sigma)
_PIXELS_PER_CHUNK = 256 * 100 * 100  # bounds memory: 256 images of 100x100 at a time

PER_IMAGE_KEYS = ("ab_mae", "delta_e", "psnr", "ssim", "chroma_pred", "chroma_true",
                  "colorfulness_pred", "colorfulness_true", "auc", "ciede2000", "hue_error")

HUE_MIN_CHROMA = 10.0  # ab units: a true pixel (or class) this saturated has a hue to match
HUE_PRED_MIN_CHROMA = 2.0  # ab units: a prediction below this has no hue (scores 90 degrees)
NO_HUE_ERROR_DEG = 90.0  # the mean angle of a guess with no information about the hue


def _rgb_float(rgb) -> np.ndarray:
    rgb = np.asarray(rgb)
    return rgb.astype(np.float32) / (255.0 if rgb.dtype == np.uint8 else 1.0)


def psnr(rgb_a, rgb_b) -> np.ndarray:
    """Per-image PSNR (dB, MAX = 1) of ``(N, H, W, C)`` arrays in [0, 1], capped at 100 dB."""
    diff = np.asarray(rgb_a, np.float64) - np.asarray(rgb_b, np.float64)
    mse = np.mean(np.square(diff), axis=(1, 2, 3))
    floor = 10.0 ** (-PSNR_CAP_DB / 10.0)  # the MSE at which PSNR reaches the cap
    return 10.0 * np.log10(1.0 / np.maximum(mse, floor))


def ssim(rgb_a, rgb_b, data_range: float = 1.0) -> np.ndarray:
    """Per-image SSIM of ``(N, H, W, C)`` arrays, averaged over channels, as Wang et al.
    (2004) define it (Gaussian weights, population covariance)."""
    a = np.asarray(rgb_a, np.float64)
    b = np.asarray(rgb_b, np.float64)
    if min(a.shape[1:3]) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW} pixels a side")
    return np.array([structural_similarity(x, y, gaussian_weights=True, sigma=SSIM_SIGMA,
                                           use_sample_covariance=False, data_range=data_range,
                                           channel_axis=-1) for x, y in zip(a, b, strict=True)])


def colorfulness(rgb) -> np.ndarray:
    """Hasler & Süsstrunk colourfulness per image of ``(N, H, W, 3)`` RGB in 0..255."""
    rgb = np.asarray(rgb, np.float64)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = (red - green).reshape(len(rgb), -1)
    yb = (0.5 * (red + green) - blue).reshape(len(rgb), -1)
    spread = np.sqrt(rg.var(axis=1) + yb.var(axis=1))
    offset = np.sqrt(rg.mean(axis=1) ** 2 + yb.mean(axis=1) ** 2)
    return spread + 0.3 * offset


def auc(ab_pred, ab_true) -> np.ndarray:
    """Zhang's AuC (percent) per image, in closed form: an error e passes
    ``clip(151 - ceil(e), 0, 151)`` of the 151 thresholds."""
    error = np.linalg.norm(np.asarray(ab_pred, np.float64) - ab_true, axis=-1)
    n_thresholds = AUC_MAX_THRESHOLD + 1
    passed = np.clip(n_thresholds - np.ceil(error), 0, n_thresholds)
    return 100.0 * passed.reshape(len(error), -1).mean(axis=1) / n_thresholds


def ciede2000(lab_a, lab_b) -> np.ndarray:
    """Per-pixel CIEDE2000 ΔE₀₀ of ``(..., 3)`` Lab arrays -> ``(...)`` float64."""
    return deltaE_ciede2000(np.asarray(lab_a, np.float64), np.asarray(lab_b, np.float64))


def hue_angle(ab_a, ab_b) -> np.ndarray:
    """Angle in degrees, 0..180, between ab vectors ``(..., 2)`` (0 where either is 0)."""
    ab_a = np.asarray(ab_a, np.float64)
    ab_b = np.asarray(ab_b, np.float64)
    cross = ab_a[..., 0] * ab_b[..., 1] - ab_a[..., 1] * ab_b[..., 0]
    dot = (ab_a * ab_b).sum(axis=-1)
    return np.rad2deg(np.arctan2(np.abs(cross), dot))


def hue_error(ab_pred, ab_true) -> np.ndarray:
    """Per-image hue error, degrees: the mean angle between predicted and true ab over the
    pixels with true chroma >= :data:`HUE_MIN_CHROMA`; a prediction with chroma below
    :data:`HUE_PRED_MIN_CHROMA` scores 90 (so grey scores 90). NaN for an image without such
    a pixel."""
    ab_pred = np.asarray(ab_pred, np.float64)
    ab_true = np.asarray(ab_true, np.float64)
    chromatic = np.linalg.norm(ab_true, axis=-1) >= HUE_MIN_CHROMA
    has_hue = np.linalg.norm(ab_pred, axis=-1) >= HUE_PRED_MIN_CHROMA
    angle = np.where(has_hue, hue_angle(ab_pred, ab_true), NO_HUE_ERROR_DEG)
    total = np.where(chromatic, angle, 0.0).sum(axis=(1, 2))
    count = chromatic.sum(axis=(1, 2))
    return np.divide(total, count, out=np.full(len(ab_true), np.nan), where=count > 0)


def _true_lab(rgb) -> np.ndarray:
    """Lab float64 of uint8 or [0, 1] float RGB."""
    rgb = np.asarray(rgb)
    to_lab = color.rgb_uint8_to_lab if rgb.dtype == np.uint8 else color.rgb_to_lab
    return color.to_numpy(to_lab(rgb)).astype(np.float64)


def _evaluate_chunk(rgb: np.ndarray, ab_pred: np.ndarray) -> dict[str, np.ndarray]:
    lab_true, rgb_true = _true_lab(rgb), _rgb_float(rgb)
    lightness, ab_true = color.split_lab(lab_true)
    ab_pred = np.asarray(ab_pred, np.float64)
    rgb_pred = color.recolor(lightness, ab_pred)
    ab_error = ab_pred - ab_true
    return {
        "ab_mae": np.abs(ab_error).mean(axis=(1, 2, 3)),
        "delta_e": np.linalg.norm(ab_error, axis=-1).mean(axis=(1, 2)),
        "psnr": psnr(rgb_pred, rgb_true),
        "ssim": ssim(rgb_pred, rgb_true),
        "chroma_pred": np.linalg.norm(ab_pred, axis=-1).mean(axis=(1, 2)),
        "chroma_true": np.linalg.norm(ab_true, axis=-1).mean(axis=(1, 2)),
        "colorfulness_pred": colorfulness(255.0 * rgb_pred.astype(np.float64)),
        "colorfulness_true": colorfulness(255.0 * rgb_true.astype(np.float64)),
        "auc": auc(ab_pred, ab_true),
        "ciede2000": ciede2000(lab_true, np.concatenate([lightness, ab_pred], axis=-1))
        .mean(axis=(1, 2)),
        "hue_error": hue_error(ab_pred, ab_true),
    }


def evaluate_images(rgb_true, ab_pred) -> dict[str, np.ndarray]:
    """Per-image metrics: ``{key: (N,) float64}`` for the keys in :data:`PER_IMAGE_KEYS`,
    computed in chunks of about 2.5M pixels."""
    rgb_true = np.asarray(rgb_true)
    ab_pred = np.asarray(ab_pred)
    if rgb_true.ndim != 4 or rgb_true.shape[-1] != 3:
        raise ValueError(f"rgb_true must be (N, H, W, 3), got {rgb_true.shape}")
    if ab_pred.shape != rgb_true.shape[:-1] + (2,):
        raise ValueError(f"ab_pred must be {rgb_true.shape[:-1] + (2,)}, got {ab_pred.shape}")
    n_images, height, width = rgb_true.shape[:3]
    chunk = max(1, _PIXELS_PER_CHUNK // (height * width))
    parts = [_evaluate_chunk(rgb_true[i : i + chunk], ab_pred[i : i + chunk])
             for i in range(0, n_images, chunk)]
    if not parts:
        return {key: np.zeros(0) for key in PER_IMAGE_KEYS}
    return {key: np.concatenate([part[key] for part in parts]) for key in PER_IMAGE_KEYS}


def summarize(per_image: dict) -> dict[str, float]:
    """Means of the per-image metrics (``hue_error`` over the images that have one), plus
    ``chroma_ratio`` = mean(chroma_pred) / mean(chroma_true) (1 = as saturated as the truth,
    0 = grey) and ``colorfulness_diff`` = mean(colorfulness_pred - colorfulness_true)."""
    summary = {key: float(np.mean(values)) for key, values in per_image.items()}
    if "hue_error" in per_image:
        values = np.asarray(per_image["hue_error"], np.float64)
        valid = values[~np.isnan(values)]
        summary["hue_error"] = float(valid.mean()) if valid.size else float("nan")
    chroma_true = summary["chroma_true"]
    summary["chroma_ratio"] = summary["chroma_pred"] / chroma_true if chroma_true else float("nan")
    diff = per_image["colorfulness_pred"] - per_image["colorfulness_true"]
    summary["colorfulness_diff"] = float(np.mean(diff))
    return summary


STAIN_TRUE_CHROMA = 15.0  # ab units: a pixel that is clearly coloured in the truth
STAIN_PRED_CHROMA = 5.0  # ab units: a pixel the prediction leaves (nearly) grey
GREEN_A = -5.0  # ab units: a at or below this is a visible green cast
SMOOTH_L1_SYMMETRIC_AB = 128.0  # SmoothL1's beta = 1 on [-1, 1] targets, in ab units


def prediction_spread(ab) -> float:
    """sqrt(var(mean a) + var(mean b)) over images, in ab units: 0 when every image gets
    the same mean colour."""
    means = np.asarray(ab, np.float64).reshape(len(ab), -1, 2).mean(axis=1)
    return float(np.sqrt(means.var(axis=0).sum())) if len(means) else float("nan")


def gray_stain_share(ab_pred, ab_true) -> float:
    """The "gray stains" of the paper's Fig. 8: the share of truly coloured pixels (true
    chroma >= :data:`STAIN_TRUE_CHROMA`) predicted grey (chroma below
    :data:`STAIN_PRED_CHROMA` and below a quarter of the image's median). Only images whose
    prediction varies in chroma there (std >= half :data:`STAIN_PRED_CHROMA`) count: NaN if
    none does."""
    true_c = np.linalg.norm(np.asarray(ab_true, np.float64), axis=-1)
    pred_c = np.linalg.norm(np.asarray(ab_pred, np.float64), axis=-1)
    stained = total = 0
    for t, p in zip(true_c.reshape(len(true_c), -1), pred_c.reshape(len(pred_c), -1),
                    strict=True):
        coloured = t >= STAIN_TRUE_CHROMA
        if coloured.any() and np.std(p[coloured]) >= STAIN_PRED_CHROMA / 2:
            level = np.median(p[coloured])
            stained += int(((p < STAIN_PRED_CHROMA) & (p < 0.25 * level) & coloured).sum())
            total += int(coloured.sum())
    return stained / total if total else float("nan")


def green_share(ab) -> float:
    """Share of pixels with a <= :data:`GREEN_A` (a visible green cast)."""
    a = np.asarray(ab, np.float64)[..., 0]
    return float((a <= GREEN_A).mean()) if a.size else float("nan")


def class_hue_errors(rgb_true, ab_pred, labels) -> dict[int, float]:
    """Per-class hue error, degrees: ``{label: angle}`` between the mean predicted and the
    mean true ab over the class's chromatic pixels (90 if the predicted mean has no hue).
    ``labels``: ``(N,)`` integer class per image, -1 = unknown (ignored). Classes without
    chromatic pixels, or whose true hues cancel out, are left out."""
    ab_true = color.split_lab(_true_lab(rgb_true))[1]
    return _class_hue_errors(ab_true, np.asarray(ab_pred, np.float64), labels)


def _class_hue_errors(ab_true: np.ndarray, ab_pred: np.ndarray, labels) -> dict[int, float]:
    n_images = len(ab_true)
    labels = np.asarray(labels)
    if labels.shape != (n_images,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be ({n_images},) integers, got {labels.shape} {labels.dtype}"
        )
    chromatic = (np.linalg.norm(ab_true, axis=-1) >= HUE_MIN_CHROMA).reshape(n_images, -1, 1)
    true_sums = np.where(chromatic, ab_true.reshape(n_images, -1, 2), 0.0).sum(axis=1)
    pred_sums = np.where(chromatic, ab_pred.reshape(n_images, -1, 2), 0.0).sum(axis=1)
    counts = chromatic.sum(axis=(1, 2))
    errors = {}
    for label in np.unique(labels[labels >= 0]):
        members = labels == label
        count = counts[members].sum()
        if count == 0:
            continue
        true_mean = true_sums[members].sum(axis=0) / count
        pred_mean = pred_sums[members].sum(axis=0) / count
        if np.hypot(*true_mean) < HUE_PRED_MIN_CHROMA:
            continue  # the class's hues cancel out
        if np.hypot(*pred_mean) < HUE_PRED_MIN_CHROMA:
            errors[int(label)] = NO_HUE_ERROR_DEG
        else:
            errors[int(label)] = float(hue_angle(pred_mean, true_mean))
    return errors


def claim_metrics(rgb_true, ab_pred, labels=None) -> dict[str, float]:
    """The set-level metrics of the module docstring; with ``labels`` (see
    :func:`class_hue_errors`) and some class to score, also ``class_hue_error`` (the mean over
    classes) and ``class_hue_error_max``."""
    ab_true = color.split_lab(_true_lab(rgb_true))[1]
    ab_pred = np.asarray(ab_pred, np.float64)
    truth = prediction_spread(ab_true)
    result = {
        "spread_ratio": prediction_spread(ab_pred) / truth if truth else float("nan"),
        "gray_stain": gray_stain_share(ab_pred, ab_true),
        "green_share": green_share(ab_pred),
        "green_share_true": green_share(ab_true),
        "mean_a": float(ab_pred[..., 0].mean()) if ab_pred.size else float("nan"),
        "ab_error_under_128": (float((np.abs(ab_pred - ab_true) < SMOOTH_L1_SYMMETRIC_AB).mean())
                               if ab_pred.size else float("nan")),
    }
    per_class = [] if labels is None else list(_class_hue_errors(ab_true, ab_pred, labels).values())
    if per_class:
        result.update(class_hue_error=float(np.mean(per_class)),
                      class_hue_error_max=float(np.max(per_class)))
    return result


def gray_baseline(rgb_true) -> dict[str, float]:
    """:func:`summarize` of the grey baseline (a = b = 0), keys suffixed ``_gray`` (truth-only
    keys left out): computed once, it serves several predictions of the same images."""
    rgb_true = np.asarray(rgb_true)
    gray_ab = np.zeros(rgb_true.shape[:-1] + (2,), np.float32)
    gray = summarize(evaluate_images(rgb_true, gray_ab))
    return {f"{key}_gray": value for key, value in gray.items() if not key.endswith("_true")}


def mean_ab(rgb) -> np.ndarray:
    """The mean ab ``(2,)`` of ``rgb`` images, in ab units: a training set's mean tint."""
    return color.split_lab(_true_lab(rgb))[1].reshape(-1, 2).mean(axis=0)


def tint_baseline(rgb_true, tint) -> dict[str, float]:
    """:func:`summarize` and :func:`claim_metrics` of predicting the constant ab ``tint``
    (:func:`mean_ab`) everywhere, keys suffixed ``_tint`` (truth-only keys left out): what a
    network that has only learned the dataset's average colour scores."""
    rgb_true = np.asarray(rgb_true)
    ab = np.broadcast_to(np.asarray(tint, np.float32), rgb_true.shape[:-1] + (2,))
    out = summarize(evaluate_images(rgb_true, ab))
    out.update(claim_metrics(rgb_true, ab))
    return {f"{key}_tint": float(value) for key, value in out.items()
            if not key.endswith("_true")}


def evaluate_with_baseline(rgb_true, ab_pred, labels=None, gray=None, tint=None
                           ) -> dict[str, float]:
    """Python floats: :func:`summarize` and :func:`claim_metrics` of the prediction,
    :func:`gray_baseline` (or ``gray`` when already computed; with ``labels`` also the class
    keys, 90 for grey) and ``n_images``. ``tint``: the training set's mean ab, or its
    :func:`tint_baseline` when already computed, adds the ``_tint`` keys."""
    ab_pred = np.asarray(ab_pred)
    summary = summarize(evaluate_images(rgb_true, ab_pred))
    summary.update(claim_metrics(rgb_true, ab_pred, labels=labels))
    summary.update(gray_baseline(rgb_true) if gray is None else gray)
    if labels is not None:
        # grey has no hue: every class scored (which depends on the truth alone) scores 90
        summary.update({f"{key}_gray": NO_HUE_ERROR_DEG
                        for key in ("class_hue_error", "class_hue_error_max") if key in summary})
    if tint is not None:
        summary.update(tint if isinstance(tint, dict) else tint_baseline(rgb_true, tint))
    summary["n_images"] = float(ab_pred.shape[0])
    return summary
