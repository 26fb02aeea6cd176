"""Deciding with the noise: one number per seed (:class:`Values`) and Student's t-tests at
``n - 1`` degrees of freedom that give a verdict only when the effect's 95 % interval clears
the null: :func:`above` / :func:`below` a threshold, :func:`greater` (paired by seed),
:func:`within` (equivalence, TOST), combined by :func:`all_of` / :func:`any_of`, corrected for
their number by :func:`holm`. A degenerate sample (fewer than two seeds, a non-finite value,
zero spread) is inconclusive with its reason."""

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


@dataclass(frozen=True)
class Values:
    """One quantity, one value per seed (in seed order). The mean and spread are computed
    scaled, so values near the float range never overflow."""

    values: tuple[float, ...]
    digits: int = 2

    @classmethod
    def of(cls, values: Iterable, digits: int = 2, what: str = "value") -> Values:
        """Real numbers only (int, float, NumPy scalar): a bool or a string is a
        :class:`BadNumber`, never coerced."""
        out = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise BadNumber(f"{what} is {v!r}, not a number")
            out.append(float(v))
        return cls(tuple(out), digits)

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
        if self.n != other.n:
            raise ValueError(f"paired values need the same seeds: {self.n} vs {other.n} values")
        return Values(tuple(a - b for a, b in zip(self.values, other.values, strict=True)),
                      self.digits)

    def text(self) -> str:
        """``"0.45 ± 0.02"`` (mean ± sd), or the single value for one seed."""
        if self.n == 1:
            return mean_sd(self.values[0], self.sd, self.digits, with_sd=False)
        return mean_sd(self.mean, self.sd, self.digits)


def mean_sd(mean: float, sd: float, digits: int = 2, with_sd: bool = True) -> str:
    """``"0.45 ± 0.02"``: a mean and a standard deviation over seeds, as every table writes
    them; the mean alone when not ``with_sd`` (one seed)."""
    if not with_sd:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


@dataclass(frozen=True)
class Outcome:
    """A verdict, what was measured in words, the effect (a mean or a mean difference), its
    95 % interval, the test, its two-sided p-value (NaN when nothing was tested) and, for an
    inconclusive outcome, why."""

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
    """Why ``values`` cannot decide anything (empty when they can)."""
    if values.n < 2:
        return f"{_seeds(values.n)}: no spread to decide with"
    if not values.finite:
        return f"non-finite {kind} ({', '.join(f'{v:g}' for v in values.values)})"
    if values.sd == 0.0:
        return (f"the seeds gave identical {kind} ({values.values[0]:g} in all {values.n}): "
                "check that they differ")
    return ""


def _p(values: Values, null: float, side: int = 0) -> float:
    """The one-sample t-test's p-value against ``null``: two-sided (``side`` 0), or twice the
    one-sided p that the mean lies above (1) or below (-1) it, so that p < 0.05 matches the
    95 % interval."""
    t = (values.mean - null) / values.se
    return float(min(1.0, 2 * _scipy.t.sf(side * t if side else abs(t), values.n - 1)))


def _interval(values: Values) -> tuple[float, float]:
    """The 95 % t interval of the mean."""
    half = float(_scipy.t.ppf(1 - ALPHA / 2, values.n - 1)) * values.se
    return values.mean - half, values.mean + half


def _interval_text(mean: float, low: float, high: float, digits: int) -> str:
    return f"{mean:.{digits}f}, 95 % CI [{low:.{digits}f}, {high:.{digits}f}]"


def _p_text(p: float) -> str:
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}"


def _inconclusive(text: str, why: str, **stats) -> Outcome:
    return Outcome(INCONCLUSIVE, f"{text}: {why}", why=why, **stats)


def _settle(found: Outcome, holds: bool, fails: bool, why: str) -> Outcome:
    """``found`` reproduced when the rule ``holds``, not reproduced when it ``fails``, else
    inconclusive for ``why``."""
    if holds or fails:
        return replace(found, verdict=REPRODUCED if holds else NOT_REPRODUCED)
    return replace(found, verdict=INCONCLUSIVE, text=f"{found.text}: {why}", why=why)


def _one_sided(values: Values, threshold: float, higher: bool, what: str) -> Outcome:
    sign = ">" if higher else "<"
    text = f"{what} {values.text()} ({_seeds(values.n)}) vs {sign} {threshold:g}"
    test = f"one-sample t vs {threshold:g}, df {values.n - 1}"
    bad = degenerate(values)
    if bad:
        return _inconclusive(text, bad, effect=values.mean, test=test)
    low, high = _interval(values)
    p = _p(values, threshold)
    text = (f"{what} {values.text()} ({_seeds(values.n)}; mean "
            f"{_interval_text(values.mean, low, high, values.digits)}) vs {sign} "
            f"{threshold:g} ({test}, {_p_text(p)})")
    found = Outcome(INCONCLUSIVE, text, values.mean, low, high, test, p)
    return _settle(found, low > threshold if higher else high < threshold,
                   high < threshold if higher else low > threshold,
                   "the 95 % interval contains the threshold")


def above(values: Values, threshold: float, what: str) -> Outcome:
    """Holds when the 95 % interval of the mean lies above ``threshold``."""
    return _one_sided(values, threshold, True, what)


def below(values: Values, threshold: float, what: str) -> Outcome:
    """Holds when the 95 % interval of the mean lies below ``threshold``."""
    return _one_sided(values, threshold, False, what)


def floor_of(*values: Values) -> float:
    """The noise floor of a comparison: the larger null difference of its configurations."""
    floors = [v.null_difference() for v in values if v.n >= 2]
    return max(floors) if floors else math.nan


def _paired(a: Values, b: Values, labels: tuple[str, str], what: str, test: str,
            tail: str = ""):
    """The per-seed differences ``a - b`` and an outcome on them without its verdict:
    inconclusive (``why`` set) when the differences cannot decide, else their 95 % interval
    with the text up to the p-value; ``tail`` follows the difference in the text."""
    diff = a - b
    bad = next((degenerate(v, f"values of {label}")
                for v, label in zip((a, b), labels, strict=True) if not v.finite), "")
    if not bad and diff.n >= 2 and diff.sd == 0.0:
        same = "identical numbers" if diff.values[0] == 0 else "the same difference"
        bad = (f"the two gave {same} in every seed ({diff.values[0]:+g}): check that the "
               "seeds and the experiments differ")
    bad = bad or degenerate(diff, "differences")
    head = f"{what} {labels[0]} {a.text()} vs {labels[1]} {b.text()}; difference "
    if bad:
        shown = diff.text() if tail else f"{diff.mean:+.{a.digits}f}"
        return diff, _inconclusive(f"{head}{shown}{tail} ({_seeds(diff.n)})", bad,
                                   effect=diff.mean, test=test)
    low, high = _interval(diff)
    text = (f"{head}{_interval_text(diff.mean, low, high, a.digits)}{tail} "
            f"({_seeds(diff.n)}; {test}")
    return diff, Outcome(INCONCLUSIVE, text, diff.mean, low, high, test)


def greater(a: Values, b: Values, labels: tuple[str, str], what: str) -> Outcome:
    """Holds when the paired per-seed differences ``a - b`` have a 95 % interval above 0
    (paired t-test); refuted when it lies below 0."""
    diff, out = _paired(a, b, labels, what, f"paired t, df {a.n - 1}")
    if out.why:
        return out
    p = _p(diff, 0.0)
    return _settle(replace(out, text=f"{out.text}, {_p_text(p)})", p=p), out.low > 0,
                   out.high < 0, "the 95 % interval of the difference contains 0")


def within(a: Values, b: Values, tolerance: float, labels: tuple[str, str], what: str,
           relative: bool = False) -> Outcome:
    """Equivalence (two one-sided tests): holds when the 95 % interval of the paired
    difference lies inside ±``tolerance`` (of ``b``'s mean when ``relative``); refuted when it
    lies wholly outside."""
    limit = tolerance * (abs(b.mean) if relative else 1.0)
    tol = f"{100 * tolerance:g} %" if relative else f"{tolerance:g}"
    diff, out = _paired(a, b, labels, what, f"TOST ±{limit:.{a.digits}f}, df {a.n - 1}",
                        f" vs a tolerance of {tol}")
    if out.why:
        return out
    inside = -limit < out.low and out.high < limit
    outside = out.low > limit or out.high < -limit
    if not (inside or outside):
        return _settle(replace(out, text=out.text + ")"), False, False,
                       "the 95 % interval straddles the tolerance")
    # inside: both one-sided tests reject (TOST), the p-value is the larger one's
    p = (max(_p(diff, -limit, 1), _p(diff, limit, -1)) if inside
         else _p(diff, limit if out.low > limit else -limit))
    return _settle(replace(out, text=f"{out.text}, {_p_text(p)})", p=p), inside, outside, "")


def _combined(verdict: str, outcomes: Sequence[Outcome], largest: bool | None,
              times: int = 1) -> Outcome:
    """The outcomes joined under ``verdict``, with the statistics of the part that decides it:
    the one with that verdict and the largest (or smallest) p, the p times ``times`` (at most
    1); an inconclusive one's first inconclusive part, with p = 1."""
    text = "; ".join(o.text for o in outcomes)
    chosen = [o for o in outcomes if o.verdict == verdict]
    if largest is None:
        part = chosen[0]
        return Outcome(verdict, text, part.effect, part.low, part.high, part.test, 1.0,
                       part.why)
    part = (max if largest else min)(chosen, key=lambda o: 1.0 if math.isnan(o.p) else o.p)
    return Outcome(verdict, text, part.effect, part.low, part.high, part.test,
                   min(1.0, part.p * times), part.why)


def all_of(*outcomes: Outcome) -> Outcome:
    """Reproduced when every part is (p: the largest part's); not reproduced when any part is
    not (p: the smallest refuting part's times the number of parts); else inconclusive."""
    verdicts = {o.verdict for o in outcomes}
    if verdicts == {REPRODUCED}:
        return _combined(REPRODUCED, outcomes, largest=True)
    if NOT_REPRODUCED in verdicts:
        return _combined(NOT_REPRODUCED, outcomes, largest=False, times=len(outcomes))
    return _combined(INCONCLUSIVE, outcomes, largest=None)


def any_of(*outcomes: Outcome) -> Outcome:
    """Reproduced when some part is (p: the smallest holding part's times the number of
    parts); not reproduced when every part is not (p: the largest); else inconclusive."""
    verdicts = {o.verdict for o in outcomes}
    if REPRODUCED in verdicts:
        return _combined(REPRODUCED, outcomes, largest=False, times=len(outcomes))
    if verdicts == {NOT_REPRODUCED}:
        return _combined(NOT_REPRODUCED, outcomes, largest=True)
    return _combined(INCONCLUSIVE, outcomes, largest=None)


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
            continue
        running = max(running, min(1.0, (m - rank) * p))
        still = still and p <= alpha / (m - rank)
        out[i] = (still, running)
    return out
