"""The paper's claims as data, each decided by the numbers of this suite's runs, over seeds.

Every claim Depaoli & Mistrali make is one :class:`Claim` in :data:`CLAIMS`: where the paper
makes it, its words, the experiments it reads
(:data:`colorization.study.experiments.EXPERIMENTS`), the metric and the rule that decides it,
the scale it needs, the domains it compares, and the verdict it must give on each fabricated
network of :data:`FAKES` (``tests/test_fakes.py`` checks all of them). :func:`verdict` turns
the runs' numbers (an :class:`Evidence`: every seed of every experiment) into a
:class:`Decision`, one of

- ``reproduced`` / ``not reproduced``: the rule decides with a t-test at the seeds' degrees of
  freedom, the 95 % interval of the effect clear of the threshold
  (:mod:`colorization.study.stats`), it stays significant after Holm's correction over every
  claim decided in the run (:func:`table`), and no threshold of the rule moved by 20 % turns
  it around;
- ``fragile``: decided at the stated thresholds, turned around when one of them moves by
  20 %: never counted as reproduced or refuted;
- ``inconclusive``: the effect is within the noise, or the seeds are degenerate (one seed,
  identical numbers, a non-finite value): the reason says which;
- ``by construction``: the comparison cannot say anything, because of how it is set up (the two
  losses compared are one objective; a 33x larger network is slower): never counted;
- ``not testable at this scale``: a network the claim is about has not learned to colour (it
  does not beat both the gray and the mean-tint baseline: :func:`learned`), or an experiment
  ran fewer epochs than the claim names;
- ``indicative, generated data``: the runs trained on generated images, which never decide a
  claim about photographs (the reason says which way it would go);
- ``not testable here``: an experiment has not run, its files are damaged, or what it needs
  does not ship with the project.

**One guard for every claim about what a trained network does** (:attr:`Claim.kind`
``"does"``): before its rule reads anything, each network the claim reads must have learned
to colour: its CIEDE2000 below both the gray baseline's and the mean-tint baseline's (the
training set's mean ab as a constant prediction) and its per-image colour spread above
:data:`THRESHOLDS` ``learned_spread`` of the truth's, each beyond the noise (the 95 % interval
clear). A gray, tinted or constant output never passes it. Claims that a network *fails*
(``"fails"``), claims about *when* it starts colouring (``"when"``), and the speed claim
(``"speed"``) are decided on the baselines themselves.

A claim about what happens *after* N epochs can be settled early in one direction only: a
network that already colours well before epoch 10 reproduces "colours well after 10 epochs"
(``early="reproduced"``), and a network that already colours after 8 epochs refutes
"colours nothing after 600 epochs" (``early="not reproduced"``). The other outcome waits for
the scale.

The numbers: test-set metrics of every seed on every test image
(:func:`colorization.study.experiments.evaluate`, with both baselines), the same on the
never-seen photographs (``photos``), per-epoch metrics of the fixed snapshot test images (the
same for every seed; :func:`snapshot_metrics`) and images/s from ``history.csv``. Thresholds
live in :data:`THRESHOLDS`, named in each rule, so a reader can disagree with one.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

from colorization.core import fileio, metrics
from colorization.runs import evaluate
from colorization.runs.rundir import Run
from colorization.study import experiments, report
from colorization.study.stats import (
    BY_CONSTRUCTION,
    DECIDED,
    FRAGILE,
    INCONCLUSIVE,
    INDICATIVE,
    LEGEND,
    NOT_REPRODUCED,
    NOT_TESTABLE,
    NOT_TESTABLE_SCALE,
    REPRODUCED,
    BadNumber,
    Outcome,
    Values,
    above,
    all_of,
    any_of,
    below,
    greater,
    holm,
    within,
)

GUARD = True  # tests/test_fakes.py turns it off to show what it protects


class Missing(Exception):
    """A number a rule needs is absent or impossible (experiment not run, metric not
    computed, a damaged value)."""


def _range(key: str) -> tuple[float, float]:
    """The possible range of ``key`` (:data:`colorization.runs.evaluate.METRIC_RANGES`, one
    table for the files and the rules): a value outside it is damaged, not data."""
    base = key.removesuffix("_gray").removesuffix("_tint")
    return evaluate.METRIC_RANGES.get(base, (-math.inf, math.inf))


def _checked(m: dict, key: str, what: str) -> float:
    """``m[key]`` when it is a number in ``key``'s range; NaN and infinities pass, and so does
    ``None`` stored for a metric that could not be computed, as NaN (a degenerate statistic is
    inconclusive, with its reason); anything else is :class:`Missing` naming where it came
    from."""
    if key not in m:
        raise Missing(f"{what}: metric {key!r} missing (evaluate the runs again)")
    value = m[key]
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Missing(f"{what}: metric {key!r} is {value!r}, not a number: delete the run's "
                      "metrics/ folder and run `make reproduce` again")
    low, high = _range(key)
    if math.isfinite(value) and not low <= value <= high:
        raise Missing(f"{what}: metric {key!r} is {value!r}, outside its possible range "
                      f"[{low:g}, {high:g}]: delete the run's metrics/ folder and run "
                      "`make reproduce` again")
    return float(value)


@dataclass
class Evidence:
    """The numbers rules read, per experiment name, one entry per seed (in seed order).

    ``metrics``: test-set metrics (:func:`colorization.core.metrics.evaluate_with_baseline`
    keys, with the ``_gray`` and ``_tint`` baselines); ``photos``: the same on the never-seen
    photographs; ``snapshots``: ``{epoch: metrics of the snapshot test images}``;
    ``history``: ``history.csv`` rows; ``epochs``: epochs trained; ``dataset``: the dataset
    the runs used; ``scale``: what they trained, in words
    (:func:`colorization.study.experiments.scale_text`); ``losses``: the loss, its threshold
    and the network's output convention; ``damaged``: why an experiment's files could not be
    read (its claims are not testable, every other claim is still decided).
    """

    metrics: dict[str, list[dict]] = field(default_factory=dict)
    photos: dict[str, list[dict]] = field(default_factory=dict)
    snapshots: dict[str, list[dict]] = field(default_factory=dict)
    history: dict[str, list[list]] = field(default_factory=dict)
    epochs: dict[str, int] = field(default_factory=dict)
    dataset: dict[str, str] = field(default_factory=dict)
    scale: dict[str, str] = field(default_factory=dict)
    losses: dict[str, dict] = field(default_factory=dict)
    damaged: dict[str, str] = field(default_factory=dict)

    def v(self, name: str, key: str, where: str = "metrics") -> Values:
        """``key`` of every seed of ``name``."""
        per_seed = getattr(self, where).get(name)
        if not per_seed:
            raise Missing(f"{name} has no {'test' if where == 'metrics' else where} metrics")
        return Values.of(_checked(m, key, f"{name}, seed {i}")
                         for i, m in enumerate(per_seed))

    def ratio(self, name: str, key: str = "ciede2000", where: str = "metrics",
              base: str = "gray") -> Values:
        """``key`` over its ``base`` baseline (``gray`` or ``tint``) per seed (0.4 = 40 % of
        that baseline's)."""
        value, ref = self.v(name, key, where), self.v(name, f"{key}_{base}", where)
        return Values.of(a / b if b else math.nan
                         for a, b in zip(value.values, ref.values, strict=True))

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
        return epoch, Values.of(_checked(s[epoch], key, f"{name}, epoch {epoch}")
                                for s in per_seed)

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
                     if fileio.number_problem(r.get("images_per_second"), 0.0) is None]
            later = sorted(timed[1:] or timed)
            if not later:
                raise Missing(f"{name} has no timed epochs in history.csv")
            out.append(later[len(later) // 2])
        if not out:
            raise Missing(f"{name} has no history")
        return Values.of(out, digits=1)


def _value(m: dict, key: str) -> float:
    return _checked(m, key, "snapshot")


# ------------------------------------------------------------------ thresholds

# Every threshold a rule reads, by name; :func:`th` reads them, so that :func:`verdict` can
# move each by 20 % and mark a verdict that turns around as fragile.
THRESHOLDS = {
    "colours_well_de": 0.5,  # CIEDE2000 at most this share of the gray baseline's
    "colours_well_hue": 30.0,  # degrees of hue error on the truly coloured pixels
    "class_hue_max": 45.0,  # degrees: the worst fruit class's mean hue error
    "few_epochs_de": 0.7,
    "meaningful_de": 0.8,
    "meaningful_hue": 45.0,
    "nothing_spread": 0.25,  # per-image colour spread over the truth's: below, one colour
    "nothing_hue": 60.0,
    "learned_spread": 0.25,  # the guard: images told apart at least this much
    "colours_de": 0.9,  # a snapshot colours once its CIEDE2000 is this far below gray's
    "desaturated_chroma": 0.85,
    "fails_chroma": 0.6,
    "unseen_chroma": 0.7,
    "flip_gain": 0.05,
    "similar_psnr_db": 1.0,
    "similar_de": 0.2,
    "slow_share": 0.25,
    "learns_from": 20.0,  # the first colouring snapshot epoch of "after 50 / 60 iterations"
    "learns_by": 100.0,
}
SAME_OBJECTIVE_SHARE = 0.99  # SmoothL1 and MSE coincide on this share of the errors or more
_factors: contextvars.ContextVar[dict | None] = contextvars.ContextVar("factors", default=None)
_used: contextvars.ContextVar[set | None] = contextvars.ContextVar("used", default=None)


def th(name: str) -> float:
    """Threshold ``name`` (moved by the factor :func:`verdict`'s sensitivity check sets)."""
    used = _used.get()
    if used is not None:
        used.add(name)
    return THRESHOLDS[name] * (_factors.get() or {}).get(name, 1.0)


@contextlib.contextmanager
def _thresholds(factors: dict | None = None, used: set | None = None) -> Iterator[None]:
    tokens = (_factors.set(factors or {}), _used.set(used))
    try:
        yield
    finally:
        _factors.reset(tokens[0])
        _used.reset(tokens[1])


# ------------------------------------------------------------------ the guard


def _beyond(values: Values, bound: float, higher: bool, what: str) -> tuple[bool, str]:
    """Whether ``values`` lie beyond ``bound`` (above when ``higher``) beyond the noise: the
    95 % interval clear of it; a sample without spread (one seed, identical seeds) by its
    mean; a non-finite value never."""
    test = above if higher else below
    if not values.finite:
        return False, f"{what} {values.text()}: not finite"
    if values.n < 2 or values.sd == 0.0:
        ok = values.mean > bound if higher else values.mean < bound
        return ok, f"{what} {values.text()} vs {'>' if higher else '<'} {bound:g}"
    outcome = test(values, bound, what)
    return outcome.verdict == REPRODUCED, outcome.text


def learned(ev: Evidence, name: str) -> tuple[bool, str]:
    """Whether ``name``'s network has learned to colour its test images, and the numbers:
    CIEDE2000 below the gray baseline's and below the mean-tint baseline's, and per-image
    colour spread above ``learned_spread`` of the truth's, each beyond the noise."""
    parts = [_beyond(ev.ratio(name), 1.0, False, "CIEDE2000 / gray"),
             _beyond(ev.ratio(name, base="tint"), 1.0, False, "CIEDE2000 / mean tint"),
             _beyond(ev.v(name, "spread_ratio"), th("learned_spread"), True,
                     "colour spread / truth's")]
    return all(ok for ok, _ in parts), f"{name}: " + "; ".join(text for _, text in parts)


def _guard(claim: Claim, ev: Evidence) -> str:
    """Why ``claim`` cannot be decided yet (empty when every network it reads has learned)."""
    if not GUARD or claim.kind != "does":
        return ""
    for name in claim.experiments:
        ok, text = learned(ev, name)
        if not ok:
            return (f"{name} has not learned to colour (it must beat the gray and the "
                    f"mean-tint baseline beyond the noise): {text}")
    return ""


# ------------------------------------------------------------------ rule building blocks


def _colours_well(ev: Evidence, name: str, classes: bool = False) -> Outcome:
    parts = [below(ev.ratio(name), th("colours_well_de"), f"{name}: CIEDE2000 / gray"),
             below(ev.v(name, "hue_error"), th("colours_well_hue"), "hue error (degrees)")]
    if classes:
        parts.append(below(ev.v(name, "class_hue_error_max"), th("class_hue_max"),
                           "worst class's hue error"))
    return all_of(*parts)


def _snapshot_colours(ev: Evidence, name: str, by_epoch: int, de: float, hue: float) -> Outcome:
    epoch, _ = ev.snap(name, "ciede2000", by_epoch)
    _, hue_values = ev.snap(name, "hue_error", epoch)
    return all_of(below(ev.snap_ratio(name, epoch), de,
                        f"{name}, epoch {epoch}, snapshot test images: CIEDE2000 / gray"),
                  below(hue_values, hue, "hue error (degrees)"))


def _meaningful(ev: Evidence, name: str) -> Outcome:
    return all_of(below(ev.ratio(name), th("meaningful_de"), f"{name}: CIEDE2000 / gray"),
                  below(ev.v(name, "hue_error"), th("meaningful_hue"), "hue error (degrees)"))


# ------------------------------------------------------------------ the rules


def zhang_full_colours(ev):
    return _colours_well(ev, "zhang-full-fruits")


def zhang_full_slow(ev):
    full, small = ev.speed("zhang-full-fruits"), ev.speed("cnn-fruits-mse")
    # the seeds both ran (the ~1M CNN may run more), paired seed by seed
    share = Values.of(a / b for a, b in zip(full.values, small.values, strict=False))
    return below(share, th("slow_share"), f"images/s {full.text()} vs {small.text()} for the "
                                          "~1M CNN: share")


def cnn_fruits_few_epochs(ev):
    return _snapshot_colours(ev, "cnn-fruits-mse", 3, th("few_epochs_de"), th("meaningful_hue"))


def fruits_easy(ev):
    return all_of(_colours_well(ev, "cnn-fruits-mse", classes=True),
                  _colours_well(ev, "ae-fruits-mse", classes=True))


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


def _losses_similar(mse: str, other: str):
    def rule(ev):
        return all_of(
            within(ev.v(mse, "psnr"), ev.v(other, "psnr"), th("similar_psnr_db"),
                   ("MSE", "SmoothL1"), "PSNR"),
            within(ev.v(mse, "ciede2000"), ev.v(other, "ciede2000"), th("similar_de"),
                   ("MSE", "SmoothL1"), "CIEDE2000", relative=True))
    return rule


def _mse_more_saturated(mse: str, other: str):
    def rule(ev):
        return greater(ev.v(mse, "chroma_ratio"), ev.v(other, "chroma_ratio"),
                       ("MSE", "SmoothL1"), "chroma ratio")
    return rule


def _sl1_less_confusion(mse: str, other: str):
    def rule(ev):
        return greater(ev.v(mse, "class_hue_error"), ev.v(other, "class_hue_error"),
                       ("MSE", "SmoothL1"), "mean class hue error (degrees)")
    return rule


def small_cnn_fails_animals(ev):
    name = "cnn-small-animals-mse"
    return all_of(below(ev.v(name, "chroma_ratio"), th("fails_chroma"), "chroma ratio"),
                  above(ev.ratio(name), th("meaningful_de"), "CIEDE2000 / gray"))


def small_cnn_has_results(ev):
    """The part of :func:`small_cnn_fails_animals` that a short run settles: results (CIEDE2000
    clearly below 0.8x gray) already refute "can not achieve any relevant results"."""
    return above(ev.ratio("cnn-small-animals-mse"), th("meaningful_de"), "CIEDE2000 / gray")


def same_ab_first(ev):
    epoch, values = ev.snap("cnn-animals-mse", "spread_ratio", first=True)
    return below(values, th("nothing_spread"),
                 f"epoch {epoch}: per-image colour spread / truth's")


def _every_seed(verdict: str, text: str, n: int) -> Outcome:
    """A verdict every one of ``n`` seeds agrees on, with its sign test (two-sided p of n
    seeds agreeing by chance: 2 x 0.5^n; 3 seeds can never reach 0.05)."""
    p = min(1.0, 2 * 0.5 ** n)
    return Outcome(verdict, f"{text} (every seed agrees: sign test, {n} seeds, p = {p:.2g})",
                   effect=float(n), test=f"sign test, {n} of {n} seeds", p=p)


def _colouring_epochs(snaps: dict[int, dict], share: float,
                      min_spread: float | None = None) -> Iterator[int]:
    """The snapshot epochs, in order (lazily), with CIEDE2000 at most ``share`` of the gray
    baseline's and below the mean-tint baseline's (where measured) and, with ``min_spread``,
    images told apart (spread at least that)."""
    for epoch in sorted(snaps):
        m = snaps[epoch]
        de = _value(m, "ciede2000")
        tint = m.get("ciede2000_tint")
        if (de <= share * _value(m, "ciede2000_gray")
                and (tint is None or de < _value(m, "ciede2000_tint"))
                and (min_spread is None or _value(m, "spread_ratio") >= min_spread)):
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
    if len(firsts) >= 2 and all(inside):
        return _every_seed(REPRODUCED, text, len(firsts))
    if len(firsts) >= 2 and not any(inside):
        return _every_seed(NOT_REPRODUCED, text, len(firsts))
    return Outcome(INCONCLUSIVE, text, why="the seeds disagree")


def ae_small_nothing(ev):
    name = "ae-small-fruits-mse"
    return any_of(below(ev.v(name, "spread_ratio"), th("nothing_spread"),
                        f"after {ev.epochs.get(name)} epochs: per-image colour spread / "
                        "truth's"),
                  above(ev.v(name, "hue_error"), th("nothing_hue"), "hue error (degrees)"),
                  above(ev.ratio(name, base="tint"), 1.0, "CIEDE2000 / mean tint"))


def ae_10_epochs(ev):
    return _snapshot_colours(ev, "ae-fruits-mse", 10, th("colours_well_de"),
                             th("colours_well_hue"))


def ae_animals_less_desaturated(ev):
    return greater(ev.v("ae-animals-smoothl1", "chroma_ratio"),
                   ev.v("ae-animals-mse", "chroma_ratio"), ("SmoothL1", "MSE"), "chroma ratio")


def ae_animals_stains(ev):
    return greater(ev.v("ae-animals-smoothl1", "gray_stain"), ev.v("ae-animals-mse", "gray_stain"),
                   ("SmoothL1", "MSE"), "gray-stain share")


def ae_faster(ev):
    """Per seed, the first snapshot epoch at which each network colours (a uniform tint close
    to gray is not learning); the autoencoder is faster when it gets there first in every
    seed."""
    cnn, ae = ev.snapshots.get("cnn-animals-mse"), ev.snapshots.get("ae-animals-mse")
    if not cnn or not ae or len(cnn) != len(ae):
        raise Missing("cnn-animals-mse and ae-animals-mse need snapshots of every seed")
    share, spread = th("colours_de"), th("nothing_spread")
    firsts = [(next(_colouring_epochs(c, share, spread), None),
               next(_colouring_epochs(a, share, spread), None))
              for c, a in zip(cnn, ae, strict=True)]

    def shown(epoch):
        return "never" if epoch is None else f"epoch {epoch}"

    text = (f"first snapshot epoch colouring (CIEDE2000 <= {share:g}x gray and below the mean "
            f"tint's, spread >= {spread:g}), per seed, CNN vs autoencoder: "
            + ", ".join(f"{shown(c)} vs {shown(a)}" for c, a in firsts))
    inf = float("inf")
    ae_first = [(a if a is not None else inf) < (c if c is not None else inf)
                for c, a in firsts]
    cnn_first = [(c if c is not None else inf) < (a if a is not None else inf)
                 for c, a in firsts]
    if len(firsts) >= 2 and all(ae_first):
        return _every_seed(REPRODUCED, text, len(firsts))
    if len(firsts) >= 2 and all(cnn_first):
        return _every_seed(NOT_REPRODUCED, text, len(firsts))
    return Outcome(INCONCLUSIVE, text, why="the seeds disagree, or both colour at the same "
                                           "snapshot")


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
    return all_of(_meaningful(ev, "cnn-animals-mse"), _meaningful(ev, "ae-animals-mse"))


# ------------------------------------------------------------------ settled by construction


def _same_objective(mse: str, other: str) -> Callable[[Evidence], str]:
    """Whether the two runs optimise one objective: SmoothL1 with beta = 1 (normalised units)
    is exactly 0.5 x MSE wherever |error| < 1, and Adam's step does not change when the loss
    is scaled. For [0, 1] targets and sigmoid outputs every error is below 1; for [-1, 1]
    ones the share of errors below 1 (128 ab units) is measured on the MSE network's test
    predictions."""
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


def _larger_network(ev: Evidence) -> str:
    return ("the 32M network does about 33x the multiply-adds per image of the ~1M CNN "
            "(docs/performance.md), so it is slower by construction; the measured share is "
            "shown, not counted")


# ------------------------------------------------------------------ the registry

Rule = Callable[[Evidence], Outcome]
FAKES = ("gray", "tint", "sepia", "random_tint", "truth", "truth_noise", "half_chroma",
         "green")
_NOT_LEARNED = ("gray", "tint", "sepia", "random_tint", "green")


def _fakes(default: str = NOT_TESTABLE_SCALE, **learning: str) -> dict[str, str]:
    """The verdict a claim gives on each fabricated network: ``default`` for the five that
    have not learned, ``learning`` for the truth, the truth plus noise, half chroma."""
    out = {f: default for f in _NOT_LEARNED}
    out.update({f: learning.get(f, INCONCLUSIVE) for f in ("truth", "truth_noise",
                                                           "half_chroma")})
    return out


def _all(verdict: str) -> dict[str, str]:
    return dict.fromkeys(FAKES, verdict)


@dataclass(frozen=True)
class Claim:
    """One claim of the paper (or beyond it).

    ``decide(evidence) -> Outcome``; ``kind``: ``"does"`` (about what a trained network does:
    guarded by :func:`learned`), ``"fails"`` (that a network does not learn), ``"when"`` (the
    epoch a network starts colouring), ``"speed"``; ``min_epochs``: epochs every experiment
    needs before the claim can be judged; ``early``: the verdict that stands below
    ``min_epochs``, decided by ``early_decide`` when the claim has one, else by ``decide``;
    ``construction``: ``evidence -> reason`` when the comparison is settled by its set-up;
    ``untestable``: why the claim cannot be tested with what ships with the project;
    ``domains``: the domains a claim compares, in words; ``fakes``: the verdict it must give on
    each fabricated network of :data:`FAKES`."""

    id: str
    where: str
    says: str
    experiments: tuple[str, ...]
    metric: str
    rule: str
    decide: Rule | None
    notebook: str
    kind: str = "does"
    min_epochs: int = 0
    early: str | None = None
    untestable: str = ""
    domains: str = ""
    early_decide: Rule | None = None
    construction: Callable[[Evidence], str] | None = None
    fakes: dict = field(default_factory=dict)


NO_FRUIT_PHOTOS = (
    "needs photographs of fruit the network never saw, as the paper's Fig. {fig} shows; none "
    "ship with the project, and scikit-image's photographs (astronaut, cat, coffee, rocket, "
    "...) show no fruit, so a network trained on fruit doing worse on them is true by "
    "construction")
NO_ANIMAL_PHOTOS = (
    "needs animal photographs from outside the training data; the only one shipped is "
    "scikit-image's 'chelsea' (one cat) and the other seven show no animal, so doing worse on "
    "them is true by construction")
T = THRESHOLDS
_C = Claim
_LOSS_PAIR = ("cnn-fruits-mse", "cnn-fruits-smoothl1")
_AB10_PAIR = ("cnn-fruits-mse", "cnn-fruits-smoothl1-ab10")
_AE_PAIR = ("ae-animals-mse", "ae-animals-smoothl1")
_COLOURS_WELL_RULE = (f"CIEDE2000 <= {T['colours_well_de']}x gray and hue error <= "
                      f"{T['colours_well_hue']:g} degrees")
_BEYOND = "beyond the paper (SmoothL1's threshold in ab units)"

CLAIMS: dict[str, Claim] = {c.id: c for c in [
    _C("zhang-full-colours", "Sec. 5.1",
       "we are able to colorize test images correctly [with Zhang's full network]",
       ("zhang-full-fruits",), "CIEDE2000 / gray and hue error (test set)",
       _COLOURS_WELL_RULE, zhang_full_colours, "02-zhang-full-fruits", min_epochs=10,
       early=REPRODUCED, fakes=_fakes(truth_noise=REPRODUCED)),
    _C("zhang-full-slow", "Sec. 5.1",
       "the computational time is extremely slow ... around 32M parameters",
       ("zhang-full-fruits", "cnn-fruits-mse"), "training images/s (median epoch after the first)",
       f"the 32M network trains at <= {T['slow_share']}x the ~1M CNN's images/s",
       zhang_full_slow, "02-zhang-full-fruits", kind="speed", construction=_larger_network,
       fakes=_all(BY_CONSTRUCTION)),
    _C("cnn-fruits-few-epochs", "Sec. 5.1, Fig. 2",
       "even with small number of iteration, we are able to colorize the images in a "
       "meaningful way", ("cnn-fruits-mse",),
       "CIEDE2000 / gray and hue error, snapshot test images",
       f"<= {T['few_epochs_de']}x gray and hue error <= {T['meaningful_hue']:g} degrees at the "
       "last snapshot by epoch 3", cnn_fruits_few_epochs, "03-cnn-fruits",
       fakes=_fakes(truth_noise=REPRODUCED)),
    _C("fruits-easy", "Sec. 6",
       "The fruits dataset is pretty simple so the two different networks work both very well",
       ("cnn-fruits-mse", "ae-fruits-mse"), "CIEDE2000 / gray, hue error, class hue (test set)",
       f"both: {_COLOURS_WELL_RULE}, every fruit class's mean hue within "
       f"{T['class_hue_max']:g} degrees", fruits_easy, "06-autoencoder-fruits",
       fakes=_fakes(truth_noise=REPRODUCED)),
    _C("no-desaturation-fruits", "Sec. 3.1",
       "we seems not to encounter the desaturation problem [on fruits]",
       ("cnn-fruits-mse", "ae-fruits-mse"), "chroma ratio (test set)",
       f"chroma ratio >= {T['desaturated_chroma']} for the CNN and the autoencoder",
       no_desaturation_fruits, "06-autoencoder-fruits",
       fakes=_fakes(truth_noise=REPRODUCED)),
    _C("augmentation-useless-fruits", "Sec. 3.1",
       "data augmentation seems useless in this case [fruits]",
       ("cnn-fruits-mse", "cnn-fruits-mse-flip"), "CIEDE2000 with vs without flips (test set)",
       f"flips improve CIEDE2000 by < {100 * T['flip_gain']:g} %", augmentation_useless,
       "03-cnn-fruits", fakes=_fakes()),
    _C("losses-fruits-similar", "Sec. 5.1, Fig. 3", "Outputs are similar [SmoothL1 vs MSE]",
       _LOSS_PAIR, "PSNR and CIEDE2000 (test set)",
       f"PSNR within {T['similar_psnr_db']:g} dB and CIEDE2000 within "
       f"{100 * T['similar_de']:g} %", _losses_similar(*_LOSS_PAIR), "04-cnn-fruits-losses",
       construction=_same_objective(*_LOSS_PAIR), fakes=_all(BY_CONSTRUCTION)),
    _C("losses-fruits-mse-saturated", "Sec. 5.1, Fig. 3",
       "MSE colors seem to be more saturated", _LOSS_PAIR,
       "chroma ratio (test set)", "MSE's chroma ratio above SmoothL1's",
       _mse_more_saturated(*_LOSS_PAIR), "04-cnn-fruits-losses",
       construction=_same_objective(*_LOSS_PAIR), fakes=_all(BY_CONSTRUCTION)),
    _C("losses-fruits-sl1-less-confusion", "Sec. 5.1, Fig. 3",
       "SmoothL1Loss seems to make less confusion when we have an objects that can assume "
       "different color", _LOSS_PAIR, "mean hue error of each fruit class (test set)",
       "SmoothL1's class hue error below MSE's", _sl1_less_confusion(*_LOSS_PAIR),
       "04-cnn-fruits-losses", construction=_same_objective(*_LOSS_PAIR),
       fakes=_all(BY_CONSTRUCTION)),
    _C("losses-ab10-similar", _BEYOND,
       "with SmoothL1's threshold at 10 ab units (not the same objective as MSE), the outputs "
       "are similar", _AB10_PAIR, "PSNR and CIEDE2000 (test set)",
       f"PSNR within {T['similar_psnr_db']:g} dB and CIEDE2000 within "
       f"{100 * T['similar_de']:g} %", _losses_similar(*_AB10_PAIR), "04-cnn-fruits-losses",
       fakes=_fakes()),
    _C("losses-ab10-mse-saturated", _BEYOND,
       "with SmoothL1's threshold at 10 ab units, MSE's colours are more saturated", _AB10_PAIR,
       "chroma ratio (test set)", "MSE's chroma ratio above SmoothL1's",
       _mse_more_saturated(*_AB10_PAIR), "04-cnn-fruits-losses", fakes=_fakes()),
    _C("losses-ab10-sl1-less-confusion", _BEYOND,
       "with SmoothL1's threshold at 10 ab units, SmoothL1 confuses fruit colours less",
       _AB10_PAIR, "mean hue error of each fruit class (test set)",
       "SmoothL1's class hue error below MSE's", _sl1_less_confusion(*_AB10_PAIR),
       "04-cnn-fruits-losses", fakes=_fakes()),
    _C("cnn-fruits-photos-worse", "Sec. 5.1, Fig. 4",
       "results are not as good as the ones obtained using test images",
       ("cnn-fruits-mse",), "-", "-", None, "09-real-world-photos",
       untestable=NO_FRUIT_PHOTOS.format(fig=4),
       domains="fruit test photos vs real-world photographs of fruit",
       fakes=_all(NOT_TESTABLE)),
    _C("cnn-small-animals-fails", "Sec. 5.1, animals",
       "We can not achieve any relevant results ... Output images are desaturated",
       ("cnn-small-animals-mse",), "chroma ratio and CIEDE2000 / gray (test set)",
       f"chroma ratio < {T['fails_chroma']} and CIEDE2000 > {T['meaningful_de']}x gray",
       small_cnn_fails_animals, "05-cnn-animals", kind="fails", min_epochs=60,
       early=NOT_REPRODUCED, early_decide=small_cnn_has_results,
       fakes={**_all(NOT_REPRODUCED), "gray": INCONCLUSIVE, "tint": INCONCLUSIVE,
              "truth": INCONCLUSIVE}),
    _C("cnn-animals-same-ab-first", "Sec. 5.1, animals",
       "At the beginning, the network can't distinguish different objects, so it applies to "
       "every images the same ab values", ("cnn-animals-mse",),
       "spread of per-image mean ab over the truth's, first snapshot (once the network has "
       "learned by the end)", f"< {T['nothing_spread']} at the first snapshot epoch",
       same_ab_first, "05-cnn-animals",
       fakes=_fakes(truth_noise=NOT_REPRODUCED)),
    _C("cnn-animals-learns-after-50", "Sec. 5.1, animals",
       "After 50 / 60 iterations it starts to produce relevant results",
       ("cnn-animals-mse",), "CIEDE2000 / gray on the snapshot test images per epoch",
       f"the first snapshot at <= {T['meaningful_de']}x gray, below the mean tint's and with "
       f"colour spread >= {T['nothing_spread']} is between epoch {T['learns_from']:g} and "
       f"{T['learns_by']:g} in every seed", learns_after_50, "05-cnn-animals", kind="when",
       min_epochs=60, fakes=_all(NOT_REPRODUCED)),
    _C("cnn-animals-photos-worse", "Sec. 5.1, animals",
       "If we try to apply our network to an image it has never seen, we achieve worst results",
       ("cnn-animals-mse",), "-", "-", None, "05-cnn-animals", untestable=NO_ANIMAL_PHOTOS,
       domains="animal test photos vs animal photographs from elsewhere",
       fakes=_all(NOT_TESTABLE)),
    _C("ae-small-fruits-nothing", "Sec. 5.2",
       "a much simpler architecture (around 1M parameters) ... after 600 epochs it does not "
       "color anything", ("ae-small-fruits-mse",),
       "per-image colour spread / truth's, hue error, CIEDE2000 / mean tint (test set)",
       f"spread < {T['nothing_spread']} (one colour for every image), hue error > "
       f"{T['nothing_hue']:g} degrees or no better than the mean tint", ae_small_nothing,
       "06-autoencoder-fruits", kind="fails", min_epochs=600, early=NOT_REPRODUCED,
       fakes={**_all(REPRODUCED), "gray": INCONCLUSIVE, "truth": INCONCLUSIVE,
              "truth_noise": NOT_REPRODUCED, "half_chroma": INCONCLUSIVE}),
    _C("ae-fruits-10-epochs", "Sec. 5.2, Fig. 6",
       "already after 10 epochs it colorize perfectly the images", ("ae-fruits-mse",),
       "CIEDE2000 / gray and hue error, snapshot test images",
       f"{_COLOURS_WELL_RULE} at the last snapshot by epoch 10", ae_10_epochs,
       "06-autoencoder-fruits", min_epochs=10, early=REPRODUCED,
       fakes=_fakes(truth_noise=REPRODUCED)),
    _C("ae-fruits-photos-worse", "Sec. 5.2, Fig. 7",
       "In the other cases, the neural network does not reproduce meaningful results",
       ("ae-fruits-mse",), "-", "-", None, "09-real-world-photos",
       untestable=NO_FRUIT_PHOTOS.format(fig=7),
       domains="fruit test photos vs real-world photographs of fruit",
       fakes=_all(NOT_TESTABLE)),
    _C("ae-animals-sl1-less-desaturated", "Sec. 5.2, Fig. 8",
       "using the L1Smooth loss, the color is less desaturated", _AE_PAIR,
       "chroma ratio (test set)", "SmoothL1's chroma ratio above MSE's",
       ae_animals_less_desaturated, "07-autoencoder-animals-losses",
       construction=_same_objective(*_AE_PAIR), fakes=_all(BY_CONSTRUCTION)),
    _C("ae-animals-sl1-stains", "Sec. 5.2, Fig. 8",
       "there are some gray stains. On the other hand the MSE ... the stain are almost absent",
       _AE_PAIR, "gray-stain share (test set)", "SmoothL1 leaves more gray stains than MSE",
       ae_animals_stains, "07-autoencoder-animals-losses",
       construction=_same_objective(*_AE_PAIR), fakes=_all(BY_CONSTRUCTION)),
    _C("ae-learns-faster", "Sec. 5, Fig. 9", "the autoencoder network seems to learn faster",
       ("cnn-animals-mse", "ae-animals-mse"),
       "first snapshot epoch at which each colours the snapshot test images",
       f"the autoencoder colours first (CIEDE2000 <= {T['colours_de']}x gray and below the "
       f"mean tint's, per-image colour spread >= {T['nothing_spread']}) in every seed",
       ae_faster, "08-cnn-vs-autoencoder", fakes=_fakes()),
    _C("cnn-less-desaturated-more-accurate", "Sec. 5, Fig. 9",
       "the output of the CNN is less desaturated and more accurate",
       ("cnn-animals-mse", "ae-animals-mse"), "chroma ratio and CIEDE2000 (test set)",
       "the CNN has the higher chroma ratio and the lower CIEDE2000", cnn_better_end,
       "08-cnn-vs-autoencoder", fakes=_fakes()),
    _C("ae-desaturates-unseen", "Sec. 5.2, Fig. 10",
       "the autoencoder tends to desaturate the color of images it has never seen",
       ("ae-animals-mse",), "chroma ratio on never-seen photos vs test images",
       f"< {T['unseen_chroma']} on the photos and below the test set's", ae_desaturates_unseen,
       "08-cnn-vs-autoencoder",
       domains="trained on cats and dogs; never seen: scikit-image's 8 photographs (a person, "
               "a cat, coffee, a rocket, space, microscopy, a retina, a motorcycle)",
       fakes=_fakes(truth_noise=NOT_REPRODUCED)),
    _C("backgrounds-green", "Sec. 5",
       "It seems that the images are green-ish ... pictures with grass or nature in it",
       ("cnn-animals-mse", "ae-animals-mse"), "share of green pixels (a <= -5), mean a",
       "both networks: more green pixels than the truth and mean a < 0", green,
       "08-cnn-vs-autoencoder",
       fakes=_fakes(truth=NOT_REPRODUCED, truth_noise=NOT_REPRODUCED,
                    half_chroma=NOT_REPRODUCED)),
    _C("animals-meaningful", "Sec. 6",
       "our simple architectures succeed to colorize pictures in a meaningful (but not in "
       "\"realistic\") way", ("cnn-animals-mse", "ae-animals-mse"),
       "CIEDE2000 / gray and hue error (test set)",
       f"both: CIEDE2000 <= {T['meaningful_de']}x gray and hue error <= "
       f"{T['meaningful_hue']:g} degrees", animals_meaningful, "08-cnn-vs-autoencoder",
       fakes=_fakes(truth_noise=REPRODUCED)),
]}


# ------------------------------------------------------------------ deciding


@dataclass
class Decision:
    """A claim's verdict on the evidence: ``verdict``, what was ``measured`` (in words),
    ``reason`` (why not decided, or why fragile), and the statistics of the deciding test
    (``effect``, its 95 % interval ``low`` .. ``high``, ``test``, two-sided ``p``)."""

    verdict: str
    measured: str = "-"
    reason: str = ""
    effect: float = math.nan
    low: float = math.nan
    high: float = math.nan
    test: str = ""
    p: float = math.nan

    def __iter__(self):  # (verdict, measured, reason), as a tuple reads
        return iter((self.verdict, self.measured, self.reason))


def data_kind(claim: Claim, ev: Evidence) -> str | None:
    """``"generated"`` when any of the claim's runs trained on generated images, ``"real"``
    when all trained on photographs, ``None`` when none ran."""
    from colorization.data.datasets import kind_of

    used = [ev.dataset[n] for n in claim.experiments if n in ev.dataset]
    if not used:
        return None
    return "generated" if any(kind_of(d) == "generated" for d in used) else "real"


def _core(claim: Claim, ev: Evidence) -> Decision:
    """The verdict at the current thresholds, before the sensitivity check."""
    try:
        settled = claim.construction(ev) if claim.construction else ""
        if settled:
            measured = "-"
            try:
                measured = claim.decide(ev).text
            except Missing:
                pass
            return Decision(BY_CONSTRUCTION, measured, settled)
        short = {n: ev.epochs[n] for n in claim.experiments if ev.epochs[n] < claim.min_epochs}
        not_yet = _guard(claim, ev)
        if not_yet:
            if short:
                name, got = next(iter(short.items()))
                not_yet += f" (and the claim names {claim.min_epochs} epochs; {name} ran {got})"
            return Decision(NOT_TESTABLE_SCALE, "-", not_yet)
        outcome = (claim.early_decide if short and claim.early_decide else claim.decide)(ev)
    except (Missing, BadNumber) as err:
        return Decision(NOT_TESTABLE, "-", str(err))
    except ValueError as err:  # e.g. experiments compared seed by seed ran different seeds
        return Decision(NOT_TESTABLE, "-", f"the rule could not read the runs: {err}")
    stats = dict(effect=outcome.effect, low=outcome.low, high=outcome.high,
                 test=outcome.test, p=outcome.p)
    if short and outcome.verdict != claim.early:
        name, got = next(iter(short.items()))
        return Decision(NOT_TESTABLE_SCALE, outcome.text,
                        f"needs >= {claim.min_epochs} epochs; {name} ran {got}", **stats)
    reason = outcome.why or "the effect is within the seed-to-seed noise" \
        if outcome.verdict == INCONCLUSIVE else ""
    return Decision(outcome.verdict, outcome.text, reason, **stats)


def _fragile(claim: Claim, ev: Evidence, decided: Decision, used: set) -> str:
    """How moving one threshold by 20 % turns ``decided`` around (empty when none does)."""
    for name in sorted(used):
        for factor in (0.8, 1.2):
            with _thresholds({name: factor}):
                moved = _core(claim, ev).verdict
            if moved != decided.verdict:
                return (f"{decided.verdict} at the stated thresholds, {moved} with {name} "
                        f"at {THRESHOLDS[name] * factor:g} instead of {THRESHOLDS[name]:g} "
                        "(20 % moved): not counted")
    return ""


def verdict(claim: Claim, ev: Evidence) -> Decision:
    """The :class:`Decision` on ``claim`` (iterates as ``(verdict, measured, reason)``)."""
    if claim.untestable:
        return Decision(NOT_TESTABLE, "-", claim.untestable)
    for name in claim.experiments:
        if name in ev.damaged:
            return Decision(NOT_TESTABLE, "-", ev.damaged[name])
        if name not in ev.epochs:
            return Decision(NOT_TESTABLE, "-", f"experiment {name} has not been run")
    used: set = set()
    with _thresholds(used=used):
        decided = _core(claim, ev)
    if decided.verdict in DECIDED:
        why = _fragile(claim, ev, decided, used)
        if why:
            decided.verdict, decided.reason = FRAGILE, why
    if decided.verdict in (*DECIDED, INCONCLUSIVE, FRAGILE) \
            and data_kind(claim, ev) == "generated":
        generated = sorted(ev.dataset[n] for n in claim.experiments
                           if ev.dataset[n].startswith("synthetic-"))
        decided.reason = (f"decided on generated images ({', '.join(generated)}), which never "
                          f"decide a claim about photographs; on these numbers it would be "
                          f"{decided.verdict}")
        decided.verdict = INDICATIVE
    return decided


def snapshot_metrics(run: Run, set_name: str = "test", epochs=None,
                     images=None) -> dict[int, dict]:
    """Metrics (with the gray and mean-tint baselines and :func:`metrics.claim_metrics`) of the
    snapshot images of ``set_name`` (default the test images) of a
    :class:`~colorization.runs.rundir.Run` at each of ``epochs`` (default every snapshot
    epoch); ``{}`` when the run stores no such set. ``images``: that set's inputs when the
    caller has read them. The inputs are read, and their baselines computed, once."""
    from colorization.runs import evaluate as evaluation

    if images is None:
        inputs = run.snapshot_inputs()
        if set_name not in inputs:
            return {}
        images = inputs[set_name]
    chosen = run.snapshot_epochs() if epochs is None else list(epochs)
    if not chosen:
        return {}
    gray = metrics.gray_baseline(images)
    tint = metrics.tint_baseline(images, evaluation.train_mean_ab(run.dir))
    return {epoch: metrics.evaluate_with_baseline(images, run.snapshot(epoch)[set_name],
                                                  gray=gray, tint=tint)
            for epoch in chosen}


def _cached_snapshot_metrics(run: Run) -> dict[int, dict]:
    """:func:`snapshot_metrics` of a finished run's test snapshots, cached in
    ``RUN_DIR/metrics/snapshots-test.json`` (computed again when damaged or out of date; not
    cached where the run folder cannot be written)."""
    path = run.dir / "metrics" / "snapshots-test.json"
    epochs = run.snapshot_epochs()
    if path.exists():
        try:
            stored = fileio.read_json(path, "a snapshot metrics cache", "it is computed again")
            out = {int(e): m for e, m in stored.items() if isinstance(m, dict)}
            if sorted(out) == sorted(epochs) and all("ciede2000_tint" in m for m in out.values()):
                return out
        except (fileio.DamagedFileError, ValueError) as err:
            print(f"note: {err}", file=sys.stderr)
    out = snapshot_metrics(run)
    try:
        path.parent.mkdir(exist_ok=True)
        fileio.write_json(path, {str(e): fileio.finite_json(m) for e, m in out.items()})
    except OSError as err:
        print(f"note: could not cache the snapshot metrics in {path} ({err})", file=sys.stderr)
    return out


def _read(ev: Evidence, name: str, profile: str) -> None:
    from colorization.nets import registry

    runs = [Run(experiments.run_dir(name, profile, s))
            for s in experiments.seeds(name, profile)]
    if not all(r.finished for r in runs):
        return
    cfg = runs[0].config
    ev.epochs[name] = int(cfg.epochs)
    ev.dataset[name] = runs[0].status.get("dataset", cfg.data)
    ev.losses[name] = {"loss": cfg.loss, "loss_delta": cfg.loss_delta,
                       "convention": registry.convention(cfg.model)}
    ev.history[name] = [r.history() for r in runs]
    ev.metrics[name] = experiments.evaluate_all(name, profile)
    ev.photos[name] = experiments.evaluate_all(name, profile, data="photos")
    ev.snapshots[name] = [_cached_snapshot_metrics(r) for r in runs]
    ev.scale[name] = experiments.scale_text(name, profile)


def gather(profile: str, names=None) -> Evidence:
    """The evidence of every experiment in ``names`` (default: all) whose every seed has
    finished at ``profile``. Nothing is trained; unfinished experiments are simply absent; an
    experiment whose files are damaged is recorded in :attr:`Evidence.damaged` (its claims
    are not testable, the others still decided)."""
    ev = Evidence()
    for name in names or experiments.EXPERIMENTS:
        try:
            _read(ev, name, profile)
        except (fileio.DamagedFileError, OSError, ValueError) as err:
            for part in (ev.epochs, ev.dataset, ev.losses, ev.history, ev.metrics, ev.photos,
                         ev.snapshots, ev.scale):
                part.pop(name, None)
            ev.damaged[name] = f"the runs of {name} could not be read: {err}"
    return ev


def _row(c: Claim, d: Decision, evidence: Evidence, profile: str) -> dict:
    row = {"id": c.id, "where": c.where, "says": c.says, "measured": d.measured,
           "verdict": d.verdict, "reason": d.reason, "experiments": list(c.experiments),
           "rule": "" if c.untestable else f"{c.metric}: {c.rule}", "profile": profile,
           "kind": None if c.untestable else data_kind(c, evidence),
           "scale": {n: evidence.scale[n] for n in c.experiments if n in evidence.scale}
           if not c.untestable else {}, "domains": c.domains}
    row.update({k: v for k, v in asdict(d).items()
                if k in ("effect", "low", "high", "test", "p")})
    seeds = [len(evidence.metrics.get(n) or evidence.history.get(n) or [])
             for n in c.experiments]
    row["seeds"] = min(seeds) if seeds and not c.untestable else 0
    return row


def correct(rows: list[dict]) -> list[dict]:
    """Holm's correction over the rows decided on real photos (reproduced / not reproduced):
    each gets ``p_holm``; one no longer significant becomes inconclusive, with the reason."""
    decided = [r for r in rows if r["verdict"] in DECIDED]
    results = holm([r["p"] if isinstance(r.get("p"), float) else math.nan for r in decided])
    for row, (significant, adjusted) in zip(decided, results, strict=True):
        row["p_holm"] = adjusted
        if not significant:
            row["reason"] = (f"{row['verdict']} alone (p = {row['p']:.2g}), not significant "
                             f"after Holm's correction over the {len(decided)} claims decided "
                             f"in this run (adjusted p = {adjusted:.2g})")
            row["verdict"] = INCONCLUSIVE
    return rows


def table(profile: str, notebook: str | None = None, evidence: Evidence | None = None
          ) -> list[dict]:
    """One row per claim (only ``notebook``'s when given): id, where, says, rule, measured,
    verdict, reason, the statistics (effect, 95 % interval, test, p, Holm-adjusted p), the
    experiments, the kind of data and the scale they were decided on. Holm's correction runs
    over every claim of the run, whichever are shown."""
    if evidence is None:
        chosen = [c for c in CLAIMS.values() if not c.untestable]
        evidence = gather(profile, sorted({n for c in chosen for n in c.experiments}))
    rows = correct([_row(c, verdict(c, evidence), evidence, profile)
                    for c in CLAIMS.values()])
    return [r for r in rows if notebook is None or CLAIMS[r["id"]].notebook == notebook]


def noise_floor(profile: str, keys=("ciede2000", "hue_error", "chroma_ratio", "psnr"),
                evidence: Evidence | None = None) -> dict[str, dict[str, float]]:
    """The null comparison of every replicated experiment: for each metric, the mean absolute
    difference between two seeds of that one configuration (the seed-to-seed noise).
    ``{experiment: {metric: difference}}``."""
    evidence = evidence or gather(profile)
    out = {}
    for name, per_seed in evidence.metrics.items():
        if len(per_seed) < 2:
            continue
        out[name] = {}
        for k in keys:
            try:
                out[name][k] = evidence.v(name, k).null_difference()
            except Missing:
                continue
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
    """The closing cell of a notebook: print the verdicts' legend and its claims table,
    record it, return the rows."""
    import textwrap

    rows = table(profile, notebook)
    print(textwrap.fill(LEGEND, 96) + "\n")
    print(report.format_claims_text(rows))
    write(rows)
    return rows
