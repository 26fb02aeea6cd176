"""The paper's claims as data, each decided by the numbers of this suite's runs.

Every claim Depaoli & Mistrali make is one :class:`Claim` in :data:`CLAIMS`: where the paper
makes it, its words, the experiments it reads (:data:`colorization.experiments.EXPERIMENTS`),
the metric and the rule that decides it, and the scale it needs. :func:`verdict` turns the
runs' numbers (an :class:`Evidence`) into one of

- ``reproduced``: the rule holds on this run's numbers;
- ``not reproduced``: it does not;
- ``not testable at this scale``: the run is too short or on the wrong data to say, with
  the reason (an experiment not run, fewer epochs than the claim names, generated images
  where the claim is about real animal photos).

A claim about what happens *after* N epochs can be settled early in one direction only: a
network that already colours well before epoch 10 reproduces "colours well after 10 epochs"
(``early="reproduced"``), and a network that already colours after 8 epochs refutes
"colours nothing after 600 epochs" (``early="not reproduced"``). The other outcome waits for
the scale.

The numbers: test-set metrics from :func:`colorization.experiments.evaluate` (with the gray
baseline), the same on the never-seen photographs (``photos``), per-epoch metrics of the
fixed snapshot images (8 test images; :func:`snapshot_metrics`), and images/s from
``history.csv``. Thresholds are named in each rule, so a reader can disagree with one.

:func:`table` gives the rows for a profile (optionally one notebook's claims);
:func:`format_text`, :func:`format_markdown` and :func:`format_html` render them;
:func:`write` stores them in ``reports/results.json`` under ``"claims"``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from colorization import experiments, metrics, paths

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable at this scale"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE)

# Datasets that count as the paper's data: Fruits-360 photos (Kaggle or the shipped sample)
# for fruits; only the Kaggle Animals-10 photos for animals.
REAL = {"fruits": ("fruits", "fruits360-sample"), "animals": ("animals",)}


class Missing(Exception):
    """A number a rule needs is absent (experiment not run, metric not computed)."""


@dataclass
class Evidence:
    """The numbers rules read, per experiment name.

    ``metrics``: test-set metrics (:func:`colorization.metrics.evaluate_with_baseline` keys);
    ``photos``: the same on the never-seen photographs; ``epochs``: epochs trained;
    ``dataset``: the dataset the run actually used; ``history``: ``history.csv`` rows;
    ``snapshots``: ``{epoch: metrics of the snapshot test images}``.
    """

    metrics: dict[str, dict] = field(default_factory=dict)
    photos: dict[str, dict] = field(default_factory=dict)
    epochs: dict[str, int] = field(default_factory=dict)
    dataset: dict[str, str] = field(default_factory=dict)
    history: dict[str, list] = field(default_factory=dict)
    snapshots: dict[str, dict] = field(default_factory=dict)

    def m(self, name: str, key: str, where: str = "metrics") -> float:
        table = getattr(self, where).get(name)
        if table is None:
            raise Missing(f"{name} has no {'test' if where == 'metrics' else where} metrics")
        value = table.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise Missing(f"{name}: metric {key!r} missing (evaluate the run again)")
        return float(value)

    def snap(self, name: str) -> dict[int, dict]:
        snaps = self.snapshots.get(name)
        if not snaps:
            raise Missing(f"{name} has no snapshots")
        return {int(e): v for e, v in snaps.items()}

    def images_per_second(self, name: str) -> float:
        rows = [r for r in self.history.get(name, []) if _finite(r.get("images_per_second"))]
        if not rows:
            raise Missing(f"{name} has no timed epochs in history.csv")
        later = rows[1:] or rows  # the first epoch includes tracing/compilation
        values = sorted(float(r["images_per_second"]) for r in later)
        return values[len(values) // 2]


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


Rule = Callable[[Evidence], tuple[bool, str]]


@dataclass(frozen=True)
class Claim:
    """One claim of the paper. ``decide(evidence) -> (holds, measured text)``;
    ``min_epochs``: epochs every experiment needs before the claim can be judged;
    ``real``: the kind of real data it needs ("fruits"/"animals"; "" = any data shows it);
    ``early``: the verdict that stands below ``min_epochs`` (see the module docstring)."""

    id: str
    where: str
    says: str
    experiments: tuple[str, ...]
    metric: str
    rule: str
    decide: Rule
    notebook: str
    min_epochs: int = 0
    real: str = ""
    early: str | None = None


# ------------------------------------------------------------------ rule building blocks
def _ratio(ev, name, key="ab_mae", where="metrics") -> float:
    """A metric over its gray baseline (ab MAE 0.4 = 40 % of leaving the image gray)."""
    gray = ev.m(name, f"{key}_gray", where)
    return ev.m(name, key, where) / gray if gray else float("nan")


def _gain(ev, name, where="metrics") -> float:
    return ev.m(name, "psnr", where) - ev.m(name, "psnr_gray", where)


def _colours_well(ev, name) -> tuple[bool, str]:
    gain, ratio = _gain(ev, name), _ratio(ev, name)
    return gain >= 5 and ratio <= 0.5, f"{name}: +{gain:.1f} dB over gray, ab MAE {ratio:.2f}x gray"


def _snapshot_at(ev, name, last_epoch: int) -> tuple[int, dict]:
    """The latest snapshot at or before ``last_epoch``."""
    snaps = {e: v for e, v in ev.snap(name).items() if e <= last_epoch}
    if not snaps:
        raise Missing(f"{name} has no snapshot at or before epoch {last_epoch}")
    epoch = max(snaps)
    return epoch, snaps[epoch]


def _snap_ratio(m: dict) -> float:
    return m["ab_mae"] / m["ab_mae_gray"] if m.get("ab_mae_gray") else float("nan")


def _photos_worse(name):
    def rule(ev):
        test, photos = _ratio(ev, name), _ratio(ev, name, where="photos")
        return photos > test, (f"{name}: ab MAE {photos:.2f}x gray on never-seen photos vs "
                               f"{test:.2f}x on test images")
    return rule


# ------------------------------------------------------------------ the rules
def _zhang_full_colours(ev):
    return _colours_well(ev, "zhang-full-fruits")


def _zhang_full_slow(ev):
    full = ev.images_per_second("zhang-full-fruits")
    small = ev.images_per_second("cnn-fruits-mse")
    return full <= 0.25 * small, (f"{full:.0f} images/s vs {small:.0f} for the ~1M CNN "
                                  f"({full / small:.2f}x)")


def _cnn_fruits_few_epochs(ev):
    epoch, m = _snapshot_at(ev, "cnn-fruits-mse", 3)
    ratio = _snap_ratio(m)
    return ratio <= 0.7, f"epoch {epoch}: ab MAE {ratio:.2f}x gray on the snapshot test images"


def _fruits_easy(ev):
    a, text_a = _colours_well(ev, "cnn-fruits-mse")
    b, text_b = _colours_well(ev, "ae-fruits-mse")
    return a and b, f"{text_a}; {text_b}"


def _losses_similar(ev):
    dpsnr = ev.m("cnn-fruits-mse", "psnr") - ev.m("cnn-fruits-smoothl1", "psnr")
    mse, sl1 = ev.m("cnn-fruits-mse", "ab_mae"), ev.m("cnn-fruits-smoothl1", "ab_mae")
    rel = abs(sl1 - mse) / mse if mse else float("nan")
    return abs(dpsnr) <= 1.0 and rel <= 0.2, (f"PSNR differs by {abs(dpsnr):.2f} dB, ab MAE "
                                              f"by {100 * rel:.0f} % ({mse:.2f} vs {sl1:.2f})")


def _mse_more_saturated(ev):
    mse = ev.m("cnn-fruits-mse", "chroma_ratio")
    sl1 = ev.m("cnn-fruits-smoothl1", "chroma_ratio")
    return mse > sl1 + 0.02, f"chroma ratio MSE {mse:.2f} vs SmoothL1 {sl1:.2f}"


def _sl1_less_confusion(ev):
    de_m, de_s = ev.m("cnn-fruits-mse", "delta_e"), ev.m("cnn-fruits-smoothl1", "delta_e")
    st_m, st_s = ev.m("cnn-fruits-mse", "gray_stain"), ev.m("cnn-fruits-smoothl1", "gray_stain")
    return de_s < de_m and st_s <= st_m, (f"ΔE76 SmoothL1 {de_s:.2f} vs MSE {de_m:.2f}; "
                                          f"gray stains {100 * st_s:.1f} % vs {100 * st_m:.1f} %")


def _no_desaturation_fruits(ev):
    cnn = ev.m("cnn-fruits-mse", "chroma_ratio")
    ae = ev.m("ae-fruits-mse", "chroma_ratio")
    return min(cnn, ae) >= 0.85, f"chroma ratio CNN {cnn:.2f}, autoencoder {ae:.2f}"


def _augmentation_useless(ev):
    plain, flip = ev.m("cnn-fruits-mse", "ab_mae"), ev.m("cnn-fruits-mse-flip", "ab_mae")
    dpsnr = ev.m("cnn-fruits-mse-flip", "psnr") - ev.m("cnn-fruits-mse", "psnr")
    gain = (plain - flip) / plain if plain else float("nan")
    return gain <= 0.05 and dpsnr <= 0.3, (f"flips change ab MAE by {-100 * gain:+.0f} % "
                                           f"({plain:.2f} -> {flip:.2f}), PSNR by {dpsnr:+.2f} dB")


def _small_cnn_fails_animals(ev):
    ratio, chroma = _ratio(ev, "cnn-small-animals-mse"), ev.m("cnn-small-animals-mse",
                                                              "chroma_ratio")
    return chroma < 0.6 and ratio > 0.8, f"ab MAE {ratio:.2f}x gray, chroma ratio {chroma:.2f}"


def _same_ab_first(ev):
    snaps = ev.snap("cnn-animals-mse")
    first = min(snaps)
    spread = snaps[first].get("spread_ratio")
    if spread is None:
        raise Missing("cnn-animals-mse snapshots lack spread_ratio")
    last = max(snaps)
    text = (f"epoch {first}: spread of per-image mean ab {spread:.2f}x the truth's "
            f"(epoch {last}: {snaps[last].get('spread_ratio', float('nan')):.2f}x)")
    return spread <= 0.25, text


def _learns_after_50(ev):
    snaps = ev.snap("cnn-animals-mse")
    good = [e for e, m in sorted(snaps.items()) if _snap_ratio(m) <= 0.8]
    first = good[0] if good else None
    text = (f"first snapshot with ab MAE <= 0.8x gray: epoch {first}" if first else
            f"no snapshot up to epoch {max(snaps)} reaches ab MAE <= 0.8x gray")
    return first is not None and 20 <= first <= 100, text


def _ae_small_nothing(ev):
    ratio = _ratio(ev, "ae-small-fruits-mse")
    chroma = ev.m("ae-small-fruits-mse", "chroma_ratio")
    return ratio >= 0.9 or chroma < 0.2, (f"after {ev.epochs.get('ae-small-fruits-mse')} "
                                          f"epochs: ab MAE {ratio:.2f}x gray, chroma ratio "
                                          f"{chroma:.2f}")


def _ae_10_epochs(ev):
    epoch, m = _snapshot_at(ev, "ae-fruits-mse", 10)
    ratio = _snap_ratio(m)
    gain = m["psnr"] - m["psnr_gray"]
    return ratio <= 0.5 and gain >= 5, (f"epoch {epoch}: +{gain:.1f} dB over gray, ab MAE "
                                        f"{ratio:.2f}x gray on the snapshot test images")


def _ae_animals_less_desaturated(ev):
    sl1 = ev.m("ae-animals-smoothl1", "chroma_ratio")
    mse = ev.m("ae-animals-mse", "chroma_ratio")
    return sl1 > mse + 0.02, f"chroma ratio SmoothL1 {sl1:.2f} vs MSE {mse:.2f}"


def _ae_animals_stains(ev):
    sl1 = ev.m("ae-animals-smoothl1", "gray_stain")
    mse = ev.m("ae-animals-mse", "gray_stain")
    return sl1 > mse and mse <= 0.5 * sl1, (f"gray stains SmoothL1 {100 * sl1:.1f} % vs MSE "
                                            f"{100 * mse:.1f} % of coloured pixels")


def _ae_faster(ev):
    cnn, ae = ev.snap("cnn-animals-mse"), ev.snap("ae-animals-mse")
    common = sorted(set(cnn) & set(ae))
    if not common:
        raise Missing("cnn-animals-mse and ae-animals-mse share no snapshot epoch")
    e = common[0]
    c, a = _snap_ratio(cnn[e]), _snap_ratio(ae[e])
    return a < c, f"epoch {e}: ab MAE autoencoder {a:.2f}x gray vs CNN {c:.2f}x"


def _cnn_better_end(ev):
    cc, ca = ev.m("cnn-animals-mse", "chroma_ratio"), ev.m("ae-animals-mse", "chroma_ratio")
    ec, ea = ev.m("cnn-animals-mse", "ab_mae"), ev.m("ae-animals-mse", "ab_mae")
    return cc > ca and ec < ea, (f"chroma ratio CNN {cc:.2f} vs autoencoder {ca:.2f}; "
                                 f"ab MAE {ec:.2f} vs {ea:.2f}")


def _ae_desaturates_unseen(ev):
    photos = ev.m("ae-animals-mse", "chroma_ratio", "photos")
    test = ev.m("ae-animals-mse", "chroma_ratio")
    return photos < 0.7 and photos < test, (f"chroma ratio {photos:.2f} on never-seen photos "
                                            f"vs {test:.2f} on test images")


def _green(ev):
    parts, ok = [], True
    for name in ("cnn-animals-mse", "ae-animals-mse"):
        pred, true = ev.m(name, "green_share"), ev.m(name, "green_share_true")
        mean_a = ev.m(name, "mean_a")
        ok = ok and pred > true and mean_a < 0
        parts.append(f"{name}: green pixels {100 * pred:.0f} % (truth {100 * true:.0f} %), "
                     f"mean a {mean_a:+.1f}")
    return ok, "; ".join(parts)


def _animals_meaningful(ev):
    c, a = _ratio(ev, "cnn-animals-mse"), _ratio(ev, "ae-animals-mse")
    return max(c, a) <= 0.8, f"ab MAE CNN {c:.2f}x gray, autoencoder {a:.2f}x gray"


# ------------------------------------------------------------------ the registry
_C = Claim
CLAIMS: dict[str, Claim] = {c.id: c for c in [
    _C("zhang-full-colours", "Sec. 5.1",
       "we are able to colorize test images correctly [with Zhang's full network]",
       ("zhang-full-fruits",), "PSNR gain over gray, ab MAE / gray (test set)",
       ">= 5 dB over gray and ab MAE <= 0.5x gray", _zhang_full_colours,
       "02-zhang-full-fruits", min_epochs=10, real="fruits", early=REPRODUCED),
    _C("zhang-full-slow", "Sec. 5.1",
       "the computational time is extremely slow ... around 32M parameters",
       ("zhang-full-fruits", "cnn-fruits-mse"), "training images/s (median epoch after the first)",
       "the 32M network trains at <= 0.25x the ~1M CNN's images/s", _zhang_full_slow,
       "02-zhang-full-fruits"),
    _C("cnn-fruits-few-epochs", "Sec. 5.1, Fig. 2",
       "even with small number of iteration, we are able to colorize the images in a "
       "meaningful way", ("cnn-fruits-mse",), "ab MAE / gray on the snapshot test images",
       "<= 0.7x gray at the last snapshot by epoch 3", _cnn_fruits_few_epochs,
       "03-cnn-fruits", real="fruits"),
    _C("fruits-easy", "Sec. 6",
       "The fruits dataset is pretty simple so the two different networks work both very well",
       ("cnn-fruits-mse", "ae-fruits-mse"), "PSNR gain over gray, ab MAE / gray (test set)",
       "both >= 5 dB over gray and ab MAE <= 0.5x gray", _fruits_easy, "06-autoencoder-fruits",
       real="fruits"),
    _C("no-desaturation-fruits", "Sec. 3.1",
       "we seems not to encounter the desaturation problem [on fruits]",
       ("cnn-fruits-mse", "ae-fruits-mse"), "chroma ratio (test set)",
       "chroma ratio >= 0.85 for the CNN and the autoencoder", _no_desaturation_fruits,
       "06-autoencoder-fruits", real="fruits"),
    _C("augmentation-useless-fruits", "Sec. 3.1",
       "data augmentation seems useless in this case [fruits]",
       ("cnn-fruits-mse", "cnn-fruits-mse-flip"), "ab MAE and PSNR, with vs without flips",
       "flips improve ab MAE by <= 5 % and PSNR by <= 0.3 dB", _augmentation_useless,
       "03-cnn-fruits", real="fruits"),
    _C("losses-fruits-similar", "Sec. 5.1, Fig. 3", "Outputs are similar [SmoothL1 vs MSE]",
       ("cnn-fruits-mse", "cnn-fruits-smoothl1"), "PSNR and ab MAE (test set)",
       "PSNR within 1 dB and ab MAE within 20 %", _losses_similar, "04-cnn-fruits-losses",
       real="fruits"),
    _C("losses-fruits-mse-saturated", "Sec. 5.1, Fig. 3",
       "MSE colors seem to be more saturated", ("cnn-fruits-mse", "cnn-fruits-smoothl1"),
       "chroma ratio (test set)", "MSE's chroma ratio exceeds SmoothL1's by > 0.02",
       _mse_more_saturated, "04-cnn-fruits-losses", real="fruits"),
    _C("losses-fruits-sl1-less-confusion", "Sec. 5.1, Fig. 3",
       "SmoothL1Loss seems to make less confusion when we have an objects that can assume "
       "different color", ("cnn-fruits-mse", "cnn-fruits-smoothl1"),
       "ΔE76 and gray-stain share (test set)",
       "SmoothL1 has the lower ΔE76 and no more gray stains than MSE", _sl1_less_confusion,
       "04-cnn-fruits-losses", real="fruits"),
    _C("cnn-fruits-photos-worse", "Sec. 5.1, Fig. 4",
       "results are not as good as the ones obtained using test images",
       ("cnn-fruits-mse",), "ab MAE / gray on never-seen photos vs on test images",
       "worse (higher) on the photos", _photos_worse("cnn-fruits-mse"),
       "09-real-world-photos", real="fruits"),
    _C("cnn-small-animals-fails", "Sec. 5.1, animals",
       "We can not achieve any relevant results ... Output images are desaturated",
       ("cnn-small-animals-mse",), "ab MAE / gray and chroma ratio (test set)",
       "chroma ratio < 0.6 and ab MAE > 0.8x gray", _small_cnn_fails_animals,
       "05-cnn-animals", min_epochs=60, real="animals", early=NOT_REPRODUCED),
    _C("cnn-animals-same-ab-first", "Sec. 5.1, animals",
       "At the beginning, the network can't distinguish different objects, so it applies to "
       "every images the same ab values", ("cnn-animals-mse",),
       "spread of per-image mean ab over the truth's, first snapshot",
       "<= 0.25 at the first snapshot epoch", _same_ab_first, "05-cnn-animals"),
    _C("cnn-animals-learns-after-50", "Sec. 5.1, animals",
       "After 50 / 60 iterations it starts to produce relevant results",
       ("cnn-animals-mse",), "ab MAE / gray on the snapshot test images per epoch",
       "the first snapshot at <= 0.8x gray is between epoch 20 and 100", _learns_after_50,
       "05-cnn-animals", min_epochs=60, real="animals"),
    _C("cnn-animals-photos-worse", "Sec. 5.1, animals",
       "If we try to apply our network to an image it has never seen, we achieve worst results",
       ("cnn-animals-mse",), "ab MAE / gray on never-seen photos vs on test images",
       "worse (higher) on the photos", _photos_worse("cnn-animals-mse"), "05-cnn-animals"),
    _C("ae-small-fruits-nothing", "Sec. 5.2",
       "a much simpler architecture (around 1M parameters) ... after 600 epochs it does not "
       "color anything", ("ae-small-fruits-mse",), "ab MAE / gray and chroma ratio (test set)",
       "ab MAE >= 0.9x gray or chroma ratio < 0.2", _ae_small_nothing,
       "06-autoencoder-fruits", min_epochs=600, real="fruits", early=NOT_REPRODUCED),
    _C("ae-fruits-10-epochs", "Sec. 5.2, Fig. 6",
       "already after 10 epochs it colorize perfectly the images", ("ae-fruits-mse",),
       "PSNR gain and ab MAE / gray on the snapshot test images",
       ">= 5 dB over gray and <= 0.5x gray at the last snapshot by epoch 10", _ae_10_epochs,
       "06-autoencoder-fruits", min_epochs=10, real="fruits", early=REPRODUCED),
    _C("ae-fruits-photos-worse", "Sec. 5.2, Fig. 7",
       "In the other cases, the neural network does not reproduce meaningful results",
       ("ae-fruits-mse",), "ab MAE / gray on never-seen photos vs on test images",
       "worse (higher) on the photos", _photos_worse("ae-fruits-mse"), "09-real-world-photos",
       real="fruits"),
    _C("ae-animals-sl1-less-desaturated", "Sec. 5.2, Fig. 8",
       "using the L1Smooth loss, the color is less desaturated",
       ("ae-animals-mse", "ae-animals-smoothl1"), "chroma ratio (test set)",
       "SmoothL1's chroma ratio exceeds MSE's by > 0.02", _ae_animals_less_desaturated,
       "07-autoencoder-animals-losses"),
    _C("ae-animals-sl1-stains", "Sec. 5.2, Fig. 8",
       "there are some gray stains. On the other hand the MSE ... the stain are almost absent",
       ("ae-animals-mse", "ae-animals-smoothl1"), "gray-stain share (test set)",
       "SmoothL1 has more stains, MSE at most half as many", _ae_animals_stains,
       "07-autoencoder-animals-losses"),
    _C("ae-learns-faster", "Sec. 5, Fig. 9", "the autoencoder network seems to learn faster",
       ("cnn-animals-mse", "ae-animals-mse"), "ab MAE / gray on the snapshot test images",
       "the autoencoder's is lower at the first common snapshot epoch", _ae_faster,
       "08-cnn-vs-autoencoder"),
    _C("cnn-less-desaturated-more-accurate", "Sec. 5, Fig. 9",
       "the output of the CNN is less desaturated and more accurate",
       ("cnn-animals-mse", "ae-animals-mse"), "chroma ratio and ab MAE (test set)",
       "the CNN has the higher chroma ratio and the lower ab MAE", _cnn_better_end,
       "08-cnn-vs-autoencoder"),
    _C("ae-desaturates-unseen", "Sec. 5.2, Fig. 10",
       "the autoencoder tends to desaturate the color of images it has never seen",
       ("ae-animals-mse",), "chroma ratio on never-seen photos vs test images",
       "< 0.7 on the photos and below the test set's", _ae_desaturates_unseen,
       "08-cnn-vs-autoencoder"),
    _C("backgrounds-green", "Sec. 5",
       "It seems that the images are green-ish ... pictures with grass or nature in it",
       ("cnn-animals-mse", "ae-animals-mse"), "share of green pixels (a <= -5), mean a",
       "both networks: more green pixels than the truth and mean a < 0", _green,
       "08-cnn-vs-autoencoder", real="animals"),
    _C("animals-meaningful", "Sec. 6",
       "our simple architectures succeed to colorize pictures in a meaningful (but not in "
       "\"realistic\") way", ("cnn-animals-mse", "ae-animals-mse"), "ab MAE / gray (test set)",
       "both <= 0.8x gray", _animals_meaningful, "08-cnn-vs-autoencoder", real="animals"),
]}


# ------------------------------------------------------------------ deciding
def verdict(claim: Claim, ev: Evidence) -> tuple[str, str, str]:
    """``(verdict, measured, reason)`` of ``claim`` on ``ev``; ``reason`` says why a claim
    is not testable (empty otherwise)."""
    for name in claim.experiments:
        if name not in ev.epochs:
            return NOT_TESTABLE, "-", f"experiment {name} has not been run"
    if claim.real:
        wrong = {n: ev.dataset.get(n, "?") for n in claim.experiments
                 if ev.dataset.get(n, "?") not in REAL[claim.real]}
        if wrong:
            name, used = next(iter(wrong.items()))
            return NOT_TESTABLE, "-", (f"needs the real {claim.real} photos; {name} used "
                                       f"{used} (get the Kaggle data with `make data`)")
    try:
        holds, measured = claim.decide(ev)
    except Missing as err:
        return NOT_TESTABLE, "-", str(err)
    outcome = REPRODUCED if holds else NOT_REPRODUCED
    short = {n: ev.epochs[n] for n in claim.experiments if ev.epochs[n] < claim.min_epochs}
    if short and outcome != claim.early:
        name, got = next(iter(short.items()))
        return NOT_TESTABLE, measured, (f"needs >= {claim.min_epochs} epochs; {name} ran {got}")
    return outcome, measured, ""


def snapshot_metrics(run) -> dict[int, dict]:
    """Metrics (with gray baseline and :func:`metrics.claim_metrics`) of the snapshot test
    images at every snapshot epoch of a :class:`~colorization.runs.Run`."""
    inputs = run.snapshot_inputs()
    if "test" not in inputs:
        return {}
    return {epoch: metrics.evaluate_with_baseline(inputs["test"], run.snapshot(epoch)["test"])
            for epoch in run.snapshot_epochs()}


def gather(profile: str, names=None) -> Evidence:
    """The evidence of every finished experiment in ``names`` (default: all) at ``profile``.
    Nothing is trained; unfinished experiments are simply absent."""
    from colorization.runs import Run

    ev = Evidence()
    for name in names or experiments.EXPERIMENTS:
        run = Run(experiments.run_dir(name, profile))
        if not run.finished:
            continue
        ev.epochs[name] = int(run.config.epochs)
        ev.dataset[name] = run.status.get("dataset", run.config.data)
        ev.history[name] = run.history()
        ev.metrics[name] = experiments.evaluate(name, profile)
        ev.photos[name] = experiments.evaluate(name, profile, data="photos")
        ev.snapshots[name] = snapshot_metrics(run)
    return ev


def table(profile: str, notebook: str | None = None, evidence: Evidence | None = None
          ) -> list[dict]:
    """One row per claim (only ``notebook``'s when given): id, where, says, measured,
    verdict, reason, experiments, rule."""
    chosen = [c for c in CLAIMS.values() if notebook is None or c.notebook == notebook]
    if evidence is None:
        evidence = gather(profile, sorted({n for c in chosen for n in c.experiments}))
    rows = []
    for c in chosen:
        outcome, measured, reason = verdict(c, evidence)
        rows.append({"id": c.id, "where": c.where, "says": c.says, "measured": measured,
                     "verdict": outcome, "reason": reason, "experiments": list(c.experiments),
                     "rule": f"{c.metric}: {c.rule}", "profile": profile})
    return rows


def _verdict_text(row) -> str:
    return row["verdict"] + (f" ({row['reason']})" if row["reason"] else "")


def format_text(rows: list[dict]) -> str:
    """Plain text: one block per claim (what the paper says, what was measured, verdict)."""
    lines = []
    for r in rows:
        lines += [f"[{r['verdict']}] {r['id']} ({r['where']})",
                  f"    paper says: \"{r['says']}\"",
                  f"    rule:       {r['rule']}",
                  f"    measured:   {r['measured']}"]
        if r["reason"]:
            lines.append(f"    why:        {r['reason']}")
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    return "\n".join(lines)


def format_markdown(rows: list[dict]) -> str:
    """A Markdown table: claim, where, paper says, measured, verdict."""
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    out = ["| claim | where | paper says | measured | verdict |", "|---|---|---|---|---|"]
    out += [f"| {cell(r['id'])} | {cell(r['where'])} | {cell(r['says'])} | "
            f"{cell(r['measured'])} | {cell(_verdict_text(r))} |" for r in rows]
    return "\n".join(out)


def format_html(rows: list[dict]) -> str:
    """An HTML table (for ``reports/index.html`` and notebook display)."""
    esc = html.escape
    colour = {REPRODUCED: "#d7f0d7", NOT_REPRODUCED: "#f6d5d5", NOT_TESTABLE: "#eeeeee"}
    parts = ["<table class='claims'><tr><th>claim</th><th>where</th><th>paper says</th>"
             "<th>measured</th><th>verdict</th></tr>"]
    for r in rows:
        parts.append(
            f"<tr><td>{esc(r['id'])}</td><td>{esc(r['where'])}</td><td>{esc(r['says'])}</td>"
            f"<td>{esc(r['measured'])}</td><td style='background:{colour[r['verdict']]}'>"
            f"{esc(_verdict_text(r))}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def write(rows: list[dict]) -> None:
    """Store ``rows`` in ``reports/results.json`` under ``"claims"`` (replacing rows of the
    same claim id, keeping the others)."""
    import json

    from colorization import fileio

    path = paths.reports_dir() / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text()) if path.exists() else {}
    stored = {r["id"]: r for r in results.get("claims", [])}
    stored.update({r["id"]: r for r in rows})
    order = list(CLAIMS)
    results["claims"] = sorted(stored.values(), key=lambda r: (
        order.index(r["id"]) if r["id"] in order else len(order), r["id"]))
    fileio.write_json(path, results)


def show(profile: str, notebook: str | None = None) -> list[dict]:
    """The closing cell of a notebook: print its claims table, record it, return the rows."""
    rows = table(profile, notebook)
    print(format_text(rows))
    write(rows)
    return rows
