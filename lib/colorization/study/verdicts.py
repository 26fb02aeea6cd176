"""Deciding one claim: :func:`decide` turns its rule's outcome on the evidence into a
:class:`Decision`, after the guard (:func:`learned`), the scale and the sensitivity check;
:func:`correct` applies Holm's correction over a run's rows."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from colorization.study.evidence import THRESHOLDS, Evidence, Missing, th, thresholds
from colorization.study.stats import (
    BY_CONSTRUCTION,
    DECIDED,
    FRAGILE,
    INCONCLUSIVE,
    INDICATIVE,
    NOT_TESTABLE,
    NOT_TESTABLE_SCALE,
    REPRODUCED,
    BadNumber,
    Values,
    above,
    below,
    holm,
)

Claim = object  # a colorization.study.claims.Claim (not imported: claims imports this module)


def _beyond(values: Values, bound: float, higher: bool, what: str) -> tuple[bool, str]:
    """Whether ``values`` lie above (``higher``) or below ``bound`` beyond the noise: the 95 %
    interval clear of it; without spread (one seed, identical seeds) by the mean; never when
    not finite."""
    if not values.finite:
        return False, f"{what} {values.text()}: not finite"
    if values.n < 2 or values.sd == 0.0:
        ok = values.mean > bound if higher else values.mean < bound
        return ok, f"{what} {values.text()} vs {'>' if higher else '<'} {bound:g}"
    outcome = (above if higher else below)(values, bound, what)
    return outcome.verdict == REPRODUCED, outcome.text


def learned(ev: Evidence, name: str) -> tuple[bool, str]:
    """Whether ``name``'s network has learned to colour, and the numbers: CIEDE2000 below the
    gray and the mean-tint baseline's, and per-image colour spread above ``learned_spread`` of
    the truth's, each beyond the noise."""
    parts = [_beyond(ev.ratio(name), 1.0, False, "CIEDE2000 / gray"),
             _beyond(ev.ratio(name, base="tint"), 1.0, False, "CIEDE2000 / mean tint"),
             _beyond(ev.v(name, "spread_ratio"), th("learned_spread"), True,
                     "colour spread / truth's")]
    return all(ok for ok, _ in parts), f"{name}: " + "; ".join(text for _, text in parts)


def _guard(claim: Claim, ev: Evidence, guard: bool) -> str:
    """Why ``claim`` cannot be decided yet (empty when every network it reads has learned, or
    without the ``guard``)."""
    if not guard or claim.kind != "does":
        return ""
    for name in claim.experiments:
        ok, text = learned(ev, name)
        if not ok:
            return (f"{name} has not learned to colour (it must beat the gray and the "
                    f"mean-tint baseline beyond the noise): {text}")
    return ""


@dataclass
class Decision:
    """A claim's verdict, what was ``measured`` (in words), the ``reason`` (why not decided,
    or why fragile) and the deciding test's statistics; iterates as
    ``(verdict, measured, reason)``."""

    verdict: str
    measured: str = "-"
    reason: str = ""
    effect: float = math.nan
    low: float = math.nan
    high: float = math.nan
    test: str = ""
    p: float = math.nan

    def __iter__(self):
        return iter((self.verdict, self.measured, self.reason))


def data_kind(claim: Claim, ev: Evidence) -> str | None:
    """``"generated"`` when any of the claim's runs trained on generated images, ``"real"``
    when all trained on photographs, ``None`` when none ran."""
    from colorization.data.datasets import kind_of

    used = [ev.dataset[n] for n in claim.experiments if n in ev.dataset]
    if not used:
        return None
    return "generated" if any(kind_of(d) == "generated" for d in used) else "real"


def _core(claim: Claim, ev: Evidence, guard: bool) -> Decision:
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
        not_yet = _guard(claim, ev, guard)
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


def _fragile(claim: Claim, ev: Evidence, guard: bool, decided: Decision, used: set) -> str:
    """How moving one threshold by 20 % turns ``decided`` around (empty when none does)."""
    for name in sorted(used):
        for factor in (0.8, 1.2):
            with thresholds({name: factor}):
                moved = _core(claim, ev, guard).verdict
            if moved != decided.verdict:
                return (f"{decided.verdict} at the stated thresholds, {moved} with {name} "
                        f"at {THRESHOLDS[name] * factor:g} instead of {THRESHOLDS[name]:g} "
                        "(20 % moved): not counted")
    return ""


def decide(claim: Claim, ev: Evidence, guard: bool = True) -> Decision:
    """The :class:`Decision` on ``claim``; ``guard``: decide a claim about what a network does
    only once it has learned to colour."""
    if claim.untestable:
        return Decision(NOT_TESTABLE, "-", claim.untestable)
    for name in claim.experiments:
        if name in ev.damaged:
            return Decision(NOT_TESTABLE, "-", ev.damaged[name])
        if name not in ev.epochs:
            return Decision(NOT_TESTABLE, "-", f"experiment {name} has not been run")
    used: set = set()
    with thresholds(used=used):
        decided = _core(claim, ev, guard)
    if decided.verdict in DECIDED:
        why = _fragile(claim, ev, guard, decided, used)
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


def table_row(c: Claim, d: Decision, evidence: Evidence, profile: str) -> dict:
    """Claim ``c`` and its decision ``d`` as a row of the claims table."""
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
    """Holm's correction over the rows decided on real photos: each gets ``p_holm``; one no
    longer significant becomes inconclusive, with the reason."""
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
