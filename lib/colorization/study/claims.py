"""The paper's claims as data, each decided by the numbers of this suite's runs, over seeds.

Every claim Depaoli & Mistrali make is one :class:`Claim` in :data:`CLAIMS`: where the paper
makes it, its words, the experiments it reads, the metric and rule that decide it
(:mod:`colorization.study.rules`, thresholds in :data:`THRESHOLDS`), the scale it needs and the
verdict it must give on each fabricated network of :data:`FAKES`. :func:`verdict` decides one
claim on an :class:`Evidence` (:mod:`colorization.study.verdicts`), :func:`table` all of them,
with Holm's correction over the run; :data:`LEGEND` says what each verdict means. A claim about
what a trained network does (``kind="does"``) is decided only once each network it reads has
learned to colour (:data:`GUARD`); one about what happens after N epochs can be settled early
in the direction its ``early`` names.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from colorization.study import report, rules, verdicts
from colorization.study.evidence import (  # noqa: F401 (read through this module)
    THRESHOLDS,
    Evidence,
    format_noise_floor,
    gather,
    noise_floor,
    snapshot_metrics,
)
from colorization.study.stats import (  # noqa: F401
    BY_CONSTRUCTION,
    INCONCLUSIVE,
    INDICATIVE,
    LEGEND,
    NOT_REPRODUCED,
    NOT_TESTABLE,
    NOT_TESTABLE_SCALE,
    REPRODUCED,
    Outcome,
)

T = THRESHOLDS
GUARD = True  # tests/test_fakes.py turns it off to show what it protects
Rule = Callable[[Evidence], Outcome]

FAKES = ("gray", "tint", "sepia", "random_tint", "truth", "truth_noise", "half_chroma",
         "green")


def _fakes(default: str = NOT_TESTABLE_SCALE, **learning: str) -> dict[str, str]:
    """The verdict on each fabricated network: ``default`` for the five that have not
    learned, ``learning`` (else inconclusive) for the truth, the truth plus noise, half
    chroma."""
    out = dict.fromkeys(("gray", "tint", "sepia", "random_tint", "green"), default)
    out.update({f: learning.get(f, INCONCLUSIVE) for f in ("truth", "truth_noise",
                                                           "half_chroma")})
    return out


def _all(verdict: str) -> dict[str, str]:
    return dict.fromkeys(FAKES, verdict)


@dataclass(frozen=True)
class Claim:
    """One claim of the paper (or beyond it).

    ``decide(evidence) -> Outcome``; ``kind``: ``"does"`` (about what a trained network does:
    guarded by :func:`colorization.study.verdicts.learned`), ``"fails"``, ``"when"`` (the epoch
    it starts colouring) or ``"speed"``; ``min_epochs``: epochs every experiment needs;
    ``early``: the verdict that stands below them, decided by ``early_decide`` when given,
    else by ``decide``; ``construction``: ``evidence -> reason`` when the set-up settles the
    comparison; ``untestable``: why what ships cannot test it; ``domains``: the domains it
    compares; ``fakes``: its verdict on each of :data:`FAKES`."""

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


def _untestable(claim_id: str, where: str, says: str, name: str, notebook: str, why: str,
                domains: str) -> Claim:
    """A claim that what ships with the project cannot test, and why."""
    return Claim(claim_id, where, says, (name,), "-", "-", None, notebook, untestable=why,
                 domains=domains, fakes=_all(NOT_TESTABLE))


def _loss_claims(prefix: str, where: str, says: tuple[str, str, str], pair: tuple[str, str],
                 settled: bool) -> list[Claim]:
    """The three claims comparing MSE (``pair[0]``) with SmoothL1: similar outputs, MSE more
    saturated, SmoothL1 less confusion; ``settled``: one objective by construction."""
    mse, other = pair
    more = (dict(construction=rules.same_objective(*pair), fakes=_all(BY_CONSTRUCTION))
            if settled else dict(fakes=_fakes()))
    nb = "04-cnn-fruits-losses"
    return [
        Claim(f"{prefix}-similar", where, says[0], pair, "PSNR and CIEDE2000 (test set)",
              f"PSNR within {T['similar_psnr_db']:g} dB and CIEDE2000 within "
              f"{100 * T['similar_de']:g} %",
              lambda ev: rules.losses_similar(ev, mse, other), nb, **more),
        Claim(f"{prefix}-mse-saturated", where, says[1], pair, "chroma ratio (test set)",
              "MSE's chroma ratio above SmoothL1's",
              lambda ev: rules.mse_more_saturated(ev, mse, other), nb, **more),
        Claim(f"{prefix}-sl1-less-confusion", where, says[2], pair,
              "mean hue error of each fruit class (test set)",
              "SmoothL1's class hue error below MSE's",
              lambda ev: rules.sl1_less_confusion(ev, mse, other), nb, **more)]


NO_FRUIT_PHOTOS = (
    "needs photographs of fruit the network never saw, as the paper's Fig. {fig} shows; none "
    "ship with the project, and scikit-image's photographs (astronaut, cat, coffee, rocket, "
    "...) show no fruit, so a network trained on fruit doing worse on them is true by "
    "construction")
NO_ANIMAL_PHOTOS = (
    "needs animal photographs from outside the training data; the only one shipped is "
    "scikit-image's 'chelsea' (one cat) and the other seven show no animal, so doing worse on "
    "them is true by construction")
_FRUIT_DOMAINS = "fruit test photos vs real-world photographs of fruit"
_AE_PAIR = ("ae-animals-mse", "ae-animals-smoothl1")
_COLOURS_WELL_RULE = (f"CIEDE2000 <= {T['colours_well_de']}x gray and hue error <= "
                      f"{T['colours_well_hue']:g} degrees")
_AB10 = "with SmoothL1's threshold at 10 ab units"

CLAIMS: dict[str, Claim] = {c.id: c for c in [
    Claim("zhang-full-colours", "Sec. 5.1",
          "we are able to colorize test images correctly [with Zhang's full network]",
          ("zhang-full-fruits",), "CIEDE2000 / gray and hue error (test set)",
          _COLOURS_WELL_RULE, rules.zhang_full_colours,
          "02-zhang-full-fruits", min_epochs=10, early=REPRODUCED,
          fakes=_fakes(truth_noise=REPRODUCED)),
    Claim("zhang-full-slow", "Sec. 5.1",
          "the computational time is extremely slow ... around 32M parameters",
          ("zhang-full-fruits", "cnn-fruits-mse"),
          "training images/s (median epoch after the first)",
          f"the 32M network trains at <= {T['slow_share']}x the ~1M CNN's images/s",
          rules.zhang_full_slow, "02-zhang-full-fruits", kind="speed",
          construction=rules.larger_network,
          fakes=_all(BY_CONSTRUCTION)),
    Claim("cnn-fruits-few-epochs", "Sec. 5.1, Fig. 2",
          "even with small number of iteration, we are able to colorize the images in a "
          "meaningful way", ("cnn-fruits-mse",),
          "CIEDE2000 / gray and hue error, snapshot test images",
          f"<= {T['few_epochs_de']}x gray and hue error <= {T['meaningful_hue']:g} degrees at "
          "the last snapshot by epoch 3", rules.cnn_fruits_few_epochs, "03-cnn-fruits",
          fakes=_fakes(truth_noise=REPRODUCED)),
    Claim("fruits-easy", "Sec. 6",
          "The fruits dataset is pretty simple so the two different networks work both very "
          "well", ("cnn-fruits-mse", "ae-fruits-mse"),
          "CIEDE2000 / gray, hue error, class hue (test set)",
          f"both: {_COLOURS_WELL_RULE}, every fruit class's mean hue within "
          f"{T['class_hue_max']:g} degrees", rules.fruits_easy, "06-autoencoder-fruits",
          fakes=_fakes(truth_noise=REPRODUCED)),
    Claim("no-desaturation-fruits", "Sec. 3.1",
          "we seems not to encounter the desaturation problem [on fruits]",
          ("cnn-fruits-mse", "ae-fruits-mse"), "chroma ratio (test set)",
          f"chroma ratio >= {T['desaturated_chroma']} for the CNN and the autoencoder",
          rules.no_desaturation_fruits, "06-autoencoder-fruits",
          fakes=_fakes(truth_noise=REPRODUCED)),
    Claim("augmentation-useless-fruits", "Sec. 3.1",
          "data augmentation seems useless in this case [fruits]",
          ("cnn-fruits-mse", "cnn-fruits-mse-flip"),
          "CIEDE2000 with vs without flips (test set)",
          f"flips improve CIEDE2000 by < {100 * T['flip_gain']:g} %", rules.augmentation_useless,
          "03-cnn-fruits", fakes=_fakes()),
    *_loss_claims("losses-fruits", "Sec. 5.1, Fig. 3", (
        "Outputs are similar [SmoothL1 vs MSE]", "MSE colors seem to be more saturated",
        "SmoothL1Loss seems to make less confusion when we have an objects that can assume "
        "different color"), ("cnn-fruits-mse", "cnn-fruits-smoothl1"), settled=True),
    *_loss_claims("losses-ab10", "beyond the paper (SmoothL1's threshold in ab units)", (
        f"{_AB10} (not the same objective as MSE), the outputs are similar",
        f"{_AB10}, MSE's colours are more saturated",
        f"{_AB10}, SmoothL1 confuses fruit colours less"),
        ("cnn-fruits-mse", "cnn-fruits-smoothl1-ab10"), settled=False),
    _untestable("cnn-fruits-photos-worse", "Sec. 5.1, Fig. 4",
                "results are not as good as the ones obtained using test images",
                "cnn-fruits-mse", "09-real-world-photos", NO_FRUIT_PHOTOS.format(fig=4),
                _FRUIT_DOMAINS),
    Claim("cnn-small-animals-fails", "Sec. 5.1, animals",
          "We can not achieve any relevant results ... Output images are desaturated",
          ("cnn-small-animals-mse",), "chroma ratio and CIEDE2000 / gray (test set)",
          f"chroma ratio < {T['fails_chroma']} and CIEDE2000 > {T['meaningful_de']}x gray",
          rules.small_cnn_fails_animals, "05-cnn-animals", kind="fails", min_epochs=60,
          early=NOT_REPRODUCED, early_decide=rules.small_cnn_has_results,
          fakes={**_all(NOT_REPRODUCED), "gray": INCONCLUSIVE, "tint": INCONCLUSIVE,
                 "truth": INCONCLUSIVE}),
    Claim("cnn-animals-same-ab-first", "Sec. 5.1, animals",
          "At the beginning, the network can't distinguish different objects, so it applies "
          "to every images the same ab values", ("cnn-animals-mse",),
          "spread of per-image mean ab over the truth's, first snapshot (once the network "
          "has learned by the end)", f"< {T['nothing_spread']} at the first snapshot epoch",
          rules.same_ab_first,
          "05-cnn-animals", fakes=_fakes(truth_noise=NOT_REPRODUCED)),
    Claim("cnn-animals-learns-after-50", "Sec. 5.1, animals",
          "After 50 / 60 iterations it starts to produce relevant results",
          ("cnn-animals-mse",), "CIEDE2000 / gray on the snapshot test images per epoch",
          f"the first snapshot at <= {T['meaningful_de']}x gray, below the mean tint's and "
          f"with colour spread >= {T['nothing_spread']} is between epoch "
          f"{T['learns_from']:g} and {T['learns_by']:g} in every seed", rules.learns_after_50,
          "05-cnn-animals", kind="when", min_epochs=60, fakes=_all(NOT_REPRODUCED)),
    _untestable("cnn-animals-photos-worse", "Sec. 5.1, animals",
                "If we try to apply our network to an image it has never seen, we achieve "
                "worst results", "cnn-animals-mse", "05-cnn-animals", NO_ANIMAL_PHOTOS,
                "animal test photos vs animal photographs from elsewhere"),
    Claim("ae-small-fruits-nothing", "Sec. 5.2",
          "a much simpler architecture (around 1M parameters) ... after 600 epochs it does "
          "not color anything", ("ae-small-fruits-mse",),
          "per-image colour spread / truth's, hue error, CIEDE2000 / mean tint (test set)",
          f"spread < {T['nothing_spread']} (one colour for every image), hue error > "
          f"{T['nothing_hue']:g} degrees or no better than the mean tint", rules.ae_small_nothing,
          "06-autoencoder-fruits", kind="fails", min_epochs=600, early=NOT_REPRODUCED,
          fakes={**_all(REPRODUCED), "gray": INCONCLUSIVE, "truth": INCONCLUSIVE,
                 "truth_noise": NOT_REPRODUCED, "half_chroma": INCONCLUSIVE}),
    Claim("ae-fruits-10-epochs", "Sec. 5.2, Fig. 6",
          "already after 10 epochs it colorize perfectly the images", ("ae-fruits-mse",),
          "CIEDE2000 / gray and hue error, snapshot test images",
          f"{_COLOURS_WELL_RULE} at the last snapshot by epoch 10", rules.ae_10_epochs,
          "06-autoencoder-fruits", min_epochs=10, early=REPRODUCED,
          fakes=_fakes(truth_noise=REPRODUCED)),
    _untestable("ae-fruits-photos-worse", "Sec. 5.2, Fig. 7",
                "In the other cases, the neural network does not reproduce meaningful results",
                "ae-fruits-mse", "09-real-world-photos", NO_FRUIT_PHOTOS.format(fig=7),
                _FRUIT_DOMAINS),
    Claim("ae-animals-sl1-less-desaturated", "Sec. 5.2, Fig. 8",
          "using the L1Smooth loss, the color is less desaturated", _AE_PAIR,
          "chroma ratio (test set)", "SmoothL1's chroma ratio above MSE's",
          rules.ae_animals_less_desaturated, "07-autoencoder-animals-losses",
          construction=rules.same_objective(*_AE_PAIR),
          fakes=_all(BY_CONSTRUCTION)),
    Claim("ae-animals-sl1-stains", "Sec. 5.2, Fig. 8",
          "there are some gray stains. On the other hand the MSE ... the stain are almost "
          "absent", _AE_PAIR, "gray-stain share (test set)",
          "SmoothL1 leaves more gray stains than MSE",
          rules.ae_animals_stains, "07-autoencoder-animals-losses",
          construction=rules.same_objective(*_AE_PAIR),
          fakes=_all(BY_CONSTRUCTION)),
    Claim("ae-learns-faster", "Sec. 5, Fig. 9", "the autoencoder network seems to learn faster",
          ("cnn-animals-mse", "ae-animals-mse"),
          "first snapshot epoch at which each colours the snapshot test images",
          f"the autoencoder colours first (CIEDE2000 <= {T['colours_de']}x gray and below the "
          f"mean tint's, per-image colour spread >= {T['nothing_spread']}) in every seed",
          rules.ae_faster, "08-cnn-vs-autoencoder", fakes=_fakes()),
    Claim("cnn-less-desaturated-more-accurate", "Sec. 5, Fig. 9",
          "the output of the CNN is less desaturated and more accurate",
          ("cnn-animals-mse", "ae-animals-mse"), "chroma ratio and CIEDE2000 (test set)",
          "the CNN has the higher chroma ratio and the lower CIEDE2000",
          rules.cnn_better_end, "08-cnn-vs-autoencoder", fakes=_fakes()),
    Claim("ae-desaturates-unseen", "Sec. 5.2, Fig. 10",
          "the autoencoder tends to desaturate the color of images it has never seen",
          ("ae-animals-mse",), "chroma ratio on never-seen photos vs test images",
          f"< {T['unseen_chroma']} on the photos and below the test set's",
          rules.ae_desaturates_unseen, "08-cnn-vs-autoencoder",
          domains="trained on cats and dogs; never seen: scikit-image's 8 photographs (a "
                  "person, a cat, coffee, a rocket, space, microscopy, a retina, a motorcycle)",
          fakes=_fakes(truth_noise=NOT_REPRODUCED)),
    Claim("backgrounds-green", "Sec. 5",
          "It seems that the images are green-ish ... pictures with grass or nature in it",
          ("cnn-animals-mse", "ae-animals-mse"), "share of green pixels (a <= -5), mean a",
          "both networks: more green pixels than the truth and mean a < 0", rules.green,
          "08-cnn-vs-autoencoder",
          fakes=_fakes(truth=NOT_REPRODUCED, truth_noise=NOT_REPRODUCED,
                       half_chroma=NOT_REPRODUCED)),
    Claim("animals-meaningful", "Sec. 6",
          "our simple architectures succeed to colorize pictures in a meaningful (but not in "
          "\"realistic\") way", ("cnn-animals-mse", "ae-animals-mse"),
          "CIEDE2000 / gray and hue error (test set)",
          f"both: CIEDE2000 <= {T['meaningful_de']}x gray and hue error <= "
          f"{T['meaningful_hue']:g} degrees", rules.animals_meaningful, "08-cnn-vs-autoencoder",
          fakes=_fakes(truth_noise=REPRODUCED)),
]}


def verdict(claim: Claim, ev: Evidence) -> verdicts.Decision:
    """The :class:`~colorization.study.verdicts.Decision` on ``claim`` (iterates as
    ``(verdict, measured, reason)``)."""
    return verdicts.decide(claim, ev, GUARD)


def table(profile: str, notebook: str | None = None, evidence: Evidence | None = None
          ) -> list[dict]:
    """One row per claim (only ``notebook``'s when given): the claim, its rule, verdict,
    reason, statistics (effect, 95 % interval, test, p, Holm-adjusted p), experiments, kind of
    data and scale. Holm's correction runs over every claim of the run, whichever are shown."""
    if evidence is None:
        chosen = [c for c in CLAIMS.values() if not c.untestable]
        evidence = gather(profile, sorted({n for c in chosen for n in c.experiments}))
    rows = verdicts.correct([verdicts.table_row(c, verdict(c, evidence), evidence, profile)
                             for c in CLAIMS.values()])
    return [r for r in rows if notebook is None or CLAIMS[r["id"]].notebook == notebook]


def write(rows: list[dict]) -> None:
    """Store ``rows`` in ``reports/results.json`` under ``"claims"``, in the registry's order."""
    report.store_claims(rows, order=list(CLAIMS))


def show(profile: str, notebook: str | None = None) -> list[dict]:
    """A notebook's closing cell: print the verdicts' legend and its claims table, record it,
    return the rows."""
    rows = table(profile, notebook)
    print(textwrap.fill(LEGEND, 96) + "\n")
    print(report.format_claims_text(rows))
    write(rows)
    return rows
