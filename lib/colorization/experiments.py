"""The paper's experiments as named, serialisable configs, at three scales (profiles).

Each experiment is one :class:`Experiment` record in :data:`EXPERIMENTS`: the paper's
section and figure, the notebook that shows it, the model, data, loss and every
hyper-parameter that differs from :class:`~colorization.runs.RunConfig`'s defaults, and its
epochs per profile. ``colorization experiments`` lists them; ``colorization experiments NAME``
shows one in full, with the complete config of each profile.

Notebooks ask for an experiment by name; :func:`run` trains it once into
``runs/<profile>/<name>/`` and every later notebook that needs it (the loss comparisons,
CNN vs autoencoder, the real-world photos, the results table) reuses that run directory.

Profiles:

- ``paper``: the paper's scale, for a GPU: full datasets at 100x100, its epoch counts
  (animals 150 epochs; the small autoencoder 600 epochs, long enough to show it fails);
- ``quick``: the embedded default on a CPU (real fruit sample, generated animals), 64x64:
  the whole suite in under half an hour on 2 cores. The fruit CNNs see all 800 training
  photos for 5 epochs; the heavier networks fewer images (``quick_images``: the ~6M
  autoencoder all 800 fruit photos for 8 epochs (400 x 6 left it at +3.9 dB over
  gray), the small one 320 for 6; the paper's animal experiments 160
  images for 5 epochs each, equal across the compared ones; Zhang's classification 200
  images, the GAN 160 for 3 epochs; the 32M network 64 images for 2 epochs, enough to
  time it). Snapshots at
  epochs 1, 2, 3, 5 and the last, so "after few epochs" claims are read off them;
- ``smoke``: the smallest run that executes every cell (CI's nbval).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from colorization import evaluate as evaluation
from colorization import paths, registry, report
from colorization.run_state import RunBusyError, wait_for_run_dir
from colorization.runs import Run, RunConfig
from colorization.train import train

PROFILES = ("paper", "quick", "smoke")


@dataclass(frozen=True)
class Experiment:
    """One experiment. ``epochs``: ``(paper, quick)`` epoch counts (smoke: always 2);
    ``settings``: RunConfig fields beyond the defaults (learning rate, loss_delta, ...);
    ``quick_images``: training images in the quick profile when the network is too heavy
    for :data:`SCALE`'s default."""

    paper: str
    notebook: str
    model: str
    data: str
    epochs: tuple[int, int]
    loss: str = ""  # "" = the model's own objective (registry.default_loss)
    settings: dict = field(default_factory=dict)
    quick_images: int | None = None


_E = Experiment
# The ~1M fruit CNN and its variants: Adam at 3e-3 (cosine decay), which colours the real
# fruit photos well within a few epochs; the paper gives no learning rate.
_FRUIT_CNN = {"learning_rate": 3e-3}
# paper epochs: the paper's counts where it gives them (animals ~150, the small autoencoder
# 600), else enough to show its figure. Experiments the paper compares train for the same
# epochs on the same images in every profile (:data:`COMPARED`).
EXPERIMENTS: dict[str, Experiment] = {
    "zhang-full-fruits": _E("Sec. 5.1 (Zhang's full network)", "02-zhang-full-fruits",
                            "zhang_full", "fruits", (10, 2), "mse", quick_images=64),
    "cnn-fruits-mse": _E("Sec. 5.1, Fig. 1-2", "03-cnn-fruits", "zhang_fruits", "fruits",
                         (30, 5), "mse", _FRUIT_CNN),
    "cnn-fruits-mse-flip": _E("Sec. 3.1 (data augmentation on fruits)", "03-cnn-fruits",
                              "zhang_fruits", "fruits", (30, 5), "mse",
                              {**_FRUIT_CNN, "flip": True}),
    "cnn-fruits-smoothl1": _E("Sec. 5.1, Fig. 3", "04-cnn-fruits-losses", "zhang_fruits",
                              "fruits", (30, 5), "smooth_l1", _FRUIT_CNN),
    "cnn-fruits-smoothl1-ab10": _E("Sec. 5.1, Fig. 3 (threshold 10 ab units)",
                                   "04-cnn-fruits-losses", "zhang_fruits", "fruits", (30, 5),
                                   "smooth_l1_ab", {**_FRUIT_CNN, "loss_delta": 10.0}),
    "cnn-small-animals-mse": _E("Sec. 5.1, animals (the ~1M CNN)", "05-cnn-animals",
                                "zhang_fruits", "animals", (150, 5), "mse", quick_images=160),
    "cnn-animals-mse": _E("Sec. 5.1, animals (the ~3.5M CNN); Fig. 9", "05-cnn-animals",
                          "zhang_animals", "animals", (150, 5), "mse", quick_images=160),
    "ae-small-fruits-mse": _E("Sec. 5.2, Fig. 5", "06-autoencoder-fruits", "autoencoder_small",
                              "fruits", (600, 6), "mse", quick_images=320),
    "ae-fruits-mse": _E("Sec. 5.2, Fig. 6-7", "06-autoencoder-fruits", "autoencoder", "fruits",
                        (30, 8), "mse"),
    "ae-animals-mse": _E("Sec. 5.2, Fig. 8; Fig. 10", "07-autoencoder-animals-losses",
                         "autoencoder", "animals", (150, 5), "mse", quick_images=160),
    "ae-animals-smoothl1": _E("Sec. 5.2, Fig. 8", "07-autoencoder-animals-losses",
                              "autoencoder", "animals", (150, 5), "smooth_l1", quick_images=160),
    # Beyond the paper: Zhang's rebalanced classification, and the GAN at pix2pix's rate.
    "zhang-class-fruits": _E("beyond the paper (Zhang et al. 2016)", "10-zhang-classification",
                             "zhang_classification", "fruits", (30, 4), quick_images=200),
    "zhang-class-animals": _E("beyond the paper (Zhang et al. 2016)", "10-zhang-classification",
                              "zhang_classification", "animals", (150, 4), quick_images=200),
    "gan-fruits": _E("beyond the paper (Nazeri et al. 2018)", "11-gan", "gan", "fruits",
                     (30, 3), settings={"learning_rate": 2e-4}, quick_images=160),
    "gan-animals": _E("beyond the paper (Nazeri et al. 2018)", "11-gan", "gan", "animals",
                      (150, 3), settings={"learning_rate": 2e-4}, quick_images=160),
}
# Groups the paper compares: same epochs and training images in every profile (tested):
# the losses and flips on fruits (Fig. 3); on animals the ~1M vs ~3.5M CNN, the two losses
# of the autoencoder (Fig. 8) and CNN vs autoencoder (Fig. 9-10).
COMPARED = (
    ("cnn-fruits-mse", "cnn-fruits-mse-flip", "cnn-fruits-smoothl1", "cnn-fruits-smoothl1-ab10"),
    ("cnn-small-animals-mse", "cnn-animals-mse", "ae-animals-mse", "ae-animals-smoothl1"),
)
SMOKE_EPOCHS = 2

# Scale of each profile: training images (None: all), image size, batch size, evaluation
# images, snapshot epochs.
SCALE = {
    "paper": {"max_images": None, "image_size": 100, "batch_size": 64, "eval_images": None,
              "snapshot_epochs": [1, 2, 3, 5, 10, 20, 30, 50, 60, 100, 150, 300, 600]},
    "quick": {"max_images": 800, "image_size": 64, "batch_size": 32, "eval_images": 200,
              "snapshot_epochs": [1, 2, 3, 5]},
    "smoke": {"max_images": 48, "image_size": 32, "batch_size": 16, "eval_images": 16,
              "snapshot_epochs": [1, 2]},
}


def epochs(name: str, profile: str) -> int:
    """Epochs of experiment ``name`` at ``profile``."""
    if profile == "smoke":
        return SMOKE_EPOCHS
    return EXPERIMENTS[name].epochs[PROFILES.index(profile)]


def profile_from_env(profile: str | None = None) -> str:
    """``profile`` if given, else ``$COLORIZATION_PROFILE``, else ``quick``."""
    chosen = profile or os.environ.get("COLORIZATION_PROFILE") or "quick"
    if chosen not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {chosen!r}")
    return chosen


def config(name: str, profile: str) -> RunConfig:
    """The :class:`RunConfig` of experiment ``name`` at ``profile``'s scale."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {sorted(EXPERIMENTS)}")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    exp, scale = EXPERIMENTS[name], SCALE[profile]
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
        deterministic=profile == "smoke",
        seed=0,
    )


def run_dir(name: str, profile: str):
    return paths.runs_dir() / profile / name


ALLOW_EMBEDDED_ENV = "COLORIZATION_ALLOW_EMBEDDED"


class MissingPaperDataError(RuntimeError):
    """The ``paper`` profile was asked for without the Kaggle datasets."""


def check_paper_data(profile: str, datasets=("fruits", "animals")) -> None:
    """Stop a ``paper``-profile run before it trains when a Kaggle dataset it needs is not
    available (the embedded stand-ins would be trained for the paper's epoch counts).
    ``COLORIZATION_ALLOW_EMBEDDED=1`` (``make reproduce ... --allow-embedded-data``) allows it."""
    if profile != "paper" or os.environ.get(ALLOW_EMBEDDED_ENV, "") == "1":
        return
    from colorization import data

    missing = [d for d in dict.fromkeys(datasets) if d in data.KAGGLE_IDS
               and data.resolve(d) != d]
    if not missing:
        return
    named = ", ".join(f"{d} (Kaggle {data.KAGGLE_IDS[d]}; here it would be "
                      f"{data.resolve(d)})" for d in missing)
    raise MissingPaperDataError(
        f"the paper profile needs the Kaggle datasets, and these are missing: {named}. "
        "Get them with `make data` once a Kaggle API token is in place (kaggle.com -> "
        "Settings -> API -> Create New Token, saved as ~/.kaggle/kaggle.json with chmod 600, "
        "or KAGGLE_USERNAME and KAGGLE_KEY set). To run the paper's scale on the embedded "
        f"data anyway, set {ALLOW_EMBEDDED_ENV}=1 (or pass --allow-embedded-data to "
        "`python -m colorization.reproduce`).")


def run(name: str, profile: str, *, force: bool = False, verbose="auto",
        wait: bool = True) -> Run:
    """Train experiment ``name`` (or reuse its finished run) and return the :class:`Run`.
    The ``paper`` profile refuses to start without the Kaggle data (:func:`check_paper_data`).

    Several notebooks share some runs (08, 09 and 12 use the runs of the others). When another
    process is training this one (two notebooks open at once, or run in parallel), ``run``
    says so and waits for it, then uses the run it finished (``wait=False``: raise
    :class:`~colorization.run_state.RunBusyError` at once, as ``colorization train`` does).
    """
    if not Run(run_dir(name, profile)).finished:
        check_paper_data(profile, [config(name, profile).data])
    while True:
        try:
            return train(config(name, profile), run_dir(name, profile), force=force,
                         verbose=verbose)
        except RunBusyError as err:
            if not wait:
                raise
            print(f"waiting: {err.in_use}; this run is used once it is finished", flush=True)
            wait_for_run_dir(err.run_dir)


def evaluate(name: str, profile: str, data: str | None = None) -> dict:
    """Test-set metrics of a finished experiment (cached in its run directory)."""
    return evaluation.evaluate_run(run_dir(name, profile), data,
                        max_images=SCALE[profile]["eval_images"])


def describe(name: str, profile: str) -> str:
    """One line: what the experiment trains, on what, for how long (every setting:
    :func:`show`)."""
    cfg = config(name, profile)
    return (f"{name}: {cfg.model} on {cfg.data} with {cfg.loss}, "
            f"{cfg.epochs} epochs, {cfg.image_size}x{cfg.image_size}, "
            f"batch {cfg.batch_size}, "
            f"{'all' if cfg.max_images is None else cfg.max_images} training images")


def show(name: str) -> str:
    """Experiment ``name`` in full: its record, then every config field of each profile."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {sorted(EXPERIMENTS)}")
    exp = EXPERIMENTS[name]
    lines = [f"{name}", f"  paper:     {exp.paper}", f"  notebook:  notebooks/{exp.notebook}.py",
             f"  model:     {exp.model} ({registry.spec(exp.model).about})"]
    configs = {p: config(name, p).to_dict() for p in PROFILES}
    lines.append(f"  {'field':18s}" + "".join(f"{p:>14s}" for p in PROFILES))
    for key in configs["paper"]:
        values = [configs[p][key] for p in PROFILES]
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


def record(name: str, profile: str, metrics: dict) -> None:
    """Add experiment ``name``'s metrics to ``reports/results.json``, with the dataset the
    run actually used (``synthetic-fruits`` when ``fruits`` fell back to the default)."""
    cfg = config(name, profile)
    used = Run(run_dir(name, profile)).status.get("dataset", cfg.data)
    report.record(name, metrics, model=cfg.model, data=used, loss=cfg.loss, epochs=cfg.epochs,
                  profile=profile)


def report_metrics(experiments_by_label: dict[str, str], profile: str) -> dict[str, dict]:
    """Evaluate experiments (``{label: experiment name}``), print their metrics table and a
    one-line verdict each, and record them in ``reports/results.json``. Returns
    ``{label: metrics}``. The shared closing cell of the experiment notebooks."""
    metrics = {label: evaluate(name, profile) for label, name in experiments_by_label.items()}
    print(report.format_table(metrics))
    width = max(len(label) for label in metrics)
    for label, name in experiments_by_label.items():
        print(f"{label:{width}s}  {report.verdict(metrics[label])}")
        record(name, profile, metrics[label])
    return metrics


KIND_DATASETS = {"fruits": ("fruits", "fruits360-sample", "synthetic-fruits"),
                 "animals": ("animals", "synthetic-animals")}


def best_run(kind: str = "fruits", root=None):
    """The finished run best suited to colourise ``kind`` images ("fruits" or "animals"),
    and one line saying why it was chosen; ``None`` when there is none under ``root``
    (default ``runs/``).

    Candidates are finished runs trained on that kind of data (Kaggle, the embedded
    sample or the generated stand-in). Ranked by the ab error over the gray baseline's in
    their stored test metrics (lower is better); runs never evaluated come after, larger
    profiles (paper, quick, smoke) and longer training first.
    """
    import json
    from pathlib import Path

    if kind not in KIND_DATASETS:
        raise ValueError(f"kind must be one of {sorted(KIND_DATASETS)}, got {kind!r}")
    root = Path(root) if root is not None else paths.runs_dir()
    ranked = []
    for status in sorted(root.glob("**/status.json")):
        run = Run(status.parent)
        try:
            if not run.finished:
                continue
            cfg = run.config
            used = run.status.get("dataset", cfg.data)
        except (OSError, ValueError, TypeError):
            continue  # a damaged run folder is not a candidate
        if cfg.data not in KIND_DATASETS[kind] and used not in KIND_DATASETS[kind]:
            continue
        scores = []
        for path in (run.dir / "metrics").glob("*.json"):
            try:
                m = json.loads(path.read_text())
                if m.get("split") == "test" and m.get("ab_mae_gray"):
                    scores.append(m["ab_mae"] / m["ab_mae_gray"])
            except (OSError, ValueError, TypeError, KeyError):
                continue
        profile = run.dir.parent.name
        size = PROFILES.index(profile) if profile in PROFILES else len(PROFILES)
        score = min(scores) if scores else float("inf")
        ranked.append((score, size, -cfg.epochs, str(run.dir), run, cfg, used))
    if not ranked:
        return None
    score, _, _, _, run, cfg, used = min(ranked, key=lambda r: r[:4])
    measured = (f"ab error {score:.2f}x the gray baseline's on its test set"
                if score != float("inf") else "not evaluated yet")
    why = (f"{run.dir}: {cfg.model} trained {cfg.epochs} epochs on {used} ({measured}; "
           f"best of {len(ranked)} finished {kind} run{'s' * (len(ranked) > 1)})")
    return run.dir, why


def no_run_message(kind: str = "fruits") -> str:
    """What to do when :func:`best_run` finds nothing."""
    model = "zhang_fruits" if kind == "fruits" else "zhang_animals"
    return (f"no finished {kind} run under {paths.runs_dir()}. Make one with `make reproduce` "
            "(every experiment; about half an hour on a CPU) or train just one, e.g. "
            f"`colorization train --model {model} --data {kind} --epochs 8 --image-size 64 "
            f"--out runs/my-{kind}`, or pass --run / --model")
