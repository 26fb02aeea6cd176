"""Deciding with the noise: a quantity measured once per seed, and the tests that turn such
quantities into a verdict only when the effect is larger than the seed-to-seed noise.

A claim is decided on :class:`Values` (one number per seed of an experiment: a metric of its
test set, of a snapshot, a training speed). The tests are Student's t-tests at ``n - 1``
degrees of freedom, each returning an :class:`Outcome` with the effect, its 95 % confidence
interval, the test and its two-sided p-value:

- :func:`above` / :func:`below` (a threshold): one-sample t-test of the seeds' mean against the
  threshold; decided when the 95 % interval lies wholly on one side of it;
- :func:`greater` (a difference between two experiments, paired by seed: the same seed means
  the same initial weights where the networks agree, the same data subset and batch order):
  paired t-test of the per-seed differences; decided when their 95 % interval excludes 0;
- :func:`within` (an equivalence, "similar"): two one-sided tests (TOST); reproduced when the
  95 % interval of the difference lies inside the tolerance, refuted when it lies wholly
  outside it;
- :func:`all_of` / :func:`any_of` combine them (the p-value of a conjunction that holds is
  its largest part's; of a disjunction that holds, its smallest part's times the number of
  parts).

Anything else is *inconclusive*, and a degenerate sample is inconclusive with its own reason:
fewer than two seeds (no spread to decide with), a non-finite value, or seeds that gave
identical numbers (zero spread: check that the seeds differ). :func:`holm` corrects the
p-values of the claims decided in one run for their number (Holm's step-down procedure).

Numbers enter through :meth:`Values.of`, which accepts real numbers only: a bool or a string
is a :class:`BadNumber`, never coerced. The mean and spread are computed scaled, so values
near the float range never overflow.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from scipy import stats as _scipy

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
# The verdicts a claim gets without a decision on real photos
# (:func:`colorization.study.claims.verdict`).
INDICATIVE = "indicative, generated data"
NOT_TESTABLE = "not testable here"
NOT_TESTABLE_SCALE = "not testable at this scale"
BY_CONSTRUCTION = "by construction"
FRAGILE = "fragile"
DECIDED = (REPRODUCED, NOT_REPRODUCED)
ALPHA = 0.05  # two-sided: a decided effect's 95 % interval excludes the null
#: how to read each verdict (printed under every claims table and on the results page)
LEGEND = (
    "How to read a verdict: reproduced / not reproduced: a t-test at the seeds' degrees of "
    "freedom (a sign test where every seed must agree) puts the 95 % interval of the effect "
    "clear of the rule's threshold, still significant after Holm's correction over every "
    "claim decided so far, and no threshold moved by 20 % turns it around (else: fragile, "
    "never counted). inconclusive: within the noise, or the seeds are degenerate (one seed, "
    "identical numbers, a non-finite value). by construction: the comparison cannot say "
    "anything as set up (never counted). not testable at this scale: a network the claim is "
    "about has not learned to colour (it does not beat both the gray and the mean-tint "
    "baseline, images told apart), or ran fewer epochs than the claim names. not testable "
    "here: what it needs does not ship, or the runs are missing or damaged.")


class BadNumber(TypeError):
    """A value that is not a real number (a bool, a string, ...)."""


def number(value, what: str = "value") -> float:
    """``value`` as a float when it is a real number (int, float, NumPy scalar), else
    :class:`BadNumber`: a bool or a string is never read as a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BadNumber(f"{what} is {value!r}, not a number")
    return float(value)


@dataclass(frozen=True)
class Values:
    """One quantity, one value per seed (in seed order)."""

    values: tuple[float, ...]
    digits: int = 2

    @classmethod
    def of(cls, values: Iterable, digits: int = 2, what: str = "value") -> Values:
        return cls(tuple(number(v, what) for v in values), digits)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in self.values)

    def _scale(self) -> float:
        big = max((abs(v) for v in self.values if math.isfinite(v)), default=0.0)
        return big if big > 0 else 1.0

    @property
    def mean(self) -> float:
        if not self.n:
            return math.nan
        s = self._scale()
        return math.fsum(v / s for v in self.values) / self.n * s

    @property
    def sd(self) -> float:
        """Sample standard deviation across seeds (0 for one seed)."""
        if self.n < 2:
            return 0.0
        s, m = self._scale(), self.mean
        return math.sqrt(math.fsum(((v - m) / s) ** 2 for v in self.values) / (self.n - 1)) * s

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n else math.nan

    def null_difference(self) -> float:
        """The null comparison: mean |difference| between two seeds of this configuration
        (NaN with fewer than two seeds)."""
        pairs = list(itertools.combinations(self.values, 2))
        s = self._scale()
        return (math.fsum(abs(a - b) / s for a, b in pairs) / len(pairs) * s if pairs
                else math.nan)

    def __sub__(self, other: Values) -> Values:
        _check_paired(self, other)
        return Values(tuple(a - b for a, b in zip(self.values, other.values, strict=True)),
                      self.digits)

    def text(self, unit: str = "") -> str:
        """``"0.45 ± 0.02"`` (mean ± sd), or the single value for one seed."""
        if self.n == 1:
            return mean_sd(self.values[0], self.sd, self.digits, unit, with_sd=False)
        return mean_sd(self.mean, self.sd, self.digits, unit)


def mean_sd(mean: float, sd: float, digits: int = 2, unit: str = "",
            with_sd: bool = True) -> str:
    """``"0.45 ± 0.02"``: a mean and a standard deviation over seeds, ``digits`` decimals,
    ``unit`` after; the mean alone when not ``with_sd`` (one seed). Every table and text that
    shows a spread over seeds writes it so."""
    if not with_sd:
        return f"{mean:.{digits}f}{unit}"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}{unit}"


def _check_paired(a: Values, b: Values) -> None:
    if a.n != b.n:
        raise ValueError(f"paired values need the same seeds: {a.n} vs {b.n} values")


@dataclass(frozen=True)
class Outcome:
    """A verdict (:data:`REPRODUCED`, :data:`NOT_REPRODUCED` or :data:`INCONCLUSIVE`), what
    was measured in words, and the statistics: the effect (a mean, or a mean difference), its
    95 % interval ``(low, high)``, the test, its two-sided p-value (for the direction
    decided; NaN when nothing was tested) and, for an inconclusive outcome, why."""

    verdict: str
    text: str
    effect: float = math.nan
    low: float = math.nan
    high: float = math.nan
    test: str = ""
    p: float = math.nan
    why: str = ""


def _seeds(n: int) -> str:
    return f"{n} seed{'s' * (n != 1)}"


def degenerate(values: Values, kind: str = "values") -> str:
    """Why ``values`` cannot decide anything (empty string when they can): fewer than two
    seeds, a non-finite value, or zero spread."""
    if values.n < 2:
        return f"{_seeds(values.n)}: no spread to decide with"
    if not values.finite:
        return f"non-finite {kind} ({', '.join(f'{v:g}' for v in values.values)})"
    if values.sd == 0.0:
        return (f"the seeds gave identical {kind} ({values.values[0]:g} in all {values.n}): "
                "check that they differ")
    return ""


def _interval(values: Values) -> tuple[float, float, float]:
    """(t quantile, low, high): the 95 % t interval of the mean at n - 1 degrees of freedom."""
    q = float(_scipy.t.ppf(1 - ALPHA / 2, values.n - 1))
    half = q * values.se
    return q, values.mean - half, values.mean + half


def _p_beyond(values: Values, null: float) -> float:
    """Two-sided p-value of the one-sample t-test of the mean against ``null``."""
    t = (values.mean - null) / values.se
    return float(min(1.0, 2 * _scipy.t.sf(abs(t), values.n - 1)))


def _interval_text(mean: float, low: float, high: float, digits: int) -> str:
    return f"{mean:.{digits}f}, 95 % CI [{low:.{digits}f}, {high:.{digits}f}]"


def _p_text(p: float) -> str:
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"


def _inconclusive(text: str, why: str, **stats) -> Outcome:
    return Outcome(INCONCLUSIVE, f"{text}: {why}", why=why, **stats)


def _one_sided(values: Values, threshold: float, higher: bool, what: str) -> Outcome:
    sign = ">" if higher else "<"
    text = f"{what} {values.text()} ({_seeds(values.n)}) vs {sign} {threshold:g}"
    test = f"one-sample t vs {threshold:g}, df {values.n - 1}"
    bad = degenerate(values)
    if bad:
        return _inconclusive(text, bad, effect=values.mean, test=test)
    _, low, high = _interval(values)
    p = _p_beyond(values, threshold)
    text = (f"{what} {values.text()} ({_seeds(values.n)}; mean "
            f"{_interval_text(values.mean, low, high, values.digits)}) vs {sign} "
            f"{threshold:g} ({test}, {_p_text(p)})")
    found = dict(effect=values.mean, low=low, high=high, test=test, p=p)
    holds = low > threshold if higher else high < threshold
    fails = high < threshold if higher else low > threshold
    if holds:
        return Outcome(REPRODUCED, text, **found)
    if fails:
        return Outcome(NOT_REPRODUCED, text, **found)
    return _inconclusive(text, "the 95 % interval contains the threshold", **found)


def above(values: Values, threshold: float, what: str) -> Outcome:
    """Holds when the 95 % interval of the mean lies above ``threshold``."""
    return _one_sided(values, threshold, True, what)


def below(values: Values, threshold: float, what: str) -> Outcome:
    """Holds when the 95 % interval of the mean lies below ``threshold``."""
    return _one_sided(values, threshold, False, what)


def floor_of(*values: Values) -> float:
    """The noise floor of a comparison: the larger null difference of its configurations
    (shown beside a difference; the t-test decides)."""
    floors = [v.null_difference() for v in values if v.n >= 2]
    return max(floors) if floors else math.nan


def _difference(a: Values, b: Values, labels: tuple[str, str], what: str):
    diff = a - b
    for values, label in ((a, labels[0]), (b, labels[1])):
        if not values.finite:
            return diff, degenerate(values, f"values of {label}")
    if diff.n >= 2 and diff.sd == 0.0:
        same = "identical numbers" if diff.values[0] == 0 else "the same difference"
        return diff, (f"the two gave {same} in every seed ({diff.values[0]:+g}): check that "
                      "the seeds and the experiments differ")
    return diff, degenerate(diff, "differences")


def greater(a: Values, b: Values, labels: tuple[str, str], what: str) -> Outcome:
    """Holds when the paired per-seed differences ``a - b`` have a 95 % interval above 0
    (paired t-test); refuted when it lies below 0."""
    diff, bad = _difference(a, b, labels, what)
    test = f"paired t, df {diff.n - 1}"
    text = (f"{what} {labels[0]} {a.text()} vs {labels[1]} {b.text()}; difference "
            f"{diff.mean:+.{a.digits}f} ({_seeds(diff.n)})")
    if bad:
        return _inconclusive(text, bad, effect=diff.mean, test=test)
    _, low, high = _interval(diff)
    p = _p_beyond(diff, 0.0)
    text = (f"{what} {labels[0]} {a.text()} vs {labels[1]} {b.text()}; difference "
            f"{_interval_text(diff.mean, low, high, a.digits)} ({_seeds(diff.n)}; {test}, "
            f"{_p_text(p)})")
    found = dict(effect=diff.mean, low=low, high=high, test=test, p=p)
    if low > 0:
        return Outcome(REPRODUCED, text, **found)
    if high < 0:
        return Outcome(NOT_REPRODUCED, text, **found)
    return _inconclusive(text, "the 95 % interval of the difference contains 0", **found)


def within(a: Values, b: Values, tolerance: float, labels: tuple[str, str], what: str,
           relative: bool = False) -> Outcome:
    """Equivalence (two one-sided tests): holds when the 95 % interval of the paired
    difference lies inside ±``tolerance`` (of ``b``'s mean when ``relative``); refuted when it
    lies wholly outside."""
    diff, bad = _difference(a, b, labels, what)
    limit = tolerance * (abs(b.mean) if relative else 1.0)
    tol = f"{100 * tolerance:g} %" if relative else f"{tolerance:g}"
    test = f"TOST ±{limit:.{a.digits}f}, df {diff.n - 1}"
    text = (f"{what} {labels[0]} {a.text()} vs {labels[1]} {b.text()}; difference "
            f"{diff.text()} vs a tolerance of {tol} ({_seeds(diff.n)})")
    if bad:
        return _inconclusive(text, bad, effect=diff.mean, test=test)
    _, low, high = _interval(diff)
    text = (f"{what} {labels[0]} {a.text()} vs {labels[1]} {b.text()}; difference "
            f"{_interval_text(diff.mean, low, high, a.digits)} vs a tolerance of {tol} "
            f"({_seeds(diff.n)}; {test}")
    found = dict(effect=diff.mean, low=low, high=high, test=test)
    if -limit < low and high < limit:
        # TOST: both one-sided tests reject; the p-value is the larger one's, two-sided
        p = max(_p_one(diff, -limit, upper=True), _p_one(diff, limit, upper=False))
        return Outcome(REPRODUCED, f"{text}, {_p_text(p)})", p=p, **found)
    if low > limit or high < -limit:
        p = _p_beyond(diff, limit if low > limit else -limit)
        return Outcome(NOT_REPRODUCED, f"{text}, {_p_text(p)})", p=p, **found)
    return _inconclusive(text + ")", "the 95 % interval straddles the tolerance", **found)


def _p_one(values: Values, null: float, upper: bool) -> float:
    """Two-sided-equivalent p of the one-sided test that the mean lies above (``upper``) or
    below ``null`` (twice the one-sided p, so that p < 0.05 matches the 95 % interval)."""
    t = (values.mean - null) / values.se
    one = _scipy.t.sf(t, values.n - 1) if upper else _scipy.t.cdf(t, values.n - 1)
    return float(min(1.0, 2 * one))


def _deciding(outcomes: Sequence[Outcome], verdict: str, largest: bool) -> Outcome:
    chosen = [o for o in outcomes if o.verdict == verdict]
    pick = max if largest else min
    return pick(chosen, key=lambda o: (o.p if not math.isnan(o.p) else 1.0))


def _combined(verdict: str, outcomes: Sequence[Outcome], part: Outcome | None,
              p: float) -> Outcome:
    text = "; ".join(o.text for o in outcomes)
    if part is None:
        return Outcome(verdict, text)
    return Outcome(verdict, text, part.effect, part.low, part.high, part.test,
                   min(1.0, p), part.why)


def all_of(*outcomes: Outcome) -> Outcome:
    """Reproduced when every part is (p: the largest part's); not reproduced when any part is
    not (p: the smallest refuting part's times the number of parts); else inconclusive."""
    verdicts = {o.verdict for o in outcomes}
    if verdicts == {REPRODUCED}:
        part = _deciding(outcomes, REPRODUCED, largest=True)
        return _combined(REPRODUCED, outcomes, part, part.p)
    if NOT_REPRODUCED in verdicts:
        part = _deciding(outcomes, NOT_REPRODUCED, largest=False)
        return _combined(NOT_REPRODUCED, outcomes, part, part.p * len(outcomes))
    part = next(o for o in outcomes if o.verdict == INCONCLUSIVE)
    return _combined(INCONCLUSIVE, outcomes, part, math.nan)


def any_of(*outcomes: Outcome) -> Outcome:
    """Reproduced when some part is (p: the smallest holding part's times the number of
    parts); not reproduced when every part is not (p: the largest); else inconclusive."""
    verdicts = {o.verdict for o in outcomes}
    if REPRODUCED in verdicts:
        part = _deciding(outcomes, REPRODUCED, largest=False)
        return _combined(REPRODUCED, outcomes, part, part.p * len(outcomes))
    if verdicts == {NOT_REPRODUCED}:
        part = _deciding(outcomes, NOT_REPRODUCED, largest=True)
        return _combined(NOT_REPRODUCED, outcomes, part, part.p)
    part = next(o for o in outcomes if o.verdict == INCONCLUSIVE)
    return _combined(INCONCLUSIVE, outcomes, part, math.nan)


def holm(p_values: Sequence[float], alpha: float = ALPHA) -> list[tuple[bool, float]]:
    """Holm's step-down correction: for each p-value (in the given order), whether it stays
    significant at ``alpha`` among all of them, and its adjusted p-value. A NaN p-value is
    never significant."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: (math.isnan(p_values[i]), p_values[i]))
    out: list[tuple[bool, float]] = [(False, math.nan)] * m
    running, still = 0.0, True
    for rank, i in enumerate(order):
        p = p_values[i]
        if math.isnan(p):
            out[i] = (False, math.nan)
            continue
        running = max(running, min(1.0, (m - rank) * p))
        still = still and p <= alpha / (m - rank)
        out[i] = (still, running)
    return out


def with_verdict(outcome: Outcome, verdict: str, why: str) -> Outcome:
    """``outcome`` with another verdict and its reason (the statistics kept)."""
    return replace(outcome, verdict=verdict, why=why)
