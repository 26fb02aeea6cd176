"""The paper's experiments as named, serialisable configs, at three scales (profiles), each run
with several seeds.

Each experiment is one :class:`Experiment` record in :data:`EXPERIMENTS`: the paper's
section and figure, the notebook that shows it, the model, data, loss and every
hyper-parameter that differs from :class:`~colorization.runs.config.RunConfig`'s defaults, its
epochs per profile, and whether it is replicated over seeds. ``colorization experiments``
lists them; ``colorization experiments NAME`` shows one in full, with the complete config of
each profile; :func:`describe` prints the config a notebook trains, with its images, batch,
epochs, optimizer steps and seeds.

Notebooks ask for an experiment by name; :func:`run_all` trains each of its seeds once into
``runs/<profile>/<name>/seed<k>/`` and every later notebook that needs it (the loss
comparisons, CNN vs autoencoder, the results table) reuses those run directories.

**Seeds.** Every experiment a claim of the paper reads runs with several seeds (3 in the
``paper`` profile; in ``quick`` 5 where a seed costs under a minute on a 2-core CPU, else 3;
2 in ``smoke``): a claim is decided only by an effect larger than the seed-to-seed noise
(:mod:`colorization.study.stats`). The seed sets the initial weights, the batch order and
flips, and which training images a subset keeps; the test images and the images shown at
each snapshot are the same for every seed. Experiments beyond the paper that no claim reads
(:attr:`Experiment.replicate` false) run one seed outside the ``paper`` profile.

Profiles:

- ``paper``: the paper's scale, for a GPU: full datasets at 100x100, its epoch counts
  (animals 150 epochs; the small autoencoder 600 epochs, long enough to show it fails);
- ``quick``: the embedded real samples on a CPU (1,000 Fruits-360 photos, 370 Oxford-IIIT Pet
  photos), 64x64, batch 16, every test image, sized so that ``make reproduce`` takes at most
  40 minutes on 2 cores: the fruit CNNs and the ~6M autoencoder on the same 800 photos for 2
  epochs at one learning-rate protocol, the small autoencoder 320 for 3, every animal network
  all 296 pet photos for 2 epochs (far from the paper's 50-150: they are timed and shown, and
  their claims wait for a network that has learned), the 32M network 32 photos for 2 epochs
  (enough to time it); the classification and GAN runs, beyond the paper, one seed;
- ``smoke``: the smallest run that executes every cell (CI's nbval), two seeds.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from colorization.core import fileio, paths
from colorization.data import datasets
from colorization.nets import registry
from colorization.runs import evaluate as evaluation
from colorization.runs.config import RunConfig
from colorization.runs.rundir import Run, RunBusyError, wait_for_run_dir
from colorization.runs.train import train
from colorization.study import report

PROFILES = ("paper", "quick", "smoke")
SEEDS = {"paper": 3, "quick": 3, "smoke": 2}


@dataclass(frozen=True)
class Experiment:
    """One experiment. ``epochs``: ``(paper, quick)`` epoch counts (smoke: always 2);
    ``settings``: RunConfig fields beyond the defaults (learning rate, loss_delta, ...);
    ``quick_images``: training images in the quick profile when the network is too heavy
    for :data:`SCALE`'s default; ``replicate``: run :data:`SEEDS` seeds in every profile
    (False: one seed outside ``paper``; for experiments no claim reads); ``quick_seeds``:
    seeds in the quick profile (5 where a seed costs under a minute on a 2-core CPU, else
    3)."""

    paper: str
    notebook: str
    model: str
    data: str
    epochs: tuple[int, int]
    loss: str = ""  # "" = the model's own objective (registry.default_loss)
    settings: dict = field(default_factory=dict)
    quick_images: int | None = None
    replicate: bool = True
    quick_seeds: int = 3


_E = Experiment
# The fruit networks the paper compares (the ~1M CNN, its flips and losses, the ~6M
# autoencoder) share one protocol: Adam at 3e-3 with cosine decay, on the same images for the
# same optimizer steps. The paper gives no learning rate; 3e-3 is the rate that colours the
# real fruit photos within a few epochs, for the CNN and the autoencoder alike.
_FRUIT = {"learning_rate": 3e-3}
# paper epochs: the paper's counts where it gives them (animals ~150, the small autoencoder
# 600), else enough to show its figure. Experiments the paper compares train for the same
# epochs on the same images with the same learning-rate protocol in every profile
# (:data:`COMPARED`). quick: what a 2-core CPU affords in ``make reproduce``'s 40 minutes.
EXPERIMENTS: dict[str, Experiment] = {
    "zhang-full-fruits": _E("Sec. 5.1 (Zhang's full network)", "02-zhang-full-fruits",
                            "zhang_full", "fruits", (10, 2), "mse", quick_images=32),
    "cnn-fruits-mse": _E("Sec. 5.1, Fig. 1-2", "03-cnn-fruits", "zhang_fruits", "fruits",
                         (30, 2), "mse", _FRUIT, quick_seeds=5),
    "cnn-fruits-mse-flip": _E("Sec. 3.1 (data augmentation on fruits)", "03-cnn-fruits",
                              "zhang_fruits", "fruits", (30, 2), "mse",
                              {**_FRUIT, "flip": True}, quick_seeds=5),
    "cnn-fruits-smoothl1": _E("Sec. 5.1, Fig. 3", "04-cnn-fruits-losses", "zhang_fruits",
                              "fruits", (30, 2), "smooth_l1", _FRUIT, quick_seeds=5),
    "cnn-fruits-smoothl1-ab10": _E("Sec. 5.1, Fig. 3 (threshold 10 ab units)",
                                   "04-cnn-fruits-losses", "zhang_fruits", "fruits", (30, 2),
                                   "smooth_l1_ab", {**_FRUIT, "loss_delta": 10.0},
                                   quick_seeds=5),
    "cnn-small-animals-mse": _E("Sec. 5.1, animals (the ~1M CNN)", "05-cnn-animals",
                                "zhang_fruits", "animals", (150, 2), "mse"),
    "cnn-animals-mse": _E("Sec. 5.1, animals (the ~3.5M CNN); Fig. 9", "05-cnn-animals",
                          "zhang_animals", "animals", (150, 2), "mse"),
    "ae-small-fruits-mse": _E("Sec. 5.2, Fig. 5", "06-autoencoder-fruits", "autoencoder_small",
                              "fruits", (600, 3), "mse", quick_images=320),
    "ae-fruits-mse": _E("Sec. 5.2, Fig. 6-7", "06-autoencoder-fruits", "autoencoder", "fruits",
                        (30, 2), "mse", _FRUIT),
    "ae-animals-mse": _E("Sec. 5.2, Fig. 8; Fig. 10", "07-autoencoder-animals-losses",
                         "autoencoder", "animals", (150, 2), "mse"),
    "ae-animals-smoothl1": _E("Sec. 5.2, Fig. 8", "07-autoencoder-animals-losses",
                              "autoencoder", "animals", (150, 2), "smooth_l1"),
    # Beyond the paper: Zhang's rebalanced classification, and the GAN at pix2pix's rate.
    "zhang-class-fruits": _E("beyond the paper (Zhang et al. 2016)", "10-zhang-classification",
                             "zhang_classification", "fruits", (30, 2), quick_images=120,
                             replicate=False),
    "zhang-class-animals": _E("beyond the paper (Zhang et al. 2016)", "10-zhang-classification",
                              "zhang_classification", "animals", (150, 2), quick_images=120,
                              replicate=False),
    "gan-fruits": _E("beyond the paper (Nazeri et al. 2018)", "11-gan", "gan", "fruits",
                     (30, 2), settings={"learning_rate": 2e-4}, quick_images=96,
                     replicate=False),
    "gan-animals": _E("beyond the paper (Nazeri et al. 2018)", "11-gan", "gan", "animals",
                      (150, 2), settings={"learning_rate": 2e-4}, quick_images=96,
                      replicate=False),
}
# Groups the paper compares: the same epochs, training images, image size, batch and
# learning-rate protocol in every profile (tested): on fruits the losses, the flips and CNN vs
# autoencoder (Fig. 3, Sec. 3.1, Sec. 6); on animals the ~1M vs ~3.5M CNN, the two losses
# of the autoencoder (Fig. 8) and CNN vs autoencoder (Fig. 9-10). Within a group, the
# experiments a paired comparison reads (:data:`PAIRED`) run the same seeds.
COMPARED = (
    ("cnn-fruits-mse", "cnn-fruits-mse-flip", "cnn-fruits-smoothl1", "cnn-fruits-smoothl1-ab10",
     "ae-fruits-mse"),
    ("cnn-small-animals-mse", "cnn-animals-mse", "ae-animals-mse", "ae-animals-smoothl1"),
)
PAIRED = (
    ("cnn-fruits-mse", "cnn-fruits-mse-flip", "cnn-fruits-smoothl1", "cnn-fruits-smoothl1-ab10"),
    ("cnn-small-animals-mse", "cnn-animals-mse", "ae-animals-mse", "ae-animals-smoothl1"),
)
SMOKE_EPOCHS = 2

# Scale of each profile: training images (None: all), image size, batch size, evaluation
# images (None: the whole test split), snapshot epochs and images.
SCALE = {
    "paper": {"max_images": None, "image_size": 100, "batch_size": 64, "eval_images": None,
              "snapshot_epochs": [1, 2, 3, 5, 10, 20, 30, 50, 60, 100, 150, 300, 600],
              "snapshot_images": 32},
    "quick": {"max_images": None, "image_size": 64, "batch_size": 16, "eval_images": None,
              "snapshot_epochs": [1, 2, 3, 5, 10], "snapshot_images": 32},
    "smoke": {"max_images": 48, "image_size": 32, "batch_size": 16, "eval_images": 16,
              "snapshot_epochs": [1, 2], "snapshot_images": 8},
}


def _check(name: str, profile: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {sorted(EXPERIMENTS)}")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    return EXPERIMENTS[name]


def epochs(name: str, profile: str) -> int:
    """Epochs of experiment ``name`` at ``profile``."""
    exp = _check(name, profile)
    if profile == "smoke":
        return SMOKE_EPOCHS
    return exp.epochs[PROFILES.index(profile)]


def seeds(name: str, profile: str) -> list[int]:
    """The seeds experiment ``name`` runs with at ``profile`` (0, 1, ...)."""
    exp = _check(name, profile)
    if not exp.replicate and profile != "paper":
        return [0]
    return list(range(exp.quick_seeds if profile == "quick" else SEEDS[profile]))


def profile_from_env(profile: str | None = None) -> str:
    """``profile`` if given, else ``$COLORIZATION_PROFILE``, else ``quick``."""
    chosen = profile or os.environ.get("COLORIZATION_PROFILE") or "quick"
    if chosen not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {chosen!r}")
    return chosen


def config(name: str, profile: str, seed: int = 0) -> RunConfig:
    """The :class:`RunConfig` of experiment ``name`` at ``profile``'s scale, for ``seed``."""
    exp, scale = _check(name, profile), SCALE[profile]
    max_images = scale["max_images"]
    if profile == "quick" and exp.quick_images is not None:
        max_images = exp.quick_images
    return RunConfig(
        model=exp.model, data=exp.data, loss=exp.loss or registry.default_loss(exp.model),
        **exp.settings,
        epochs=epochs(name, profile),
        batch_size=scale["batch_size"],
        image_size=scale["image_size"],
        max_images=max_images,
        max_test_images=scale["eval_images"],
        snapshot_epochs=list(scale["snapshot_epochs"]),
        snapshot_images=scale["snapshot_images"],
        deterministic=profile == "smoke",
        seed=int(seed),
    )


def run_dir(name: str, profile: str, seed: int = 0) -> Path:
    return paths.runs_dir() / profile / name / f"seed{int(seed)}"


ALLOW_EMBEDDED_ENV = "COLORIZATION_ALLOW_EMBEDDED"


class MissingPaperDataError(RuntimeError):
    """The ``paper`` profile was asked for without the Kaggle datasets."""


def check_paper_data(profile: str, names=("fruits", "animals")) -> None:
    """Stop a ``paper``-profile run before it trains when a Kaggle dataset it needs is not
    prepared (the embedded samples would be trained for the paper's epoch counts).
    ``COLORIZATION_ALLOW_EMBEDDED=1`` (``make reproduce ... --allow-embedded-data``) allows it."""
    if profile != "paper" or os.environ.get(ALLOW_EMBEDDED_ENV, "") == "1":
        return
    missing = [d for d in dict.fromkeys(names) if d in datasets.KAGGLE_IDS
               and datasets.resolve(d) != d]
    if not missing:
        return
    named = ", ".join(f"{d} (Kaggle {datasets.KAGGLE_IDS[d]}; here it would be "
                      f"{datasets.resolve(d)})" for d in missing)
    raise MissingPaperDataError(
        f"the paper profile needs the Kaggle datasets, and these are missing: {named}. "
        "Get them with `make data` once a Kaggle login is in place (README: 'Getting the "
        "real datasets'). To run the paper's scale on the embedded data anyway, set "
        f"{ALLOW_EMBEDDED_ENV}=1 (or pass --allow-embedded-data to "
        "`python -m colorization.study.reproduce`).")


def run(name: str, profile: str, seed: int = 0, *, force: bool = False, verbose="auto",
        wait: bool = True) -> Run:
    """Train experiment ``name`` with ``seed`` (or reuse its finished run) and return the
    :class:`Run`. The ``paper`` profile refuses to start without the Kaggle data
    (:func:`check_paper_data`).

    Several notebooks share some runs (08 and 12 use the runs of the others). When another
    process is training this one (two notebooks open at once, or run in parallel), ``run``
    says so and waits for it, then uses the run it finished (``wait=False``: raise
    :class:`~colorization.runs.rundir.RunBusyError` at once, as ``colorization train`` does).
    """
    cfg = config(name, profile, seed)
    folder = run_dir(name, profile, seed)
    if not Run(folder).finished:
        check_paper_data(profile, [cfg.data])
    while True:
        try:
            return train(cfg, folder, force=force, verbose=verbose)
        except RunBusyError as err:
            if not wait:
                raise
            print(f"waiting: {err.in_use}; this run is used once it is finished", flush=True)
            wait_for_run_dir(err.run_dir)


def run_all(name: str, profile: str, *, force: bool = False, verbose="auto") -> list[Run]:
    """Every seed of experiment ``name`` (:func:`seeds`), each trained or reused; one line
    per seed says which."""
    out = []
    for seed in seeds(name, profile):
        done = Run(run_dir(name, profile, seed)).finished and not force
        print(f"{name}, seed {seed}: {'reused (finished run)' if done else 'training'}",
              flush=True)
        out.append(run(name, profile, seed, force=force, verbose=verbose))
    return out


def evaluate(name: str, profile: str, data: str | None = None, seed: int = 0) -> dict:
    """Test-set metrics of one finished seed of an experiment (cached in its run folder)."""
    return evaluation.evaluate_run(run_dir(name, profile, seed), data,
                                   max_images=SCALE[profile]["eval_images"])


def evaluate_all(name: str, profile: str, data: str | None = None) -> list[dict]:
    """:func:`evaluate` of every seed, in seed order."""
    return [evaluate(name, profile, data, seed) for seed in seeds(name, profile)]


# ------------------------------------------------------------------ what a run trains


def _images(cfg: RunConfig, split: str) -> int:
    """How many images of ``split`` ``cfg`` trains (or is evaluated) on: the split's size,
    capped by ``max_images`` (``max_test_images``). Counted once per process for the
    embedded samples and the generated data, whose contents never change; the Kaggle data
    (which may be prepared meanwhile) and folders are counted every time."""
    cap = cfg.max_images if split == "train" else cfg.max_test_images
    dataset = datasets.resolve(cfg.data)
    if dataset in datasets.SAMPLES or dataset.startswith("synthetic-"):
        # keyed on the name asked for and the data mode too: the first count of "fruits"
        # loads it, so the fallback notice is printed as without the cache
        mode = datasets.data_mode() if cfg.data in datasets.EMBEDDED else ""
        return _fixed_count(cfg.data, dataset, mode, split, cap)
    return _count(cfg.data, split, cap)


def _count(data: str, split: str, cap: int | None) -> int:
    return len(datasets.load(data, split, image_size=8, max_images=cap))


@functools.lru_cache(maxsize=64)
def _fixed_count(data: str, dataset: str, mode: str, split: str, cap: int | None) -> int:
    return _count(data, split, cap)


def scale(name: str, profile: str) -> dict:
    """What experiment ``name`` trains at ``profile``: data (and whether it is real or
    generated), image size, training images, batch, epochs, optimizer steps, seeds. Read from
    the finished run of seed 0 when there is one, else computed from the config."""
    cfg = config(name, profile)
    run = Run(run_dir(name, profile))
    status = run.status if run.finished else {}
    images = status.get("train_images") or _images(cfg, "train")
    batch = status.get("batch_size") or cfg.batch_size
    per_epoch = status.get("steps_per_epoch") or -(-images // min(batch, images))
    dataset = status.get("dataset") or datasets.resolve(cfg.data)
    return {"data": dataset, "kind": datasets.kind_of(dataset), "image_size": cfg.image_size,
            "train_images": images, "batch_size": batch, "epochs": cfg.epochs,
            "steps_per_epoch": per_epoch, "optimizer_steps": per_epoch * cfg.epochs,
            "test_images": _images(cfg, "test"), "seeds": len(seeds(name, profile))}


def scale_text(name: str, profile: str, seed: int | None = None) -> str:
    """One line for figure titles and tables, e.g. ``"pets-sample (real photos), 64x64,
    296 training images, 8 epochs = 80 optimizer steps, seed 0 of 3"``."""
    s = scale(name, profile)
    kind = "real photos" if s["kind"] == "real" else "generated images"
    who = (f"seed {seed} of {s['seeds']}" if seed is not None
           else f"{s['seeds']} seed{'s' * (s['seeds'] != 1)}")
    return (f"{s['data']} ({kind}), {s['image_size']}x{s['image_size']}, "
            f"{s['train_images']} training images, {s['epochs']} epochs = "
            f"{s['optimizer_steps']} optimizer steps, {who}")


def caption(name: str, profile: str, what: str, seed: int = 0) -> str:
    """A figure title: ``what`` on its own line, then :func:`scale_text` for ``seed``."""
    return f"{what}\n{name}: {scale_text(name, profile, seed)}"


def describe(name: str, profile: str) -> str:
    """Everything experiment ``name`` trains with at ``profile``: the network, data, loss,
    optimiser, learning rate and schedule, batch, image size, training images, epochs,
    optimizer steps, seeds, and every other setting of its config."""
    exp, cfg, s = EXPERIMENTS[name], config(name, profile), scale(name, profile)
    kind = "real photos" if s["kind"] == "real" else "generated images"
    schedule = ("cosine decay to 0 over the run" if cfg.lr_schedule == "cosine"
                else "constant")
    lines = [
        f"{name} ({exp.paper}; profile {profile})",
        f"  network        {cfg.model}: {registry.spec(cfg.model).about}",
        f"  data           {cfg.data} -> {s['data']} ({kind}), {s['train_images']} training "
        f"images at {cfg.image_size}x{cfg.image_size}"
        + (", random left-right flips" if cfg.flip else ""),
        f"  loss           {cfg.loss}"
        + (f" (threshold {cfg.loss_delta:g})" if cfg.loss.startswith("smooth_l1") else ""),
        f"  optimiser      {cfg.optimizer}, learning rate {cfg.learning_rate:g}, {schedule}",
        f"  batch          {s['batch_size']} images, {s['steps_per_epoch']} steps an epoch",
        f"  epochs         {cfg.epochs} = {s['optimizer_steps']} optimizer steps",
        f"  seeds          {', '.join(map(str, seeds(name, profile)))} (weights, batch order, "
        "training subset; the same test images for all)",
        f"  evaluation     {s['test_images']} test images; snapshots at epochs "
        f"{cfg.snapshot_schedule()}",
    ]
    shown = {"model", "data", "loss", "loss_delta", "optimizer", "learning_rate", "lr_schedule",
             "batch_size", "image_size", "max_images", "epochs", "seed", "flip",
             "max_test_images", "snapshot_epochs"}
    rest = [f"{k}={v}" for k, v in cfg.to_dict().items() if k not in shown]
    for i in range(0, len(rest), 4):
        lines.append(("  other settings " if i == 0 else " " * 17) + ", ".join(rest[i:i + 4]))
    return "\n".join(lines)


def show(name: str) -> str:
    """Experiment ``name`` in full: its record, then every config field of each profile."""
    exp = _check(name, "paper")
    lines = [f"{name}", f"  paper:     {exp.paper}", f"  notebook:  notebooks/{exp.notebook}.py",
             f"  model:     {exp.model} ({registry.spec(exp.model).about})"]
    configs = {p: config(name, p).to_dict() for p in PROFILES}
    lines.append(f"  {'field':18s}" + "".join(f"{p:>14s}" for p in PROFILES))
    rows = [(key, [configs[p][key] for p in PROFILES]) for key in configs["paper"]]
    rows.append(("seeds", [len(seeds(name, p)) for p in PROFILES]))
    for key, values in rows:
        shown = ["all" if v is None else ",".join(map(str, v)) if isinstance(v, list) else
                 f"{v:g}" if isinstance(v, float) else str(v) for v in values]
        if key == "snapshot_epochs":
            shown = [s if len(s) <= 13 else s[:10] + "..." for s in shown]
        lines.append(f"  {key:18s}" + "".join(f"{s:>14s}" for s in shown))
    return "\n".join(lines)


def listing() -> str:
    """One line per experiment: name, paper section, notebook, model, data, loss."""
    rows = [f"{'experiment':26s} {'notebook':30s} {'model':22s} {'data':8s} paper"]
    for name, exp in EXPERIMENTS.items():
        rows.append(f"{name:26s} {exp.notebook:30s} {exp.model:22s} {exp.data:8s} {exp.paper}")
    return "\n".join(rows)


# ------------------------------------------------------------------ numbers of every seed


def record(name: str, profile: str, per_seed: list[dict]) -> None:
    """Add experiment ``name``'s metrics (every seed's, their mean and spread) to
    ``reports/results.json``, with its scale and the data the runs used."""
    cfg = config(name, profile)
    report.record(name, per_seed, model=cfg.model, loss=cfg.loss, profile=profile,
                  **scale(name, profile))


def report_metrics(experiments_by_label: dict[str, str], profile: str,
                   keys=report.TABLE_KEYS_SHORT) -> dict[str, list[dict]]:
    """Evaluate every seed of the experiments (``{label: experiment name}``), print their
    metrics as mean ± sd over seeds with each one's scale, and record them in
    ``reports/results.json``. Returns ``{label: [metrics of each seed]}``. The shared
    closing cell of the experiment notebooks."""
    per_seed = {label: evaluate_all(name, profile)
                for label, name in experiments_by_label.items()}
    print(report.format_spread_table(per_seed, keys=keys))
    width = max(len(label) for label in per_seed)
    for label, name in experiments_by_label.items():
        print(f"{label:{width}s}  {scale_text(name, profile)}")
    for label, name in experiments_by_label.items():
        record(name, profile, per_seed[label])
    return per_seed


KIND_DATASETS = {"fruits": ("fruits", "fruits360-sample", "synthetic-fruits"),
                 "animals": ("animals", "pets-sample", "synthetic-animals")}


def best_run(kind: str = "fruits", root=None, log=None):
    """The finished run best suited to colourise ``kind`` images ("fruits" or "animals"),
    and one line saying why it was chosen; ``None`` when there is none under ``root``
    (default ``runs/``).

    Candidates are finished runs trained on that kind of data (Kaggle, the embedded
    sample or the generated stand-in). Ranked by the ab error over the gray baseline's in
    their stored test metrics (lower is better); runs never evaluated come after, larger
    profiles (paper, quick, smoke) and longer training first. A run whose folder is damaged,
    or whose stored metrics are damaged or not finite and plausible (a NaN or negative
    error, a gray baseline of 0), is skipped: ``log`` (default: standard error) gets one line
    for each, naming the run and why.
    """
    if kind not in KIND_DATASETS:
        raise ValueError(f"kind must be one of {sorted(KIND_DATASETS)}, got {kind!r}")
    log = log or (lambda line: print(line, file=sys.stderr))
    root = Path(root) if root is not None else paths.runs_dir()
    ranked = []
    for status in sorted(root.glob("**/status.json")):
        run = Run(status.parent)
        try:
            if not run.finished:
                continue
            cfg = run.config
            used = run.status.get("dataset", cfg.data)
            if cfg.data not in KIND_DATASETS[kind] and used not in KIND_DATASETS[kind]:
                continue
            scores = [_score(path) for path in sorted((run.dir / "metrics").glob("*.json"))]
        except (OSError, ValueError) as err:  # DamagedFileError too
            log(f"skipped {run.dir}: {err}")
            continue
        scores = [s for s in scores if s is not None]
        profile = next((p for p in run.dir.parts if p in PROFILES), None)
        size = PROFILES.index(profile) if profile else len(PROFILES)
        score = min(scores) if scores else math.inf
        ranked.append((score, size, -cfg.epochs, str(run.dir), run, cfg, used))
    if not ranked:
        return None
    score, _, _, _, run, cfg, used = min(ranked, key=lambda r: r[:4])
    measured = (f"ab error {score:.2f}x the gray baseline's on its test set"
                if math.isfinite(score) else "not evaluated yet")
    why = (f"{run.dir}: {cfg.model} trained {cfg.epochs} epochs on {used} ({measured}; "
           f"best of {len(ranked)} finished {kind} run{'s' * (len(ranked) > 1)})")
    return run.dir, why


def _score(path: Path) -> float | None:
    """ab error over the gray baseline's in the metrics file ``path`` (``None`` for metrics
    of another split); ``ValueError`` naming the file for damaged or implausible ones."""
    m = evaluation.read_metrics(path)
    if m.get("split") != "test":
        return None
    for key in ("ab_mae", "ab_mae_gray"):
        problem = fileio.number_problem(m.get(key), 0.0)
        if problem:
            raise ValueError(f"{path}: {key}: {problem}")
    if m["ab_mae_gray"] == 0:
        raise ValueError(f"{path}: ab_mae_gray: 0.0 is out of range (the gray baseline's "
                         "error is above 0 on any coloured image)")
    return m["ab_mae"] / m["ab_mae_gray"]


def no_run_message(kind: str = "fruits") -> str:
    """What to do when :func:`best_run` finds nothing."""
    model = "zhang_fruits" if kind == "fruits" else "zhang_animals"
    return (f"no finished {kind} run under {paths.runs_dir()}. Make one with `make reproduce` "
            "(every experiment; at most 40 minutes on a CPU) or train just one, e.g. "
            f"`colorization train --model {model} --data {kind} --epochs 8 --image-size 64 "
            f"--out runs/my-{kind}`, or pass --run / --model")
