"""The rules that decide the paper's claims (:data:`colorization.study.claims.CLAIMS`): each
reads an :class:`~colorization.study.evidence.Evidence` and returns an
:class:`~colorization.study.stats.Outcome`, or says why the set-up settles the comparison."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from scipy.stats import binomtest

from colorization.study.evidence import Evidence, Missing, snapshot_value, th
from colorization.study.stats import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    Outcome,
    Values,
    above,
    all_of,
    any_of,
    below,
    greater,
    within,
)

SAME_OBJECTIVE_SHARE = 0.99  # SmoothL1 and MSE coincide on this share of the errors or more


def colours_well(ev: Evidence, name: str, classes: bool = False) -> Outcome:
    parts = [below(ev.ratio(name), th("colours_well_de"), f"{name}: CIEDE2000 / gray"),
             below(ev.v(name, "hue_error"), th("colours_well_hue"), "hue error (degrees)")]
    if classes:
        parts.append(below(ev.v(name, "class_hue_error_max"), th("class_hue_max"),
                           "worst class's hue error"))
    return all_of(*parts)


def snapshot_colours(ev: Evidence, name: str, by_epoch: int, de: float, hue: float) -> Outcome:
    epoch, _ = ev.snap(name, "ciede2000", by_epoch)
    _, hue_values = ev.snap(name, "hue_error", epoch)
    return all_of(below(ev.snap_ratio(name, epoch), de,
                        f"{name}, epoch {epoch}, snapshot test images: CIEDE2000 / gray"),
                  below(hue_values, hue, "hue error (degrees)"))


def meaningful(ev: Evidence, name: str) -> Outcome:
    return all_of(below(ev.ratio(name), th("meaningful_de"), f"{name}: CIEDE2000 / gray"),
                  below(ev.v(name, "hue_error"), th("meaningful_hue"), "hue error (degrees)"))


def zhang_full_colours(ev):
    return colours_well(ev, "zhang-full-fruits")


def zhang_full_slow(ev):
    full, small = ev.speed("zhang-full-fruits"), ev.speed("cnn-fruits-mse")
    # the seeds both ran (the ~1M CNN may run more), paired seed by seed
    share = Values.of(a / b for a, b in zip(full.values, small.values, strict=False))
    return below(share, th("slow_share"), f"images/s {full.text()} vs {small.text()} for the "
                                          "~1M CNN: share")


def cnn_fruits_few_epochs(ev):
    return snapshot_colours(ev, "cnn-fruits-mse", 3, th("few_epochs_de"), th("meaningful_hue"))


def fruits_easy(ev):
    return all_of(colours_well(ev, "cnn-fruits-mse", classes=True),
                  colours_well(ev, "ae-fruits-mse", classes=True))


def no_desaturation_fruits(ev):
    return all_of(above(ev.v("cnn-fruits-mse", "chroma_ratio"), th("desaturated_chroma"),
                        "chroma ratio CNN"),
                  above(ev.v("ae-fruits-mse", "chroma_ratio"), th("desaturated_chroma"),
                        "autoencoder"))


def augmentation_useless(ev):
    plain, flip = ev.v("cnn-fruits-mse", "ciede2000"), ev.v("cnn-fruits-mse-flip", "ciede2000")
    gain = Values.of((p - f) / p if p else math.nan
                     for p, f in zip(plain.values, flip.values, strict=True))
    return below(gain, th("flip_gain"), f"CIEDE2000 {plain.text()} without flips, "
                                        f"{flip.text()} with: share improved by flips")


def losses_similar(ev: Evidence, mse: str, other: str) -> Outcome:
    return all_of(within(ev.v(mse, "psnr"), ev.v(other, "psnr"), th("similar_psnr_db"),
                         ("MSE", "SmoothL1"), "PSNR"),
                  within(ev.v(mse, "ciede2000"), ev.v(other, "ciede2000"), th("similar_de"),
                         ("MSE", "SmoothL1"), "CIEDE2000", relative=True))


def mse_more_saturated(ev: Evidence, mse: str, other: str) -> Outcome:
    return greater(ev.v(mse, "chroma_ratio"), ev.v(other, "chroma_ratio"), ("MSE", "SmoothL1"),
                   "chroma ratio")


def sl1_less_confusion(ev: Evidence, mse: str, other: str) -> Outcome:
    return greater(ev.v(mse, "class_hue_error"), ev.v(other, "class_hue_error"),
                   ("MSE", "SmoothL1"), "mean class hue error (degrees)")


def small_cnn_fails_animals(ev):
    name = "cnn-small-animals-mse"
    return all_of(below(ev.v(name, "chroma_ratio"), th("fails_chroma"), "chroma ratio"),
                  above(ev.ratio(name), th("meaningful_de"), "CIEDE2000 / gray"))


def small_cnn_has_results(ev):
    """What a short run settles: results (CIEDE2000 clearly below 0.8x gray) already refute
    "can not achieve any relevant results"."""
    return above(ev.ratio("cnn-small-animals-mse"), th("meaningful_de"), "CIEDE2000 / gray")


def same_ab_first(ev):
    epoch, values = ev.snap("cnn-animals-mse", "spread_ratio", first=True)
    return below(values, th("nothing_spread"), f"epoch {epoch}: per-image colour spread / truth's")


def _every_seed(text: str, holds: list[bool], fails: list[bool], why: str) -> Outcome:
    """Reproduced (not reproduced) when each of two or more seeds ``holds`` (``fails``), with
    the two-sided sign test of that agreement (3 seeds never reach p < 0.05); else
    inconclusive, ``why``."""
    n = len(holds)
    if n < 2 or not (all(holds) or all(fails)):
        return Outcome(INCONCLUSIVE, text, why=why)
    p = binomtest(n, n).pvalue
    return Outcome(REPRODUCED if all(holds) else NOT_REPRODUCED,
                   f"{text} (every seed agrees: sign test, {n} seeds, p = {p:.2g})",
                   effect=float(n), test=f"sign test, {n} of {n} seeds", p=p)


def _colouring_epochs(snaps: dict[int, dict], share: float, min_spread: float) -> Iterator[int]:
    """The snapshot epochs, in order, with CIEDE2000 at most ``share`` of the gray baseline's
    and below the mean-tint baseline's (where measured), and spread at least ``min_spread``."""
    for epoch in sorted(snaps):
        m = snaps[epoch]
        de = snapshot_value(m, "ciede2000")
        if (de <= share * snapshot_value(m, "ciede2000_gray")
                and (m.get("ciede2000_tint") is None
                     or de < snapshot_value(m, "ciede2000_tint"))
                and snapshot_value(m, "spread_ratio") >= min_spread):
            yield epoch


def learns_after_50(ev):
    per_seed = ev.snapshots.get("cnn-animals-mse")
    if not per_seed:
        raise Missing("cnn-animals-mse has no snapshots")
    share, spread = th("meaningful_de"), th("nothing_spread")
    firsts = [next(_colouring_epochs(snaps, share, spread), None) for snaps in per_seed]
    text = (f"first snapshot epoch with CIEDE2000 <= {share:g}x gray, below the mean tint's "
            f"and colour spread >= {spread:g}, per seed: "
            + ", ".join("none" if f is None else str(f) for f in firsts))
    inside = [f is not None and th("learns_from") <= f <= th("learns_by") for f in firsts]
    return _every_seed(text, inside, [not i for i in inside], "the seeds disagree")


def ae_small_nothing(ev):
    name = "ae-small-fruits-mse"
    return any_of(below(ev.v(name, "spread_ratio"), th("nothing_spread"),
                        f"after {ev.epochs.get(name)} epochs: per-image colour spread / "
                        "truth's"),
                  above(ev.v(name, "hue_error"), th("nothing_hue"), "hue error (degrees)"),
                  above(ev.ratio(name, base="tint"), 1.0, "CIEDE2000 / mean tint"))


def ae_10_epochs(ev):
    return snapshot_colours(ev, "ae-fruits-mse", 10, th("colours_well_de"),
                            th("colours_well_hue"))


def ae_animals_less_desaturated(ev):
    return greater(ev.v("ae-animals-smoothl1", "chroma_ratio"),
                   ev.v("ae-animals-mse", "chroma_ratio"), ("SmoothL1", "MSE"), "chroma ratio")


def ae_animals_stains(ev):
    return greater(ev.v("ae-animals-smoothl1", "gray_stain"), ev.v("ae-animals-mse", "gray_stain"),
                   ("SmoothL1", "MSE"), "gray-stain share")


def ae_faster(ev):
    """The autoencoder is faster when, in every seed, its first colouring snapshot epoch comes
    before the CNN's (a uniform tint close to gray is not colouring)."""
    cnn, ae = ev.snapshots.get("cnn-animals-mse"), ev.snapshots.get("ae-animals-mse")
    if not cnn or not ae or len(cnn) != len(ae):
        raise Missing("cnn-animals-mse and ae-animals-mse need snapshots of every seed")
    share, spread = th("colours_de"), th("nothing_spread")
    firsts = [(next(_colouring_epochs(c, share, spread), math.inf),
               next(_colouring_epochs(a, share, spread), math.inf))
              for c, a in zip(cnn, ae, strict=True)]
    shown = [("never" if e == math.inf else f"epoch {e}" for e in pair) for pair in firsts]
    text = (f"first snapshot epoch colouring (CIEDE2000 <= {share:g}x gray and below the mean "
            f"tint's, spread >= {spread:g}), per seed, CNN vs autoencoder: "
            + ", ".join(" vs ".join(pair) for pair in shown))
    return _every_seed(text, [a < c for c, a in firsts], [c < a for c, a in firsts],
                       "the seeds disagree, or both colour at the same snapshot")


def cnn_better_end(ev):
    return all_of(greater(ev.v("cnn-animals-mse", "chroma_ratio"),
                          ev.v("ae-animals-mse", "chroma_ratio"), ("CNN", "autoencoder"),
                          "chroma ratio"),
                  greater(ev.v("ae-animals-mse", "ciede2000"), ev.v("cnn-animals-mse", "ciede2000"),
                          ("autoencoder", "CNN"), "CIEDE2000"))


def ae_desaturates_unseen(ev):
    name = "ae-animals-mse"
    photos, test = ev.v(name, "chroma_ratio", "photos"), ev.v(name, "chroma_ratio")
    return all_of(below(photos, th("unseen_chroma"), "chroma ratio on the never-seen photos"),
                  greater(test, photos, ("test images", "never-seen photos"), "chroma ratio"))


def green(ev):
    parts = []
    for name in ("cnn-animals-mse", "ae-animals-mse"):
        parts += [greater(ev.v(name, "green_share"), ev.v(name, "green_share_true"),
                          ("predicted", "truth"), f"{name}: share of green pixels"),
                  below(ev.v(name, "mean_a"), 0.0, "mean a")]
    return all_of(*parts)


def animals_meaningful(ev):
    return all_of(meaningful(ev, "cnn-animals-mse"), meaningful(ev, "ae-animals-mse"))


# ------------------------------------------------------------------ settled by construction


def same_objective(mse: str, other: str) -> Callable[[Evidence], str]:
    """Why the two runs optimise one objective (empty when they do not): SmoothL1 with
    beta = 1 is 0.5 x MSE wherever |error| < 1 and Adam's step ignores the loss's scale; with
    [0, 1] targets every error is below 1, with [-1, 1] ones the share below 1 is measured."""
    def check(ev: Evidence) -> str:
        a, b = ev.losses.get(mse), ev.losses.get(other)
        if not a or not b or a["loss"] != "mse" or b["loss"] != "smooth_l1" \
                or b.get("loss_delta", 1.0) != 1.0:
            return ""
        why = ("the two runs optimise the same objective: SmoothL1 with beta = 1 on "
               "normalised ab is 0.5 x MSE wherever |error| < 1, and Adam's steps do not "
               "change when the loss is scaled")
        if b.get("convention") == "unit":
            return (f"{why}; with [0, 1] targets and sigmoid outputs every error is below 1, "
                    "so any difference between them is seed noise")
        share = ev.v(mse, "ab_error_under_128")
        if share.finite and min(share.values) >= SAME_OBJECTIVE_SHARE:
            return (f"{why}; with [-1, 1] targets, {100 * share.mean:.2f} % of the errors "
                    f"are below 1 (128 ab units; at least {100 * SAME_OBJECTIVE_SHARE:g} % "
                    "in every seed), so any difference between them is seed noise")
        return ""
    return check


def larger_network(ev: Evidence) -> str:
    return ("the 32M network does about 33x the multiply-adds per image of the ~1M CNN "
            "(docs/performance.md), so it is slower by construction; the measured share is "
            "shown, not counted")
