"""The paper's claims as data, each decided by the numbers of this suite's runs, over seeds.

Every claim Depaoli & Mistrali make is one :class:`Claim` in :data:`CLAIMS`: where the paper
makes it, its words, the experiments it reads
(:data:`colorization.study.experiments.EXPERIMENTS`), the metric and the rule that decides it,
the scale it needs, and the domains it compares. :func:`verdict` turns the runs' numbers (an
:class:`Evidence`: every seed of every experiment) into one of

- ``reproduced`` / ``not reproduced``: the rule decides, with an effect larger than the
  seed-to-seed noise (:mod:`colorization.study.stats`: every seed agrees, the mean clears two
  standard errors, and a difference between experiments clears the noise floor, the null
  comparison of two seeds of one configuration);
- ``inconclusive``: the effect is within the noise (a tie is never a verdict);
- ``indicative, generated data``: the runs trained on generated images, which never decide a
  claim about photographs (the measured text says which way it would go);
- ``not testable here``: an experiment has not run, it ran fewer epochs than the claim names,
  or what it needs does not ship with the project (the reason says which).

A claim about what happens *after* N epochs can be settled early in one direction only: a
network that already colours well before epoch 10 reproduces "colours well after 10 epochs"
(``early="reproduced"``), and a network that already colours after 8 epochs refutes
"colours nothing after 600 epochs" (``early="not reproduced"``). The other outcome waits for
the scale.

**Measures that see hue.** Colouring claims (colours well, colours nothing, meaningful) are
decided with CIEDE2000 against the gray baseline's, the hue error on the truly coloured pixels,
the spread of the per-image colour against the truth's and, for fruits, the hue error of each
class (:mod:`colorization.core.metrics`): a uniform sepia tint fails them even when its chroma
matches the truth's. Desaturation claims read the chroma ratio.

The numbers: test-set metrics of every seed (:func:`colorization.study.experiments.evaluate`,
with the gray baseline), the same on the never-seen photographs (``photos``), per-epoch metrics
of the fixed snapshot images (8 test images, the same for every seed; :func:`snapshot_metrics`)
and images/s from ``history.csv``. Thresholds are named in each rule, so a reader can disagree
with one. :func:`table` gives the rows of a profile (optionally one notebook's); the report
renders and stores them (:func:`colorization.study.report.format_claims_text`, ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from colorization.core import metrics
from colorization.runs.rundir import Run
from colorization.study import experiments, report
from colorization.study.stats import (
    INCONCLUSIVE,
    INDICATIVE,
    NOT_REPRODUCED,
    NOT_TESTABLE,
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


class Missing(Exception):
    """A number a rule needs is absent (experiment not run, metric not computed)."""


@dataclass
class Evidence:
    """The numbers rules read, per experiment name, one entry per seed (in seed order).

    ``metrics``: test-set metrics (:func:`colorization.core.metrics.evaluate_with_baseline`
    keys); ``photos``: the same on the never-seen photographs; ``snapshots``: ``{epoch:
    metrics of the snapshot test images}``; ``history``: ``history.csv`` rows; ``epochs``:
    epochs trained; ``dataset``: the dataset the runs used; ``scale``: what they trained, in
    words (:func:`colorization.study.experiments.scale_text`).
    """

    metrics: dict[str, list[dict]] = field(default_factory=dict)
    photos: dict[str, list[dict]] = field(default_factory=dict)
    snapshots: dict[str, list[dict]] = field(default_factory=dict)
    history: dict[str, list[list]] = field(default_factory=dict)
    epochs: dict[str, int] = field(default_factory=dict)
    dataset: dict[str, str] = field(default_factory=dict)
    scale: dict[str, str] = field(default_factory=dict)

    def v(self, name: str, key: str, where: str = "metrics") -> Values:
        """``key`` of every seed of ``name``."""
        per_seed = getattr(self, where).get(name)
        if not per_seed:
            raise Missing(f"{name} has no {'test' if where == 'metrics' else where} metrics")
        values = report.spread(per_seed, key)
        if values is None:
            raise Missing(f"{name}: metric {key!r} missing (evaluate the runs again)")
        return values

    def ratio(self, name: str, key: str = "ciede2000", where: str = "metrics") -> Values:
        """``key`` over its gray baseline per seed (0.4 = 40 % of leaving the image gray)."""
        value, gray = self.v(name, key, where), self.v(name, f"{key}_gray", where)
        return Values.of(a / b if b else math.nan for a, b in zip(value.values, gray.values,
                                                                  strict=True))

    def snap(self, name: str, key: str, last_epoch: int | None = None,
             first: bool = False) -> tuple[int, Values]:
        """``key`` of the snapshot test images at the latest snapshot epoch at or before
        ``last_epoch`` (the first snapshot epoch when ``first``), every seed."""
        per_seed = self.snapshots.get(name)
        if not per_seed or not all(per_seed):
            raise Missing(f"{name} has no snapshots")
        common = sorted(set.intersection(*(set(s) for s in per_seed)))
        chosen = [e for e in common if last_epoch is None or e <= last_epoch]
        if not chosen:
            raise Missing(f"{name} has no snapshot at or before epoch {last_epoch}")
        epoch = chosen[0] if first else chosen[-1]
        return epoch, Values.of(_value(s[epoch], key) for s in per_seed)

    def snap_ratio(self, name: str, epoch: int, key: str = "ciede2000") -> Values:
        per_seed = self.snapshots.get(name) or []
        if not per_seed or any(epoch not in s for s in per_seed):
            raise Missing(f"{name} has no snapshot at epoch {epoch}")
        return Values.of(_value(s[epoch], key) / _value(s[epoch], f"{key}_gray")
                         for s in per_seed)

    def speed(self, name: str) -> Values:
        """Training images/s of every seed: the median epoch after the first (which
        includes tracing and compilation)."""
        out = []
        for rows in self.history.get(name) or []:
            timed = [float(r["images_per_second"]) for r in rows
                     if _finite(r.get("images_per_second"))]
            later = sorted(timed[1:] or timed)
            if not later:
                raise Missing(f"{name} has no timed epochs in history.csv")
            out.append(later[len(later) // 2])
        if not out:
            raise Missing(f"{name} has no history")
        return Values.of(out, digits=1)


def _value(m: dict, key: str) -> float:
    value = m.get(key)
    if value is None:
        raise Missing(f"snapshot metric {key!r} missing")
    return float(value)


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


Rule = Callable[[Evidence], Outcome]


@dataclass(frozen=True)
class Claim:
    """One claim of the paper. ``decide(evidence) -> Outcome``; ``min_epochs``: epochs every
    experiment needs before the claim can be judged; ``early``: the verdict that stands below
    ``min_epochs`` (see the module docstring), decided by ``early_decide`` when the claim has
    one (the part of the rule that settles early: a network that already colours refutes
    "can not achieve any result", whatever its saturation), else by ``decide``;
    ``untestable``: why the claim cannot be tested with what ships with the project (empty: it
    can); ``domains``: the domains a claim compares, in words."""

    id: str
    where: str
    says: str
    experiments: tuple[str, ...]
    metric: str
    rule: str
    decide: Rule | None
    notebook: str
    min_epochs: int = 0
    early: str | None = None
    untestable: str = ""
    domains: str = ""
    early_decide: Rule | None = None


# ------------------------------------------------------------------ rule building blocks

COLOURS_WELL_DE = 0.5  # CIEDE2000 at most this share of the gray baseline's
COLOURS_WELL_HUE = 30.0  # degrees of hue error on the truly coloured pixels
CLASS_HUE_MAX = 45.0  # degrees: the worst fruit class's mean hue error
MEANINGFUL_DE = 0.8
MEANINGFUL_HUE = 45.0
NOTHING_SPREAD = 0.25  # per-image colour spread over the truth's: below it, one colour for all
COLOURS_DE = 0.9  # a network colours once its CIEDE2000 is clearly below the gray baseline's
NOTHING_HUE = 60.0


def _colours_well(ev: Evidence, name: str, classes: bool = False) -> Outcome:
    parts = [below(ev.ratio(name), COLOURS_WELL_DE, f"{name}: CIEDE2000 / gray"),
             below(ev.v(name, "hue_error"), COLOURS_WELL_HUE, "hue error (degrees)")]
    if classes:
        parts.append(below(ev.v(name, "class_hue_error_max"), CLASS_HUE_MAX,
                           "worst class's hue error"))
    return all_of(*parts)


def _snapshot_colours(ev: Evidence, name: str, by_epoch: int, de: float, hue: float) -> Outcome:
    epoch, _ = ev.snap(name, "ciede2000", by_epoch)
    _, hue_values = ev.snap(name, "hue_error", epoch)
    return all_of(below(ev.snap_ratio(name, epoch), de,
                        f"{name}, epoch {epoch}, snapshot test images: CIEDE2000 / gray"),
                  below(hue_values, hue, "hue error (degrees)"))


def _meaningful(ev: Evidence, name: str) -> Outcome:
    return all_of(below(ev.ratio(name), MEANINGFUL_DE, f"{name}: CIEDE2000 / gray"),
                  below(ev.v(name, "hue_error"), MEANINGFUL_HUE, "hue error (degrees)"))


# ------------------------------------------------------------------ the rules


def zhang_full_colours(ev):
    return _colours_well(ev, "zhang-full-fruits")


def zhang_full_slow(ev):
    full, small = ev.speed("zhang-full-fruits"), ev.speed("cnn-fruits-mse")
    share = Values.of((a / b for a, b in zip(full.values, small.values, strict=True)))
    return below(share, 0.25, f"images/s {full.text()} vs {small.text()} for the ~1M CNN: "
                              "share")


def cnn_fruits_few_epochs(ev):
    return _snapshot_colours(ev, "cnn-fruits-mse", 3, 0.7, MEANINGFUL_HUE)


def fruits_easy(ev):
    return all_of(_colours_well(ev, "cnn-fruits-mse", classes=True),
                  _colours_well(ev, "ae-fruits-mse", classes=True))


def no_desaturation_fruits(ev):
    return all_of(above(ev.v("cnn-fruits-mse", "chroma_ratio"), 0.85, "chroma ratio CNN"),
                  above(ev.v("ae-fruits-mse", "chroma_ratio"), 0.85, "autoencoder"))


def augmentation_useless(ev):
    plain, flip = ev.v("cnn-fruits-mse", "ciede2000"), ev.v("cnn-fruits-mse-flip", "ciede2000")
    gain = Values.of((p - f) / p for p, f in zip(plain.values, flip.values, strict=True))
    return below(gain, 0.05, f"CIEDE2000 {plain.text()} without flips, {flip.text()} with: "
                             "share improved by flips")


def losses_similar(ev):
    return all_of(
        within(ev.v("cnn-fruits-mse", "psnr"), ev.v("cnn-fruits-smoothl1", "psnr"), 1.0,
               ("MSE", "SmoothL1"), "PSNR"),
        within(ev.v("cnn-fruits-mse", "ciede2000"), ev.v("cnn-fruits-smoothl1", "ciede2000"),
               0.2, ("MSE", "SmoothL1"), "CIEDE2000", relative=True))


def mse_more_saturated(ev):
    return greater(ev.v("cnn-fruits-mse", "chroma_ratio"),
                   ev.v("cnn-fruits-smoothl1", "chroma_ratio"), ("MSE", "SmoothL1"),
                   "chroma ratio")


def sl1_less_confusion(ev):
    return greater(ev.v("cnn-fruits-mse", "class_hue_error"),
                   ev.v("cnn-fruits-smoothl1", "class_hue_error"), ("MSE", "SmoothL1"),
                   "mean class hue error (degrees)")


def small_cnn_fails_animals(ev):
    name = "cnn-small-animals-mse"
    return all_of(below(ev.v(name, "chroma_ratio"), 0.6, "chroma ratio"),
                  above(ev.ratio(name), MEANINGFUL_DE, "CIEDE2000 / gray"))


def small_cnn_has_results(ev):
    """The part of :func:`small_cnn_fails_animals` that a short run settles: results (CIEDE2000
    clearly below 0.8x gray) already refute "can not achieve any relevant results"."""
    return above(ev.ratio("cnn-small-animals-mse"), MEANINGFUL_DE, "CIEDE2000 / gray")


def same_ab_first(ev):
    epoch, values = ev.snap("cnn-animals-mse", "spread_ratio", first=True)
    return below(values, NOTHING_SPREAD, f"epoch {epoch}: per-image colour spread / truth's")


def _colouring_epochs(snaps: dict[int, dict], share: float,
                      min_spread: float | None = None) -> Iterator[int]:
    """The snapshot epochs, in order (lazily), with CIEDE2000 at most ``share`` of the gray
    baseline's and, with ``min_spread``, images told apart (spread at least that)."""
    for epoch in sorted(snaps):
        m = snaps[epoch]
        if (_value(m, "ciede2000") <= share * _value(m, "ciede2000_gray")
                and (min_spread is None or _value(m, "spread_ratio") >= min_spread)):
            yield epoch


def learns_after_50(ev):
    per_seed = ev.snapshots.get("cnn-animals-mse")
    if not per_seed:
        raise Missing("cnn-animals-mse has no snapshots")
    firsts = []
    for snaps in per_seed:
        good = list(_colouring_epochs(snaps, MEANINGFUL_DE))
        firsts.append(good[0] if good else None)
    text = (f"first snapshot epoch with CIEDE2000 <= {MEANINGFUL_DE}x gray, per seed: "
            + ", ".join("none" if f is None else str(f) for f in firsts))
    inside = [f is not None and 20 <= f <= 100 for f in firsts]
    if len(firsts) >= 2 and all(inside):
        return Outcome(REPRODUCED, text)
    if len(firsts) >= 2 and not any(inside):
        return Outcome(NOT_REPRODUCED, text)
    return Outcome(INCONCLUSIVE, text)


def ae_small_nothing(ev):
    name = "ae-small-fruits-mse"
    return any_of(below(ev.v(name, "spread_ratio"), NOTHING_SPREAD,
                        f"after {ev.epochs.get(name)} epochs: per-image colour spread / "
                        "truth's"),
                  above(ev.v(name, "hue_error"), NOTHING_HUE, "hue error (degrees)"))


def ae_10_epochs(ev):
    return _snapshot_colours(ev, "ae-fruits-mse", 10, COLOURS_WELL_DE, COLOURS_WELL_HUE)


def ae_animals_less_desaturated(ev):
    return greater(ev.v("ae-animals-smoothl1", "chroma_ratio"),
                   ev.v("ae-animals-mse", "chroma_ratio"), ("SmoothL1", "MSE"), "chroma ratio")


def ae_animals_stains(ev):
    return greater(ev.v("ae-animals-smoothl1", "gray_stain"), ev.v("ae-animals-mse", "gray_stain"),
                   ("SmoothL1", "MSE"), "gray-stain share")


def _first_colouring_epoch(snaps: dict[int, dict]) -> int | None:
    """The first snapshot epoch at which a run colours: CIEDE2000 at most
    :data:`COLOURS_DE` of the gray baseline's, with images told apart (spread at least
    :data:`NOTHING_SPREAD`); ``None`` when it never does within the run."""
    return next(_colouring_epochs(snaps, COLOURS_DE, NOTHING_SPREAD), None)


def ae_faster(ev):
    """Per seed, the first snapshot epoch at which each network colours (a uniform tint close
    to gray is not learning); the autoencoder is faster when it gets there first in every
    seed."""
    cnn, ae = ev.snapshots.get("cnn-animals-mse"), ev.snapshots.get("ae-animals-mse")
    if not cnn or not ae or len(cnn) != len(ae):
        raise Missing("cnn-animals-mse and ae-animals-mse need snapshots of every seed")
    firsts = [(_first_colouring_epoch(c), _first_colouring_epoch(a))
              for c, a in zip(cnn, ae, strict=True)]
    last = max(max(s) for s in cnn + ae)

    def shown(epoch):
        return "never" if epoch is None else f"epoch {epoch}"

    text = (f"first snapshot epoch colouring (CIEDE2000 <= {COLOURS_DE}x gray, spread >= "
            f"{NOTHING_SPREAD}), per seed, CNN vs autoencoder: "
            + ", ".join(f"{shown(c)} vs {shown(a)}" for c, a in firsts))
    if all(c is None and a is None for c, a in firsts):
        raise Missing(f"neither network colours the snapshot test images within {last} "
                      f"epochs ({text}): which learns faster needs longer training")
    inf = float("inf")
    ae_first = [(a if a is not None else inf) < (c if c is not None else inf)
                for c, a in firsts]
    cnn_first = [(c if c is not None else inf) < (a if a is not None else inf)
                 for c, a in firsts]
    if len(firsts) >= 2 and all(ae_first):
        return Outcome(REPRODUCED, text)
    if len(firsts) >= 2 and all(cnn_first):
        return Outcome(NOT_REPRODUCED, text)
    return Outcome(INCONCLUSIVE, text)


def cnn_better_end(ev):
    ratios = {n: ev.ratio(n).mean for n in ("cnn-animals-mse", "ae-animals-mse")}
    if min(ratios.values()) > COLOURS_DE:
        raise Missing("neither network colours the test images yet (CIEDE2000 "
                      + ", ".join(f"{n} {r:.2f}x" for n, r in ratios.items())
                      + f" the gray baseline's, above {COLOURS_DE}x): which is more accurate "
                        "needs longer training")
    return all_of(greater(ev.v("cnn-animals-mse", "chroma_ratio"),
                          ev.v("ae-animals-mse", "chroma_ratio"), ("CNN", "autoencoder"),
                          "chroma ratio"),
                  greater(ev.v("ae-animals-mse", "ciede2000"), ev.v("cnn-animals-mse", "ciede2000"),
                          ("autoencoder", "CNN"), "CIEDE2000"))


def ae_desaturates_unseen(ev):
    name = "ae-animals-mse"
    photos, test = ev.v(name, "chroma_ratio", "photos"), ev.v(name, "chroma_ratio")
    return all_of(below(photos, 0.7, "chroma ratio on the never-seen photos"),
                  greater(test, photos, ("test images", "never-seen photos"), "chroma ratio"))


def green(ev):
    parts = []
    for name in ("cnn-animals-mse", "ae-animals-mse"):
        parts += [greater(ev.v(name, "green_share"), ev.v(name, "green_share_true"),
                          ("predicted", "truth"), f"{name}: share of green pixels"),
                  below(ev.v(name, "mean_a"), 0.0, "mean a")]
    return all_of(*parts)


def animals_meaningful(ev):
    return all_of(_meaningful(ev, "cnn-animals-mse"), _meaningful(ev, "ae-animals-mse"))


NO_FRUIT_PHOTOS = (
    "needs photographs of fruit the network never saw, as the paper's Fig. {fig} shows; none "
    "ship with the project, and scikit-image's photographs (astronaut, cat, coffee, rocket, "
    "...) show no fruit, so a network trained on fruit doing worse on them is true by "
    "construction")
NO_ANIMAL_PHOTOS = (
    "needs animal photographs from outside the training data; the only one shipped is "
    "scikit-image's 'chelsea' (one cat) and the other seven show no animal, so doing worse on "
    "them is true by construction")


# ------------------------------------------------------------------ the registry
_C = Claim
CLAIMS: dict[str, Claim] = {c.id: c for c in [
    _C("zhang-full-colours", "Sec. 5.1",
       "we are able to colorize test images correctly [with Zhang's full network]",
       ("zhang-full-fruits",), "CIEDE2000 / gray and hue error (test set)",
       f"CIEDE2000 <= {COLOURS_WELL_DE}x gray and hue error <= {COLOURS_WELL_HUE:g} degrees",
       zhang_full_colours, "02-zhang-full-fruits", min_epochs=10, early=REPRODUCED),
    _C("zhang-full-slow", "Sec. 5.1",
       "the computational time is extremely slow ... around 32M parameters",
       ("zhang-full-fruits", "cnn-fruits-mse"), "training images/s (median epoch after the first)",
       "the 32M network trains at <= 0.25x the ~1M CNN's images/s", zhang_full_slow,
       "02-zhang-full-fruits"),
    _C("cnn-fruits-few-epochs", "Sec. 5.1, Fig. 2",
       "even with small number of iteration, we are able to colorize the images in a "
       "meaningful way", ("cnn-fruits-mse",),
       "CIEDE2000 / gray and hue error, snapshot test images",
       f"<= 0.7x gray and hue error <= {MEANINGFUL_HUE:g} degrees at the last snapshot by "
       "epoch 3", cnn_fruits_few_epochs, "03-cnn-fruits"),
    _C("fruits-easy", "Sec. 6",
       "The fruits dataset is pretty simple so the two different networks work both very well",
       ("cnn-fruits-mse", "ae-fruits-mse"), "CIEDE2000 / gray, hue error, class hue (test set)",
       f"both: CIEDE2000 <= {COLOURS_WELL_DE}x gray, hue error <= {COLOURS_WELL_HUE:g} degrees, "
       f"every fruit class's mean hue within {CLASS_HUE_MAX:g} degrees", fruits_easy,
       "06-autoencoder-fruits"),
    _C("no-desaturation-fruits", "Sec. 3.1",
       "we seems not to encounter the desaturation problem [on fruits]",
       ("cnn-fruits-mse", "ae-fruits-mse"), "chroma ratio (test set)",
       "chroma ratio >= 0.85 for the CNN and the autoencoder", no_desaturation_fruits,
       "06-autoencoder-fruits"),
    _C("augmentation-useless-fruits", "Sec. 3.1",
       "data augmentation seems useless in this case [fruits]",
       ("cnn-fruits-mse", "cnn-fruits-mse-flip"), "CIEDE2000 with vs without flips (test set)",
       "flips improve CIEDE2000 by < 5 %", augmentation_useless, "03-cnn-fruits"),
    _C("losses-fruits-similar", "Sec. 5.1, Fig. 3", "Outputs are similar [SmoothL1 vs MSE]",
       ("cnn-fruits-mse", "cnn-fruits-smoothl1"), "PSNR and CIEDE2000 (test set)",
       "PSNR within 1 dB and CIEDE2000 within 20 %", losses_similar, "04-cnn-fruits-losses"),
    _C("losses-fruits-mse-saturated", "Sec. 5.1, Fig. 3",
       "MSE colors seem to be more saturated", ("cnn-fruits-mse", "cnn-fruits-smoothl1"),
       "chroma ratio (test set)", "MSE's chroma ratio above SmoothL1's", mse_more_saturated,
       "04-cnn-fruits-losses"),
    _C("losses-fruits-sl1-less-confusion", "Sec. 5.1, Fig. 3",
       "SmoothL1Loss seems to make less confusion when we have an objects that can assume "
       "different color", ("cnn-fruits-mse", "cnn-fruits-smoothl1"),
       "mean hue error of each fruit class (test set)",
       "SmoothL1's class hue error below MSE's", sl1_less_confusion, "04-cnn-fruits-losses"),
    _C("cnn-fruits-photos-worse", "Sec. 5.1, Fig. 4",
       "results are not as good as the ones obtained using test images",
       ("cnn-fruits-mse",), "-", "-", None, "09-real-world-photos",
       untestable=NO_FRUIT_PHOTOS.format(fig=4),
       domains="fruit test photos vs real-world photographs of fruit"),
    _C("cnn-small-animals-fails", "Sec. 5.1, animals",
       "We can not achieve any relevant results ... Output images are desaturated",
       ("cnn-small-animals-mse",), "chroma ratio and CIEDE2000 / gray (test set)",
       f"chroma ratio < 0.6 and CIEDE2000 > {MEANINGFUL_DE}x gray", small_cnn_fails_animals,
       "05-cnn-animals", min_epochs=60, early=NOT_REPRODUCED,
       early_decide=small_cnn_has_results),
    _C("cnn-animals-same-ab-first", "Sec. 5.1, animals",
       "At the beginning, the network can't distinguish different objects, so it applies to "
       "every images the same ab values", ("cnn-animals-mse",),
       "spread of per-image mean ab over the truth's, first snapshot",
       f"< {NOTHING_SPREAD} at the first snapshot epoch", same_ab_first, "05-cnn-animals"),
    _C("cnn-animals-learns-after-50", "Sec. 5.1, animals",
       "After 50 / 60 iterations it starts to produce relevant results",
       ("cnn-animals-mse",), "CIEDE2000 / gray on the snapshot test images per epoch",
       f"the first snapshot at <= {MEANINGFUL_DE}x gray is between epoch 20 and 100 in every "
       "seed", learns_after_50, "05-cnn-animals", min_epochs=60),
    _C("cnn-animals-photos-worse", "Sec. 5.1, animals",
       "If we try to apply our network to an image it has never seen, we achieve worst results",
       ("cnn-animals-mse",), "-", "-", None, "05-cnn-animals", untestable=NO_ANIMAL_PHOTOS,
       domains="animal test photos vs animal photographs from elsewhere"),
    _C("ae-small-fruits-nothing", "Sec. 5.2",
       "a much simpler architecture (around 1M parameters) ... after 600 epochs it does not "
       "color anything", ("ae-small-fruits-mse",),
       "per-image colour spread / truth's, hue error (test set)",
       f"spread < {NOTHING_SPREAD} (one colour for every image) or hue error > "
       f"{NOTHING_HUE:g} degrees", ae_small_nothing, "06-autoencoder-fruits", min_epochs=600,
       early=NOT_REPRODUCED),
    _C("ae-fruits-10-epochs", "Sec. 5.2, Fig. 6",
       "already after 10 epochs it colorize perfectly the images", ("ae-fruits-mse",),
       "CIEDE2000 / gray and hue error, snapshot test images",
       f"<= {COLOURS_WELL_DE}x gray and hue error <= {COLOURS_WELL_HUE:g} degrees at the last "
       "snapshot by epoch 10", ae_10_epochs, "06-autoencoder-fruits", min_epochs=10,
       early=REPRODUCED),
    _C("ae-fruits-photos-worse", "Sec. 5.2, Fig. 7",
       "In the other cases, the neural network does not reproduce meaningful results",
       ("ae-fruits-mse",), "-", "-", None, "09-real-world-photos",
       untestable=NO_FRUIT_PHOTOS.format(fig=7),
       domains="fruit test photos vs real-world photographs of fruit"),
    _C("ae-animals-sl1-less-desaturated", "Sec. 5.2, Fig. 8",
       "using the L1Smooth loss, the color is less desaturated",
       ("ae-animals-mse", "ae-animals-smoothl1"), "chroma ratio (test set)",
       "SmoothL1's chroma ratio above MSE's", ae_animals_less_desaturated,
       "07-autoencoder-animals-losses"),
    _C("ae-animals-sl1-stains", "Sec. 5.2, Fig. 8",
       "there are some gray stains. On the other hand the MSE ... the stain are almost absent",
       ("ae-animals-mse", "ae-animals-smoothl1"), "gray-stain share (test set)",
       "SmoothL1 leaves more gray stains than MSE", ae_animals_stains,
       "07-autoencoder-animals-losses"),
    _C("ae-learns-faster", "Sec. 5, Fig. 9", "the autoencoder network seems to learn faster",
       ("cnn-animals-mse", "ae-animals-mse"),
       "first snapshot epoch at which each colours the snapshot test images",
       f"the autoencoder colours first (CIEDE2000 <= {COLOURS_DE}x gray and per-image colour "
       f"spread >= {NOTHING_SPREAD}) in every seed", ae_faster,
       "08-cnn-vs-autoencoder"),
    _C("cnn-less-desaturated-more-accurate", "Sec. 5, Fig. 9",
       "the output of the CNN is less desaturated and more accurate",
       ("cnn-animals-mse", "ae-animals-mse"), "chroma ratio and CIEDE2000 (test set)",
       f"the CNN has the higher chroma ratio and the lower CIEDE2000 (once either colours: "
       f"CIEDE2000 <= {COLOURS_DE}x gray)", cnn_better_end,
       "08-cnn-vs-autoencoder"),
    _C("ae-desaturates-unseen", "Sec. 5.2, Fig. 10",
       "the autoencoder tends to desaturate the color of images it has never seen",
       ("ae-animals-mse",), "chroma ratio on never-seen photos vs test images",
       "< 0.7 on the photos and below the test set's", ae_desaturates_unseen,
       "08-cnn-vs-autoencoder",
       domains="trained on cats and dogs; never seen: scikit-image's 8 photographs (a person, "
               "a cat, coffee, a rocket, space, microscopy, a retina, a motorcycle)"),
    _C("backgrounds-green", "Sec. 5",
       "It seems that the images are green-ish ... pictures with grass or nature in it",
       ("cnn-animals-mse", "ae-animals-mse"), "share of green pixels (a <= -5), mean a",
       "both networks: more green pixels than the truth and mean a < 0", green,
       "08-cnn-vs-autoencoder"),
    _C("animals-meaningful", "Sec. 6",
       "our simple architectures succeed to colorize pictures in a meaningful (but not in "
       "\"realistic\") way", ("cnn-animals-mse", "ae-animals-mse"),
       "CIEDE2000 / gray and hue error (test set)",
       f"both: CIEDE2000 <= {MEANINGFUL_DE}x gray and hue error <= {MEANINGFUL_HUE:g} degrees",
       animals_meaningful, "08-cnn-vs-autoencoder"),
]}


# ------------------------------------------------------------------ deciding


def data_kind(claim: Claim, ev: Evidence) -> str | None:
    """``"generated"`` when any of the claim's runs trained on generated images, ``"real"``
    when all trained on photographs, ``None`` when none ran."""
    from colorization.data.datasets import kind_of

    used = [ev.dataset[n] for n in claim.experiments if n in ev.dataset]
    if not used:
        return None
    return "generated" if any(kind_of(d) == "generated" for d in used) else "real"


def verdict(claim: Claim, ev: Evidence) -> tuple[str, str, str]:
    """``(verdict, measured, reason)`` of ``claim`` on ``ev``; ``reason`` says why a claim
    is not testable, inconclusive or only indicative (empty for a decided verdict)."""
    if claim.untestable:
        return NOT_TESTABLE, "-", claim.untestable
    for name in claim.experiments:
        if name not in ev.epochs:
            return NOT_TESTABLE, "-", f"experiment {name} has not been run"
    short = {n: ev.epochs[n] for n in claim.experiments if ev.epochs[n] < claim.min_epochs}
    try:
        outcome = (claim.early_decide if short and claim.early_decide else claim.decide)(ev)
    except Missing as err:
        return NOT_TESTABLE, "-", str(err)
    if short and outcome.verdict != claim.early:
        name, got = next(iter(short.items()))
        return NOT_TESTABLE, outcome.text, (f"needs >= {claim.min_epochs} epochs; {name} ran "
                                            f"{got}")
    if data_kind(claim, ev) == "generated":
        generated = sorted(ev.dataset[n] for n in claim.experiments
                           if ev.dataset[n].startswith("synthetic-"))
        return INDICATIVE, outcome.text, (f"decided on generated images ({', '.join(generated)}),"
                                          f" which never decide a claim about photographs; on "
                                          f"these numbers it would be {outcome.verdict}")
    reason = "the effect is within the seed-to-seed noise" if outcome.verdict == INCONCLUSIVE \
        else ""
    return outcome.verdict, outcome.text, reason


def snapshot_metrics(run: Run, set_name: str = "test", epochs=None,
                     images=None) -> dict[int, dict]:
    """Metrics (with the gray baseline and :func:`metrics.claim_metrics`) of the snapshot
    images of ``set_name`` (default the test images) of a
    :class:`~colorization.runs.rundir.Run` at each of ``epochs`` (default every snapshot
    epoch); ``{}`` when the run stores no such set. ``images``: that set's inputs when the
    caller has read them. The inputs are read, and their gray baseline computed, once."""
    if images is None:
        inputs = run.snapshot_inputs()
        if set_name not in inputs:
            return {}
        images = inputs[set_name]
    chosen = run.snapshot_epochs() if epochs is None else list(epochs)
    if not chosen:
        return {}
    gray = metrics.gray_baseline(images)
    return {epoch: metrics.evaluate_with_baseline(images, run.snapshot(epoch)[set_name],
                                                  gray=gray)
            for epoch in chosen}


def gather(profile: str, names=None) -> Evidence:
    """The evidence of every experiment in ``names`` (default: all) whose every seed has
    finished at ``profile``. Nothing is trained; unfinished experiments are simply absent."""
    ev = Evidence()
    for name in names or experiments.EXPERIMENTS:
        runs = [Run(experiments.run_dir(name, profile, s))
                for s in experiments.seeds(name, profile)]
        if not all(r.finished for r in runs):
            continue
        ev.epochs[name] = int(runs[0].config.epochs)
        ev.dataset[name] = runs[0].status.get("dataset", runs[0].config.data)
        ev.history[name] = [r.history() for r in runs]
        ev.metrics[name] = experiments.evaluate_all(name, profile)
        ev.photos[name] = experiments.evaluate_all(name, profile, data="photos")
        ev.snapshots[name] = [snapshot_metrics(r) for r in runs]
        ev.scale[name] = experiments.scale_text(name, profile)
    return ev


def table(profile: str, notebook: str | None = None, evidence: Evidence | None = None
          ) -> list[dict]:
    """One row per claim (only ``notebook``'s when given): id, where, says, rule, measured,
    verdict, reason, the experiments, the kind of data and the scale they were decided on."""
    chosen = [c for c in CLAIMS.values() if notebook is None or c.notebook == notebook]
    if evidence is None:
        evidence = gather(profile, sorted({n for c in chosen for n in c.experiments
                                           if not c.untestable}))
    rows = []
    for c in chosen:
        outcome, measured, reason = verdict(c, evidence)
        decided_on = "" if c.untestable else "; ".join(
            f"{n}: {evidence.scale[n]}" for n in c.experiments if n in evidence.scale)
        rows.append({"id": c.id, "where": c.where, "says": c.says, "measured": measured,
                     "verdict": outcome, "reason": reason, "experiments": list(c.experiments),
                     "rule": "" if c.untestable else f"{c.metric}: {c.rule}",
                     "profile": profile,
                     "kind": None if c.untestable else data_kind(c, evidence),
                     "scale": decided_on, "domains": c.domains})
    return rows


def noise_floor(profile: str, keys=("ciede2000", "hue_error", "chroma_ratio", "psnr"),
                evidence: Evidence | None = None) -> dict[str, dict[str, float]]:
    """The null comparison of every replicated experiment: for each metric, the mean absolute
    difference between two seeds of that one configuration (the noise a difference between
    experiments must clear). ``{experiment: {metric: difference}}``."""
    evidence = evidence or gather(profile)
    out = {}
    for name, per_seed in evidence.metrics.items():
        if len(per_seed) < 2:
            continue
        out[name] = {k: evidence.v(name, k).null_difference() for k in keys
                     if all(m.get(k) is not None for m in per_seed)}
    return out


def format_noise_floor(floors: dict[str, dict[str, float]]) -> str:
    """:func:`noise_floor` as a printed table (rounded, so notebooks compare)."""
    keys = sorted({k for row in floors.values() for k in row})
    width = max([len("experiment")] + [len(n) for n in floors])
    lines = [f"{'experiment':{width}s} " + " ".join(f"{k:>13s}" for k in keys)]
    for name, row in floors.items():
        lines.append(f"{name:{width}s} " + " ".join(
            f"{row[k]:13.3f}" if k in row else f"{'-':>13s}" for k in keys))
    return "\n".join(lines)


def write(rows: list[dict]) -> None:
    """Store ``rows`` in ``reports/results.json`` under ``"claims"``, in the registry's order."""
    report.store_claims(rows, order=list(CLAIMS))


def show(profile: str, notebook: str | None = None) -> list[dict]:
    """The closing cell of a notebook: print its claims table, record it, return the rows."""
    rows = table(profile, notebook)
    print(report.format_claims_text(rows))
    write(rows)
    return rows

