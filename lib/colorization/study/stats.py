"""Deciding with the noise: a quantity measured once per seed, and the tests that turn such
quantities into a verdict only when the effect is larger than the seed-to-seed noise.

A claim is decided on :class:`Values` (one number per seed of an experiment: a metric of its
test set, of a snapshot, a training speed). Four tests, each returning an :class:`Outcome`:

- :func:`above` / :func:`below` (a threshold): decided only when every seed lies on the same
  side and the mean is more than two standard errors from the threshold;
- :func:`greater` (a difference between two experiments, paired by seed: the same seed means
  the same initial weights where the networks agree, the same data subset and batch order):
  decided only when every seed's difference has the same sign, the mean difference is more
  than two standard errors of it, and it is larger than the noise floor;
- :func:`within` (an equivalence, "similar"): reproduced when the mean difference plus two
  standard errors stays inside the tolerance, refuted when minus two standard errors it is
  still outside (every seed outside too);
- :func:`all_of` / :func:`any_of` combine them.

Anything else is *inconclusive*; a single seed is always inconclusive (no spread to decide
with), and a tie is never a verdict.

**The noise floor** of a metric for an experiment is its null comparison: the mean absolute
difference between two seeds of that one configuration (:meth:`Values.null_difference`). A
difference between two experiments must exceed the larger of their two floors.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
# The two verdicts a claim gets without a decision on real photos
# (:func:`colorization.study.claims.verdict`).
INDICATIVE = "indicative, generated data"
NOT_TESTABLE = "not testable here"
Z = 2.0  # standard errors a decided effect must clear


@dataclass(frozen=True)
class Values:
    """One quantity, one value per seed (in seed order)."""

    values: tuple[float, ...]
    digits: int = 2

    @classmethod
    def of(cls, values: Iterable[float], digits: int = 2) -> Values:
        return cls(tuple(float(v) for v in values), digits)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / self.n if self.n else math.nan

    @property
    def sd(self) -> float:
        """Sample standard deviation across seeds (0 for one seed)."""
        if self.n < 2:
            return 0.0
        m = self.mean
        return math.sqrt(math.fsum((v - m) ** 2 for v in self.values) / (self.n - 1))

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n) if self.n else math.nan

    def null_difference(self) -> float:
        """The null comparison: mean |difference| between two seeds of this configuration
        (NaN with fewer than two seeds)."""
        pairs = list(itertools.combinations(self.values, 2))
        return math.fsum(abs(a - b) for a, b in pairs) / len(pairs) if pairs else math.nan

    def __sub__(self, other: Values) -> Values:
        _check_paired(self, other)
        return Values.of((a - b for a, b in zip(self.values, other.values, strict=True)),
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
    """A verdict (:data:`REPRODUCED`, :data:`NOT_REPRODUCED` or :data:`INCONCLUSIVE`) and what
    was measured, with its spread, in words."""

    verdict: str
    text: str


def _seeds(n: int) -> str:
    return f"{n} seed{'s' * (n != 1)}"


def _one_sided(values: Values, threshold: float, higher: bool, what: str) -> Outcome:
    if values.n < 2:
        return Outcome(INCONCLUSIVE, f"{what} {values.text()} ({_seeds(values.n)}: no spread "
                                     "to decide with)")
    side = 1.0 if higher else -1.0
    margin = side * (values.mean - threshold)
    every = [side * (v - threshold) for v in values.values]
    sign = ">" if higher else "<"
    text = f"{what} {values.text()} ({_seeds(values.n)}) vs {sign} {threshold:g}"
    if all(e > 0 for e in every) and margin > Z * values.se:
        return Outcome(REPRODUCED, text)
    if all(e < 0 for e in every) and -margin > Z * values.se:
        return Outcome(NOT_REPRODUCED, text)
    return Outcome(INCONCLUSIVE, text + ": within the seeds' spread")


def above(values: Values, threshold: float, what: str) -> Outcome:
    """Holds when every seed is above ``threshold`` by more than two standard errors."""
    return _one_sided(values, threshold, True, what)


def below(values: Values, threshold: float, what: str) -> Outcome:
    """Holds when every seed is below ``threshold`` by more than two standard errors."""
    return _one_sided(values, threshold, False, what)


def floor_of(*values: Values) -> float:
    """The noise floor of a comparison: the larger null difference of its configurations."""
    floors = [v.null_difference() for v in values if v.n >= 2]
    return max(floors) if floors else math.nan


def greater(a: Values, b: Values, labels: tuple[str, str], what: str) -> Outcome:
    """Holds when ``a`` exceeds ``b`` in every seed, by more than two standard errors of the
    paired difference and by more than the noise floor (:func:`floor_of`); refuted when
    ``b`` exceeds ``a`` the same way."""
    diff = a - b
    floor = floor_of(a, b)
    text = (f"{what} {labels[0]} {a.text()} vs {labels[1]} {b.text()}; difference "
            f"{diff.mean:+.{a.digits}f} (noise floor {floor:.{a.digits}f}, "
            f"{_seeds(diff.n)})")
    if diff.n < 2:
        return Outcome(INCONCLUSIVE, text + ": one seed, no spread to decide with")
    big = abs(diff.mean) > Z * diff.se and abs(diff.mean) > floor
    if big and all(d > 0 for d in diff.values):
        return Outcome(REPRODUCED, text)
    if big and all(d < 0 for d in diff.values):
        return Outcome(NOT_REPRODUCED, text)
    return Outcome(INCONCLUSIVE, text + ": not beyond the noise")


def within(a: Values, b: Values, tolerance: float, labels: tuple[str, str], what: str,
           relative: bool = False) -> Outcome:
    """Equivalence: holds when |mean difference| plus two standard errors stays within
    ``tolerance`` (of ``b``'s mean when ``relative``); refuted when, minus two standard
    errors, it is still beyond it and every seed's difference is beyond it."""
    diff = a - b
    scale = abs(b.mean) if relative else 1.0
    limit = tolerance * scale
    spread = Z * diff.se if diff.n >= 2 else math.inf
    tol = f"{100 * tolerance:g} %" if relative else f"{tolerance:g}"
    text = (f"{what} {labels[0]} {a.text()} vs {labels[1]} {b.text()}; difference "
            f"{diff.text()} vs a tolerance of {tol} ({_seeds(diff.n)})")
    if diff.n < 2:
        return Outcome(INCONCLUSIVE, text + ": one seed, no spread to decide with")
    if abs(diff.mean) + spread <= limit:
        return Outcome(REPRODUCED, text)
    if abs(diff.mean) - spread > limit and all(abs(d) > limit for d in diff.values):
        return Outcome(NOT_REPRODUCED, text)
    return Outcome(INCONCLUSIVE, text + ": the spread straddles the tolerance")


def all_of(*outcomes: Outcome) -> Outcome:
    """Reproduced when every part is; not reproduced when any part is not; else
    inconclusive."""
    verdicts = {o.verdict for o in outcomes}
    if verdicts == {REPRODUCED}:
        verdict = REPRODUCED
    elif NOT_REPRODUCED in verdicts:
        verdict = NOT_REPRODUCED
    else:
        verdict = INCONCLUSIVE
    return Outcome(verdict, "; ".join(o.text for o in outcomes))


def any_of(*outcomes: Outcome) -> Outcome:
    """Reproduced when some part is; not reproduced when every part is not; else
    inconclusive."""
    verdicts = {o.verdict for o in outcomes}
    if REPRODUCED in verdicts:
        verdict = REPRODUCED
    elif verdicts == {NOT_REPRODUCED}:
        verdict = NOT_REPRODUCED
    else:
        verdict = INCONCLUSIVE
    return Outcome(verdict, "; ".join(o.text for o in outcomes))
