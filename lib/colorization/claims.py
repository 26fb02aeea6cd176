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
:func:`format_text`, :func:`format_markdown` and :func:`format_html` render them and
:func:`write` stores them in ``reports/results.json`` (both from
:mod:`colorization.claim_table`); the rules themselves are :mod:`colorization.claim_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from colorization import claim_table, experiments, metrics
from colorization.claim_rules import (
    Evidence,
    Missing,
    Rule,
    ae_10_epochs,
    ae_animals_less_desaturated,
    ae_animals_stains,
    ae_desaturates_unseen,
    ae_faster,
    ae_small_nothing,
    animals_meaningful,
    augmentation_useless,
    cnn_better_end,
    cnn_fruits_few_epochs,
    fruits_easy,
    green,
    learns_after_50,
    losses_similar,
    mse_more_saturated,
    no_desaturation_fruits,
    photos_worse,
    same_ab_first,
    sl1_less_confusion,
    small_cnn_fails_animals,
    zhang_full_colours,
    zhang_full_slow,
)
from colorization.claim_table import (  # noqa: F401 - re-exported
    NOT_REPRODUCED,
    NOT_TESTABLE,
    REPRODUCED,
    VERDICTS,
    format_html,
    format_markdown,
    format_text,
)

# Datasets that count as the paper's data: Fruits-360 photos (Kaggle or the shipped sample)
# for fruits; only the Kaggle Animals-10 photos for animals.
REAL = {"fruits": ("fruits", "fruits360-sample"), "animals": ("animals",)}


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


# ------------------------------------------------------------------ the registry
_C = Claim
CLAIMS: dict[str, Claim] = {c.id: c for c in [
    _C("zhang-full-colours", "Sec. 5.1",
       "we are able to colorize test images correctly [with Zhang's full network]",
       ("zhang-full-fruits",), "PSNR gain over gray, ab MAE / gray (test set)",
       ">= 5 dB over gray and ab MAE <= 0.5x gray", zhang_full_colours,
       "02-zhang-full-fruits", min_epochs=10, real="fruits", early=REPRODUCED),
    _C("zhang-full-slow", "Sec. 5.1",
       "the computational time is extremely slow ... around 32M parameters",
       ("zhang-full-fruits", "cnn-fruits-mse"), "training images/s (median epoch after the first)",
       "the 32M network trains at <= 0.25x the ~1M CNN's images/s", zhang_full_slow,
       "02-zhang-full-fruits"),
    _C("cnn-fruits-few-epochs", "Sec. 5.1, Fig. 2",
       "even with small number of iteration, we are able to colorize the images in a "
       "meaningful way", ("cnn-fruits-mse",), "ab MAE / gray on the snapshot test images",
       "<= 0.7x gray at the last snapshot by epoch 3", cnn_fruits_few_epochs,
       "03-cnn-fruits", real="fruits"),
    _C("fruits-easy", "Sec. 6",
       "The fruits dataset is pretty simple so the two different networks work both very well",
       ("cnn-fruits-mse", "ae-fruits-mse"), "PSNR gain over gray, ab MAE / gray (test set)",
       "both >= 5 dB over gray and ab MAE <= 0.5x gray", fruits_easy, "06-autoencoder-fruits",
       real="fruits"),
    _C("no-desaturation-fruits", "Sec. 3.1",
       "we seems not to encounter the desaturation problem [on fruits]",
       ("cnn-fruits-mse", "ae-fruits-mse"), "chroma ratio (test set)",
       "chroma ratio >= 0.85 for the CNN and the autoencoder", no_desaturation_fruits,
       "06-autoencoder-fruits", real="fruits"),
    _C("augmentation-useless-fruits", "Sec. 3.1",
       "data augmentation seems useless in this case [fruits]",
       ("cnn-fruits-mse", "cnn-fruits-mse-flip"), "ab MAE and PSNR, with vs without flips",
       "flips improve ab MAE by <= 5 % and PSNR by <= 0.3 dB", augmentation_useless,
       "03-cnn-fruits", real="fruits"),
    _C("losses-fruits-similar", "Sec. 5.1, Fig. 3", "Outputs are similar [SmoothL1 vs MSE]",
       ("cnn-fruits-mse", "cnn-fruits-smoothl1"), "PSNR and ab MAE (test set)",
       "PSNR within 1 dB and ab MAE within 20 %", losses_similar, "04-cnn-fruits-losses",
       real="fruits"),
    _C("losses-fruits-mse-saturated", "Sec. 5.1, Fig. 3",
       "MSE colors seem to be more saturated", ("cnn-fruits-mse", "cnn-fruits-smoothl1"),
       "chroma ratio (test set)", "MSE's chroma ratio exceeds SmoothL1's by > 0.02",
       mse_more_saturated, "04-cnn-fruits-losses", real="fruits"),
    _C("losses-fruits-sl1-less-confusion", "Sec. 5.1, Fig. 3",
       "SmoothL1Loss seems to make less confusion when we have an objects that can assume "
       "different color", ("cnn-fruits-mse", "cnn-fruits-smoothl1"),
       "ΔE76 and gray-stain share (test set)",
       "SmoothL1 has the lower ΔE76 and no more gray stains than MSE", sl1_less_confusion,
       "04-cnn-fruits-losses", real="fruits"),
    _C("cnn-fruits-photos-worse", "Sec. 5.1, Fig. 4",
       "results are not as good as the ones obtained using test images",
       ("cnn-fruits-mse",), "ab MAE / gray on never-seen photos vs on test images",
       "worse (higher) on the photos", photos_worse("cnn-fruits-mse"),
       "09-real-world-photos", real="fruits"),
    _C("cnn-small-animals-fails", "Sec. 5.1, animals",
       "We can not achieve any relevant results ... Output images are desaturated",
       ("cnn-small-animals-mse",), "ab MAE / gray and chroma ratio (test set)",
       "chroma ratio < 0.6 and ab MAE > 0.8x gray", small_cnn_fails_animals,
       "05-cnn-animals", min_epochs=60, real="animals", early=NOT_REPRODUCED),
    _C("cnn-animals-same-ab-first", "Sec. 5.1, animals",
       "At the beginning, the network can't distinguish different objects, so it applies to "
       "every images the same ab values", ("cnn-animals-mse",),
       "spread of per-image mean ab over the truth's, first snapshot",
       "<= 0.25 at the first snapshot epoch", same_ab_first, "05-cnn-animals"),
    _C("cnn-animals-learns-after-50", "Sec. 5.1, animals",
       "After 50 / 60 iterations it starts to produce relevant results",
       ("cnn-animals-mse",), "ab MAE / gray on the snapshot test images per epoch",
       "the first snapshot at <= 0.8x gray is between epoch 20 and 100", learns_after_50,
       "05-cnn-animals", min_epochs=60, real="animals"),
    _C("cnn-animals-photos-worse", "Sec. 5.1, animals",
       "If we try to apply our network to an image it has never seen, we achieve worst results",
       ("cnn-animals-mse",), "ab MAE / gray on never-seen photos vs on test images",
       "worse (higher) on the photos", photos_worse("cnn-animals-mse"), "05-cnn-animals"),
    _C("ae-small-fruits-nothing", "Sec. 5.2",
       "a much simpler architecture (around 1M parameters) ... after 600 epochs it does not "
       "color anything", ("ae-small-fruits-mse",), "ab MAE / gray and chroma ratio (test set)",
       "ab MAE >= 0.9x gray or chroma ratio < 0.2", ae_small_nothing,
       "06-autoencoder-fruits", min_epochs=600, real="fruits", early=NOT_REPRODUCED),
    _C("ae-fruits-10-epochs", "Sec. 5.2, Fig. 6",
       "already after 10 epochs it colorize perfectly the images", ("ae-fruits-mse",),
       "PSNR gain and ab MAE / gray on the snapshot test images",
       ">= 5 dB over gray and <= 0.5x gray at the last snapshot by epoch 10", ae_10_epochs,
       "06-autoencoder-fruits", min_epochs=10, real="fruits", early=REPRODUCED),
    _C("ae-fruits-photos-worse", "Sec. 5.2, Fig. 7",
       "In the other cases, the neural network does not reproduce meaningful results",
       ("ae-fruits-mse",), "ab MAE / gray on never-seen photos vs on test images",
       "worse (higher) on the photos", photos_worse("ae-fruits-mse"), "09-real-world-photos",
       real="fruits"),
    _C("ae-animals-sl1-less-desaturated", "Sec. 5.2, Fig. 8",
       "using the L1Smooth loss, the color is less desaturated",
       ("ae-animals-mse", "ae-animals-smoothl1"), "chroma ratio (test set)",
       "SmoothL1's chroma ratio exceeds MSE's by > 0.02", ae_animals_less_desaturated,
       "07-autoencoder-animals-losses"),
    _C("ae-animals-sl1-stains", "Sec. 5.2, Fig. 8",
       "there are some gray stains. On the other hand the MSE ... the stain are almost absent",
       ("ae-animals-mse", "ae-animals-smoothl1"), "gray-stain share (test set)",
       "SmoothL1 has more stains, MSE at most half as many", ae_animals_stains,
       "07-autoencoder-animals-losses"),
    _C("ae-learns-faster", "Sec. 5, Fig. 9", "the autoencoder network seems to learn faster",
       ("cnn-animals-mse", "ae-animals-mse"), "ab MAE / gray on the snapshot test images",
       "the autoencoder's is lower at the first common snapshot epoch", ae_faster,
       "08-cnn-vs-autoencoder"),
    _C("cnn-less-desaturated-more-accurate", "Sec. 5, Fig. 9",
       "the output of the CNN is less desaturated and more accurate",
       ("cnn-animals-mse", "ae-animals-mse"), "chroma ratio and ab MAE (test set)",
       "the CNN has the higher chroma ratio and the lower ab MAE", cnn_better_end,
       "08-cnn-vs-autoencoder"),
    _C("ae-desaturates-unseen", "Sec. 5.2, Fig. 10",
       "the autoencoder tends to desaturate the color of images it has never seen",
       ("ae-animals-mse",), "chroma ratio on never-seen photos vs test images",
       "< 0.7 on the photos and below the test set's", ae_desaturates_unseen,
       "08-cnn-vs-autoencoder"),
    _C("backgrounds-green", "Sec. 5",
       "It seems that the images are green-ish ... pictures with grass or nature in it",
       ("cnn-animals-mse", "ae-animals-mse"), "share of green pixels (a <= -5), mean a",
       "both networks: more green pixels than the truth and mean a < 0", green,
       "08-cnn-vs-autoencoder", real="animals"),
    _C("animals-meaningful", "Sec. 6",
       "our simple architectures succeed to colorize pictures in a meaningful (but not in "
       "\"realistic\") way", ("cnn-animals-mse", "ae-animals-mse"), "ab MAE / gray (test set)",
       "both <= 0.8x gray", animals_meaningful, "08-cnn-vs-autoencoder", real="animals"),
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


def write(rows: list[dict]) -> None:
    """Store ``rows`` in ``reports/results.json`` under ``"claims"``, in the registry's order."""
    claim_table.write(rows, order=list(CLAIMS))


def show(profile: str, notebook: str | None = None) -> list[dict]:
    """The closing cell of a notebook: print its claims table, record it, return the rows."""
    rows = table(profile, notebook)
    print(format_text(rows))
    write(rows)
    return rows
