"""Offline colorization metrics in raw units, vectorised over a batch of images (NumPy).

The prediction is judged as the user sees it: the predicted ab joined with the *true* L
(the network never changes L), converted to sRGB for the RGB metrics. Inputs:

- ``rgb_true``: ``(N, H, W, 3)`` uint8 0..255, or float in [0, 1];
- ``ab_pred``: ``(N, H, W, 2)`` float, ab units (about -128..127; ``color.denormalize_ab``
  turns a network output into these).

Per-image metrics (:func:`evaluate_images`, each an ``(N,)`` float64 array):

===================  ======================================================================
``ab_mae``           mean |Δa|, |Δb| over pixels and both channels (ab units)
``delta_e``          ΔE76: mean per-pixel Euclidean Lab distance; L is shared, so ||Δab||₂
``psnr``             on sRGB in [0, 1] (MAX = 1), against the original image; capped at
                     100 dB (a perfect prediction differs from the original only by float32
                     round-off in Lab -> RGB, and identical images would give infinity)
``ssim``             skimage's ``structural_similarity`` with ``gaussian_weights=True``,
                     sigma 1.5 (11x11 window), ``use_sample_covariance=False``,
                     ``data_range=1``, averaged over R, G, B
``chroma_pred/true`` mean sqrt(a² + b²)
``colorfulness_*``   Hasler & Süsstrunk 2003 on RGB 0..255: rg = R - G, yb = (R + G)/2 - B,
                     M = sqrt(σ_rg² + σ_yb²) + 0.3 sqrt(μ_rg² + μ_yb²) (population σ)
``auc``              Zhang et al.'s AuC, percent: e = ||ab_pred - ab_true||₂ per pixel,
                     CMF(t) = P(e <= t) for t = 0, 1, ..., 150 (151 thresholds),
                     AuC = 100 * mean over t of CMF(t). A constant error of 10 gives
                     100 * 141 / 151.
``ciede2000``        mean per-pixel CIEDE2000 ΔE₀₀ (Sharma et al. 2005, kL = kC = kH = 1;
                     ``skimage.color.deltaE_ciede2000``) between the true
                     Lab and (true L, predicted ab). Unlike ΔE76 it weighs hue errors more
                     than chroma errors on saturated colours; about 0 to 100+
``hue_error``        degrees, 0..180: mean angle between the predicted and the true ab
                     vector over the image's *chromatic* pixels (true chroma >=
                     ``HUE_MIN_CHROMA`` = 10 ab units); a pixel predicted with chroma below
                     ``HUE_PRED_MIN_CHROMA`` = 2 has no hue and scores 90 (a guess without
                     information, on average), so the grey baseline scores exactly 90. NaN
                     for an image without chromatic pixels; :func:`summarize` averages over
                     the images that have a value (NaN only if none has)
===================  ======================================================================

The ab-magnitude metrics (``chroma_*``, ``colorfulness_*``, and much of ``ab_mae`` /
``delta_e``) cannot tell a uniform tint (every pixel the same sepia, at the truth's mean
chroma) from a real colouring; ``hue_error``, ``ciede2000``, ``spread_ratio`` and
``class_hue_error`` can.

Set-level metrics that back the paper's claims (:func:`claim_metrics`, also part of
:func:`evaluate_with_baseline`):

===================  ======================================================================
``spread_ratio``     how much the per-image mean ab varies across images, over the same for
                     the truth: ~0 = the same ab for every image (Sec. 5.1, the ~3.5M CNN
                     "at the beginning"), 1 = as varied as the truth
``gray_stain``       share of the truly coloured pixels (true chroma >= 15 ab units) that the
                     prediction leaves grey (chroma < 5 and < 1/4 of the image's median
                     predicted chroma): the "gray stains" of Fig. 8, not overall desaturation.
                     Only images whose prediction varies in chroma over those pixels
                     (standard deviation at least 2.5 ab units) are in its scope: a uniform
                     output has no stains to see, and scores NaN (out of scope), never 0
``ab_error_under_128``  share of the a and b errors below 128 ab units: where SmoothL1 with
                     beta = 1 on [-1, 1] targets is exactly half the squared error (its
                     quadratic branch); 1 means the two losses coincide on this prediction
``green_share``      share of pixels predicted with a visible green cast (a <= -5 ab units);
                     ``green_share_true`` the same for the truth: the "green-ish" images of
                     Sec. 5
``mean_a``           mean predicted a over every pixel (negative = green side)
``class_hue_error``  degrees, 0..180, only with per-image class ``labels``: for each class,
                     the angle between the mean predicted ab and the mean true ab over the
                     class's chromatic pixels (true chroma >= ``HUE_MIN_CHROMA`` = 10); a
                     class whose mean predicted ab has chroma < ``HUE_PRED_MIN_CHROMA`` = 2
                     scores 90; the mean over classes (:func:`class_hue_errors`), and
                     ``class_hue_error_max``, the worst class's. Catches a network that gives
                     every fruit the same hue
===================  ======================================================================

:func:`evaluate_with_baseline` also reports ``class_hue_error_gray`` and
``class_hue_error_max_gray`` (both 90: grey has no hue) when labels are given.

Lab <-> RGB uses ``colorization.core.color`` (the same maths as training).
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.metrics import structural_similarity

from colorization.core import color

PSNR_CAP_DB = 100.0
AUC_MAX_THRESHOLD = 150  # ab units; thresholds are 0, 1, ..., 150
SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5  # skimage's Gaussian window: radius int(3.5 * 1.5 + 0.5) = 5 -> 11x11
_PIXELS_PER_CHUNK = 256 * 100 * 100  # bounds memory: 256 images of 100x100 at a time

PER_IMAGE_KEYS = (
    "ab_mae",
    "delta_e",
    "psnr",
    "ssim",
    "chroma_pred",
    "chroma_true",
    "colorfulness_pred",
    "colorfulness_true",
    "auc",
    "ciede2000",
    "hue_error",
)

HUE_MIN_CHROMA = 10.0  # ab units: a true pixel (or class) this saturated has a hue to match
HUE_PRED_MIN_CHROMA = 2.0  # ab units: a prediction below this has no hue (scores 90 degrees)
NO_HUE_ERROR_DEG = 90.0  # the mean angle of a guess with no information about the hue


def _rgb_float(rgb) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8:
        return rgb.astype(np.float32) / 255.0
    return rgb.astype(np.float32)


def psnr(rgb_a, rgb_b) -> np.ndarray:
    """Per-image PSNR (dB, MAX = 1) of ``(N, H, W, C)`` arrays in [0, 1], capped at 100 dB."""
    diff = np.asarray(rgb_a, np.float64) - np.asarray(rgb_b, np.float64)
    mse = np.mean(np.square(diff), axis=(1, 2, 3))
    floor = 10.0 ** (-PSNR_CAP_DB / 10.0)  # the MSE at which PSNR reaches the cap
    return 10.0 * np.log10(1.0 / np.maximum(mse, floor))


def ssim(rgb_a, rgb_b, data_range: float = 1.0) -> np.ndarray:
    """Per-image mean SSIM of ``(N, H, W, C)`` arrays, averaged over channels: scikit-image's
    ``structural_similarity`` with Gaussian weights (sigma 1.5, an 11x11 window) and the
    population covariance, as Wang et al. (2004) define it."""
    a = np.asarray(rgb_a, np.float64)
    b = np.asarray(rgb_b, np.float64)
    side = 2 * int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5) + 1
    if min(a.shape[1:3]) < side:
        raise ValueError(f"SSIM needs images of at least {side} pixels a side")
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
    """Zhang's AuC (percent) per image; see the module docstring.

    Computed in closed form: the number of integer thresholds t in 0..150 with e <= t is
    ``clip(151 - ceil(e), 0, 151)``, so mean CMF = mean over pixels of that / 151.
    """
    error = np.linalg.norm(
        np.asarray(ab_pred, np.float64) - np.asarray(ab_true, np.float64), axis=-1
    )
    n_thresholds = AUC_MAX_THRESHOLD + 1
    passed = np.clip(n_thresholds - np.ceil(error), 0, n_thresholds)
    return 100.0 * passed.reshape(len(error), -1).mean(axis=1) / n_thresholds


def ciede2000(lab_a, lab_b) -> np.ndarray:
    """Per-pixel CIEDE2000 colour difference ΔE₀₀ of ``(..., 3)`` Lab arrays -> ``(...)``
    float64 (>= 0; about 0..100+, 1 ~ a just-noticeable difference), kL = kC = kH = 1:
    scikit-image's ``deltaE_ciede2000`` (Sharma, Wu & Dalal 2005)."""
    return deltaE_ciede2000(np.asarray(lab_a, np.float64), np.asarray(lab_b, np.float64))


def hue_angle(ab_a, ab_b) -> np.ndarray:
    """Angle in degrees, 0..180, between the ab vectors of ``(..., 2)`` arrays -> ``(...)``.

    atan2(|cross|, dot) rather than arccos(cos): exact near 0 and 180 degrees. 0 where
    either vector is 0 (callers decide what a vector without hue scores)."""
    ab_a = np.asarray(ab_a, np.float64)
    ab_b = np.asarray(ab_b, np.float64)
    cross = ab_a[..., 0] * ab_b[..., 1] - ab_a[..., 1] * ab_b[..., 0]
    dot = (ab_a * ab_b).sum(axis=-1)
    return np.rad2deg(np.arctan2(np.abs(cross), dot))


def hue_error(ab_pred, ab_true) -> np.ndarray:
    """Per-image hue error (degrees, 0..180) of ``(N, H, W, 2)`` ab arrays -> ``(N,)``.

    The mean over the pixels with true chroma >= :data:`HUE_MIN_CHROMA` of the angle between
    predicted and true ab; a pixel predicted with chroma < :data:`HUE_PRED_MIN_CHROMA` scores
    :data:`NO_HUE_ERROR_DEG` (90). NaN for an image without such a pixel."""
    ab_pred = np.asarray(ab_pred, np.float64)
    ab_true = np.asarray(ab_true, np.float64)
    chromatic = np.linalg.norm(ab_true, axis=-1) >= HUE_MIN_CHROMA
    has_hue = np.linalg.norm(ab_pred, axis=-1) >= HUE_PRED_MIN_CHROMA
    angle = np.where(has_hue, hue_angle(ab_pred, ab_true), NO_HUE_ERROR_DEG)
    n_images = len(ab_true)
    total = np.where(chromatic, angle, 0.0).reshape(n_images, -1).sum(axis=1)
    count = chromatic.reshape(n_images, -1).sum(axis=1)
    return np.divide(total, count, out=np.full(n_images, np.nan), where=count > 0)


def _true_lab(rgb) -> np.ndarray:
    """Lab float64 of uint8 or [0, 1] float RGB; uint8 as training computes its targets."""
    rgb = np.asarray(rgb)
    to_lab = color.rgb_uint8_to_lab if rgb.dtype == np.uint8 else color.rgb_to_lab
    return color.to_numpy(to_lab(rgb)).astype(np.float64)


def _evaluate_chunk(rgb: np.ndarray, ab_pred: np.ndarray) -> dict[str, np.ndarray]:
    lab_true, rgb_true = _true_lab(rgb), _rgb_float(rgb)
    lightness, ab_true = color.split_lab(lab_true)
    ab_pred = np.asarray(ab_pred, np.float64)
    rgb_pred = color.recolor(lightness, ab_pred)
    ab_error = ab_pred - ab_true
    pixel_error = np.linalg.norm(ab_error, axis=-1)
    return {
        "ab_mae": np.abs(ab_error).mean(axis=(1, 2, 3)),
        "delta_e": pixel_error.mean(axis=(1, 2)),
        "psnr": psnr(rgb_pred, rgb_true),
        "ssim": ssim(rgb_pred, rgb_true),
        "chroma_pred": np.linalg.norm(ab_pred, axis=-1).mean(axis=(1, 2)),
        "chroma_true": np.linalg.norm(ab_true, axis=-1).mean(axis=(1, 2)),
        "colorfulness_pred": colorfulness(255.0 * rgb_pred.astype(np.float64)),
        "colorfulness_true": colorfulness(255.0 * rgb_true.astype(np.float64)),
        "auc": auc(ab_pred, ab_true),
        "ciede2000": ciede2000(lab_true, np.concatenate([lightness, ab_pred], axis=-1)).mean(
            axis=(1, 2)
        ),
        "hue_error": hue_error(ab_pred, ab_true),
    }


def evaluate_images(rgb_true, ab_pred) -> dict[str, np.ndarray]:
    """Per-image metrics: ``{key: (N,) float64}`` for the keys in :data:`PER_IMAGE_KEYS`.

    ``rgb_true``: ``(N, H, W, 3)`` uint8 or float in [0, 1]. ``ab_pred``: ``(N, H, W, 2)`` in
    ab units, joined with the true L. Processed in chunks of about 2.5M pixels.
    """
    rgb_true = np.asarray(rgb_true)
    ab_pred = np.asarray(ab_pred)
    if rgb_true.ndim != 4 or rgb_true.shape[-1] != 3:
        raise ValueError(f"rgb_true must be (N, H, W, 3), got {rgb_true.shape}")
    if ab_pred.shape != rgb_true.shape[:-1] + (2,):
        raise ValueError(f"ab_pred must be {rgb_true.shape[:-1] + (2,)}, got {ab_pred.shape}")
    n_images, height, width = rgb_true.shape[:3]
    chunk = max(1, _PIXELS_PER_CHUNK // (height * width))
    parts = [
        _evaluate_chunk(rgb_true[i : i + chunk], ab_pred[i : i + chunk])
        for i in range(0, n_images, chunk)
    ]
    if not parts:
        return {key: np.zeros(0) for key in PER_IMAGE_KEYS}
    return {key: np.concatenate([part[key] for part in parts]) for key in PER_IMAGE_KEYS}


def summarize(per_image: dict) -> dict[str, float]:
    """Means of the per-image metrics, plus two derived numbers.

    ``chroma_ratio`` = mean(chroma_pred) / mean(chroma_true): a ratio of means (pixel-weighted
    desaturation of the whole set; a mean of per-image ratios would explode on near-grey
    images). 1 = as saturated as the truth, 0 = grey; NaN if the truth is all grey.
    ``colorfulness_diff`` = mean(colorfulness_pred - colorfulness_true): below 0 = duller.
    ``hue_error`` is averaged over the images that have one (NaN for an image without
    chromatic pixels): NaN only if no image has chromatic pixels.
    """
    summary = {key: float(np.mean(values)) for key, values in per_image.items()}
    if "hue_error" in per_image:
        values = np.asarray(per_image["hue_error"], np.float64)
        valid = values[~np.isnan(values)]
        summary["hue_error"] = float(valid.mean()) if valid.size else float("nan")
    chroma_true = summary["chroma_true"]
    summary["chroma_ratio"] = summary["chroma_pred"] / chroma_true if chroma_true else float("nan")
    summary["colorfulness_diff"] = float(
        np.mean(per_image["colorfulness_pred"] - per_image["colorfulness_true"])
    )
    return summary


STAIN_TRUE_CHROMA = 15.0  # ab units: a pixel that is clearly coloured in the truth
STAIN_PRED_CHROMA = 5.0  # ab units: a pixel the prediction leaves (nearly) grey
GREEN_A = -5.0  # ab units: a at or below this is a visible green cast
SMOOTH_L1_SYMMETRIC_AB = 128.0  # SmoothL1's beta = 1 on [-1, 1] targets, in ab units


def prediction_spread(ab) -> float:
    """Spread across images of the per-image mean ab: sqrt(var(mean a) + var(mean b)) over
    images, in ab units. 0 when every image gets the same mean colour."""
    means = np.asarray(ab, np.float64).reshape(len(ab), -1, 2).mean(axis=1)
    return float(np.sqrt(means.var(axis=0).sum())) if len(means) else float("nan")


def gray_stain_share(ab_pred, ab_true) -> float:
    """Share of the truly coloured pixels (true chroma >= :data:`STAIN_TRUE_CHROMA`) that the
    prediction leaves grey while the rest of the same image is coloured: predicted chroma
    below :data:`STAIN_PRED_CHROMA` and below a quarter of the image's median predicted
    chroma over its coloured pixels. A uniformly desaturated image has no stains; grey
    patches in a coloured prediction do. An image whose prediction does not vary in chroma
    over its coloured pixels (standard deviation below half :data:`STAIN_PRED_CHROMA`) is
    out of scope: a
    uniform output cannot show a stain. NaN if no image is in scope."""
    true_c = np.linalg.norm(np.asarray(ab_true, np.float64), axis=-1)
    pred_c = np.linalg.norm(np.asarray(ab_pred, np.float64), axis=-1)
    stained = total = 0
    for t, p in zip(true_c.reshape(len(true_c), -1), pred_c.reshape(len(pred_c), -1),
                    strict=True):
        coloured = t >= STAIN_TRUE_CHROMA
        if not coloured.any():
            continue
        if np.std(p[coloured]) < STAIN_PRED_CHROMA / 2:
            continue  # a (nearly) uniform prediction: no stain to see
        level = np.median(p[coloured])
        stained += int(((p < STAIN_PRED_CHROMA) & (p < 0.25 * level) & coloured).sum())
        total += int(coloured.sum())
    return stained / total if total else float("nan")


def green_share(ab) -> float:
    """Share of pixels with a <= :data:`GREEN_A` (a visible green cast)."""
    a = np.asarray(ab, np.float64)[..., 0]
    return float((a <= GREEN_A).mean()) if a.size else float("nan")


def _check_labels(labels, n_images: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n_images,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be ({n_images},) integers, got {labels.shape} {labels.dtype}"
        )
    return labels


def _class_hue_errors(ab_true: np.ndarray, ab_pred: np.ndarray, labels) -> dict[int, float]:
    labels = _check_labels(labels, len(ab_true))
    n_images = len(ab_true)
    chromatic = (np.linalg.norm(ab_true, axis=-1) >= HUE_MIN_CHROMA).reshape(n_images, -1, 1)
    # per-image sums over chromatic pixels first: one pass over the pixels, then per class
    true_sums = np.where(chromatic, ab_true.reshape(n_images, -1, 2), 0.0).sum(axis=1)
    pred_sums = np.where(chromatic, ab_pred.reshape(n_images, -1, 2), 0.0).sum(axis=1)
    counts = chromatic.sum(axis=(1, 2))
    errors = {}
    for label in np.unique(labels[labels >= 0]):
        members = labels == label
        count = counts[members].sum()
        if count == 0:
            continue  # no chromatic pixel in this class: no hue to match
        true_mean = true_sums[members].sum(axis=0) / count
        pred_mean = pred_sums[members].sum(axis=0) / count
        if np.hypot(*true_mean) < HUE_PRED_MIN_CHROMA:
            continue  # the class's hues cancel out: no dominant hue to match
        if np.hypot(*pred_mean) < HUE_PRED_MIN_CHROMA:
            errors[int(label)] = NO_HUE_ERROR_DEG
        else:
            errors[int(label)] = float(hue_angle(pred_mean, true_mean))
    return errors


def class_hue_errors(rgb_true, ab_pred, labels) -> dict[int, float]:
    """Per-class hue error, degrees 0..180: ``{label: angle}``.

    ``rgb_true``: ``(N, H, W, 3)`` uint8 or float in [0, 1]; ``ab_pred``: ``(N, H, W, 2)`` ab
    units; ``labels``: ``(N,)`` integer class per image, -1 = unknown (ignored). For each
    class, the angle between the mean predicted ab and the mean true ab over the class's
    chromatic pixels (true chroma >= :data:`HUE_MIN_CHROMA`); :data:`NO_HUE_ERROR_DEG` (90)
    if the mean predicted ab has chroma < :data:`HUE_PRED_MIN_CHROMA`. Classes without
    chromatic pixels, or whose mean true ab is itself below :data:`HUE_PRED_MIN_CHROMA` (their
    hues cancel out), have no hue to match and are left out.
    """
    ab_true = np.asarray(color.split_lab(_true_lab(rgb_true))[1], np.float64)
    return _class_hue_errors(ab_true, np.asarray(ab_pred, np.float64), labels)


def _class_summary(per_class: dict[int, float]) -> dict[str, float]:
    """``class_hue_error`` (mean over classes) and ``class_hue_error_max``; {} if no class."""
    if not per_class:
        return {}
    values = np.array(list(per_class.values()), np.float64)
    return {"class_hue_error": float(values.mean()), "class_hue_error_max": float(values.max())}


def claim_metrics(rgb_true, ab_pred, labels=None) -> dict[str, float]:
    """The set-level metrics in the module docstring's second table.

    ``labels``: optional ``(N,)`` integer class per image (-1 = unknown); with them, and if
    some class has chromatic pixels, also ``class_hue_error`` and ``class_hue_error_max``
    (degrees, see :func:`class_hue_errors`)."""
    ab_true = np.asarray(color.split_lab(_true_lab(rgb_true))[1], np.float64)
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
    if labels is not None:
        result.update(_class_summary(_class_hue_errors(ab_true, ab_pred, labels)))
    return result


def gray_baseline(rgb_true) -> dict[str, float]:
    """:func:`summarize` of the grey baseline (a = b = 0) of ``rgb_true``, each key with the
    suffix ``_gray`` (the truth-only ``chroma_true`` / ``colorfulness_true`` left out): the
    part of :func:`evaluate_with_baseline` that depends on the images alone, so that several
    predictions of the same images (a run's snapshots) compute it once."""
    rgb_true = np.asarray(rgb_true)
    gray_ab = np.zeros(rgb_true.shape[:-1] + (2,), np.float32)
    gray = summarize(evaluate_images(rgb_true, gray_ab))
    return {f"{key}_gray": value for key, value in gray.items() if not key.endswith("_true")}


def mean_ab(rgb) -> np.ndarray:
    """The mean ab of ``rgb`` images (``(N, H, W, 3)``), ``(2,)`` float64, in ab units: a
    training set's mean tint."""
    ab = color.split_lab(_true_lab(rgb))[1]
    return np.asarray(ab, np.float64).reshape(-1, 2).mean(axis=0)


def tint_baseline(rgb_true, tint) -> dict[str, float]:
    """The mean-tint baseline: :func:`summarize` and :func:`claim_metrics` of predicting the
    constant ab ``tint`` (the training set's mean ab, :func:`mean_ab`) for every pixel of
    ``rgb_true``, each key with the suffix ``_tint`` (truth-only keys left out). A network
    that has only learned the dataset's average colour scores about this."""
    rgb_true = np.asarray(rgb_true)
    ab = np.broadcast_to(np.asarray(tint, np.float32), rgb_true.shape[:-1] + (2,))
    out = summarize(evaluate_images(rgb_true, ab))
    out.update(claim_metrics(rgb_true, ab))
    return {f"{key}_tint": float(value) for key, value in out.items()
            if not key.endswith("_true")}


def evaluate_with_baseline(rgb_true, ab_pred, labels=None, gray=None, tint=None
                           ) -> dict[str, float]:
    """:func:`summarize` of the prediction and of the grey baseline (a = b = 0).

    The baseline's numbers carry the suffix ``_gray`` (``psnr_gray``, ``ssim_gray``,
    ``ab_mae_gray``, ``delta_e_gray``, ``auc_gray``, ``ciede2000_gray``, ``hue_error_gray``
    (= 90), ``chroma_ratio_gray`` (= 0), ``colorfulness_diff_gray``, ...; the truth-only
    ``chroma_true`` / ``colorfulness_true`` are not repeated). Also ``n_images`` and
    :func:`claim_metrics` (for the prediction). With ``labels`` (``(N,)`` ints, -1 = unknown)
    also ``class_hue_error`` / ``class_hue_error_max`` and their ``_gray`` (= 90) where some
    class has chromatic pixels. All values are Python floats, unrounded. ``gray``: the
    :func:`gray_baseline` of ``rgb_true`` when already computed. ``tint``: the training set's
    mean ab (:func:`mean_ab`), or its :func:`tint_baseline` dict when already computed; with
    it, the mean-tint baseline's numbers too, suffix ``_tint``.
    """
    ab_pred = np.asarray(ab_pred)
    summary = summarize(evaluate_images(rgb_true, ab_pred))
    summary.update(claim_metrics(rgb_true, ab_pred, labels=labels))
    summary.update(gray_baseline(rgb_true) if gray is None else gray)
    if labels is not None:
        # only the class keys: grey's other set-level numbers are trivial (0) or moot. Grey
        # has no hue, so every class the prediction is scored on scores NO_HUE_ERROR_DEG
        # (which classes count depends on the truth alone).
        summary.update({f"{key}_gray": NO_HUE_ERROR_DEG
                        for key in ("class_hue_error", "class_hue_error_max") if key in summary})
    if tint is not None:
        summary.update(tint if isinstance(tint, dict) else tint_baseline(rgb_true, tint))
    summary["n_images"] = float(ab_pred.shape[0])
    return summary
