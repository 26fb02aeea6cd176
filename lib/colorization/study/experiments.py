"""The paper's experiments as named configs at three scales (profiles), each with its seeds.

Each :class:`Experiment` in :data:`EXPERIMENTS` names the paper's section, the notebook that
shows it, the model, data, loss, every setting that differs from
:class:`~colorization.runs.config.RunConfig`'s defaults and its epochs per profile.
:func:`prepare` builds what one seed trains with (the notebooks show it), :func:`run_all`
trains every seed once into ``runs/<profile>/<name>/seed<k>/``, and later notebooks reuse
those runs. A claim is decided only by an effect larger than the seed-to-seed noise
(:mod:`colorization.study.stats`): 3 seeds in ``paper``, 5 in ``quick`` where a seed costs
under a minute on a 2-core CPU (else 3), 2 in ``smoke``; experiments no claim reads run one
seed outside ``paper``. A seed sets the initial weights, the batch order and flips and the
training subset; the test and snapshot images are the same for every seed.

Profiles: ``paper``, the paper's scale for a GPU (full datasets at 100x100, its epoch
counts); ``quick``, the embedded real samples at 64x64 on a CPU, sized so that ``make
reproduce`` takes at most 40 minutes on 2 cores (:data:`SCALE`, ``quick_images``); ``smoke``,
the smallest run that executes every cell (CI's nbval).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from colorization.core import paths
from colorization.data import datasets
from colorization.nets import registry
from colorization.runs import evaluate as evaluation
from colorization.runs import train as training
from colorization.runs.config import RunConfig
from colorization.runs.rundir import Run, RunBusyError, wait_for_run_dir
from colorization.runs.train import Setup, train

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
#: Let the ``paper`` profile train on the embedded samples (set by the entry points from
#: ``--allow-embedded-data`` or ``COLORIZATION_ALLOW_EMBEDDED=1``).
ALLOW_EMBEDDED = False


class MissingPaperDataError(RuntimeError):
    """The ``paper`` profile was asked for without the Kaggle datasets."""


def check_paper_data(profile: str, names=("fruits", "animals"),
                     allow_embedded: bool | None = None) -> None:
    """Stop a ``paper``-profile run before it trains when a Kaggle dataset it needs is not
    prepared (the embedded samples would be trained for the paper's epoch counts).
    ``allow_embedded`` (default :data:`ALLOW_EMBEDDED`) allows it."""
    allowed = ALLOW_EMBEDDED if allow_embedded is None else allow_embedded
    if profile != "paper" or allowed:
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


def _start(name: str, profile: str, seed: int, wait: bool, start):
    """``start(config, folder)`` for seed ``seed`` of ``name``, after the paper profile's data
    check (:func:`check_paper_data`); while another process trains the same run, it says so
    and waits, then uses the run it finished (``wait=False``: ``RunBusyError`` at once)."""
    cfg, folder = config(name, profile, seed), run_dir(name, profile, seed)
    if not Run(folder).finished:
        check_paper_data(profile, [cfg.data])
    while True:
        try:
            return start(cfg, folder)
        except RunBusyError as err:
            if not wait:
                raise
            print(f"waiting: {err.in_use}; this run is used once it is finished", flush=True)
            wait_for_run_dir(err.run_dir)


def prepare(name: str, profile: str, seed: int = 0, *, force: bool = False) -> Setup:
    """What seed ``seed`` of experiment ``name`` trains with: the data, the ``tf.data``
    pipeline, the compiled model and its callbacks (:func:`colorization.runs.train.prepare`,
    which :func:`run` uses too); train it with :func:`colorization.runs.train.fit`."""
    return _start(name, profile, seed, True,
                  lambda cfg, folder: training.prepare(cfg, folder, force=force))


def run(name: str, profile: str, seed: int = 0, *, force: bool = False, verbose="auto",
        wait: bool = True, callbacks=()) -> Run:
    """Train seed ``seed`` of experiment ``name`` (or reuse its finished run) and return the
    :class:`Run` (:func:`colorization.runs.train.train`: ``prepare``, then ``fit``). Several
    notebooks share runs: one another process is training is waited for (``wait=False``:
    ``RunBusyError`` at once, as ``colorization train`` does). Extra Keras ``callbacks`` run
    after the run's own."""
    return _start(name, profile, seed, wait, lambda cfg, folder: train(
        cfg, folder, force=force, verbose=verbose, callbacks=callbacks))


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
