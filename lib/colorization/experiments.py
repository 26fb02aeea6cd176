"""The paper's experiments as named, serialisable configs, at three scales (profiles).

Notebooks ask for an experiment by name; :func:`run` trains it once into
``runs/<profile>/<name>/`` and every later notebook that needs it (the loss comparisons,
CNN vs autoencoder, the real-world photos, the results table) reuses that run directory.

Profiles:

- ``paper``: the paper's scale, for a GPU: full datasets at 100x100, its epoch counts
  (animals 150 epochs; the small autoencoder 600 epochs, long enough to show it fails);
- ``quick``: the embedded default on a CPU: the whole suite in about half an hour on 2 cores,
  fewer images and epochs, still showing real learning;
- ``smoke``: the smallest run that executes every cell (CI's nbval).
"""

from __future__ import annotations

import dataclasses
import os

from colorization import paths
from colorization.train import Run, RunConfig, train

PROFILES = ("paper", "quick", "smoke")

# name -> (what the paper did, the config fields that define the experiment)
EXPERIMENTS: dict[str, dict] = {
    "zhang-full-fruits": {"model": "zhang_full", "data": "fruits", "loss": "mse"},
    "cnn-fruits-mse": {"model": "zhang_fruits", "data": "fruits", "loss": "mse"},
    "cnn-fruits-smoothl1": {"model": "zhang_fruits", "data": "fruits", "loss": "smooth_l1"},
    "cnn-fruits-smoothl1-ab10": {"model": "zhang_fruits", "data": "fruits",
                                 "loss": "smooth_l1_ab", "loss_delta": 10.0},
    "cnn-small-animals-mse": {"model": "zhang_fruits", "data": "animals", "loss": "mse"},
    "cnn-animals-mse": {"model": "zhang_animals", "data": "animals", "loss": "mse"},
    "ae-small-fruits-mse": {"model": "autoencoder_small", "data": "fruits", "loss": "mse"},
    "ae-fruits-mse": {"model": "autoencoder", "data": "fruits", "loss": "mse"},
    "ae-animals-mse": {"model": "autoencoder", "data": "animals", "loss": "mse"},
    "ae-animals-smoothl1": {"model": "autoencoder", "data": "animals", "loss": "smooth_l1"},
    # Beyond the paper. These models own their objective (``loss`` only names it): Zhang's
    # rebalanced classification, and the GAN at pix2pix's learning rate.
    "zhang-class-fruits": {"model": "zhang_classification", "data": "fruits",
                           "loss": "rebalanced_ce"},
    "zhang-class-animals": {"model": "zhang_classification", "data": "animals",
                            "loss": "rebalanced_ce"},
    "gan-fruits": {"model": "gan", "data": "fruits", "loss": "adversarial_l1",
                   "learning_rate": 2e-4},
    "gan-animals": {"model": "gan", "data": "animals", "loss": "adversarial_l1",
                    "learning_rate": 2e-4},
}

# Epochs per experiment and profile. paper: the paper's counts where it gives them
# (animals ~150, the small autoencoder 600), else enough to show its figure.
EPOCHS = {
    "paper": {"zhang-full-fruits": 10, "cnn-fruits-mse": 30, "cnn-fruits-smoothl1": 30,
              "cnn-fruits-smoothl1-ab10": 30, "cnn-small-animals-mse": 60,
              "cnn-animals-mse": 150, "ae-small-fruits-mse": 600, "ae-fruits-mse": 30,
              "ae-animals-mse": 150, "ae-animals-smoothl1": 150,
              "zhang-class-fruits": 30, "zhang-class-animals": 150, "gan-fruits": 30,
              "gan-animals": 150},
    "quick": {"zhang-full-fruits": 2, "cnn-fruits-mse": 8, "cnn-fruits-smoothl1": 8,
              "cnn-fruits-smoothl1-ab10": 8, "cnn-small-animals-mse": 6,
              "cnn-animals-mse": 6, "ae-small-fruits-mse": 8, "ae-fruits-mse": 8,
              "ae-animals-mse": 6, "ae-animals-smoothl1": 6,
              "zhang-class-fruits": 6, "zhang-class-animals": 4, "gan-fruits": 4,
              "gan-animals": 3},
    "smoke": dict.fromkeys(EXPERIMENTS, 2),
}

# Scale of each profile: training images (None: all), image size, batch size, evaluation
# images, snapshot epochs.
SCALE = {
    "paper": {"max_images": None, "image_size": 100, "batch_size": 64, "eval_images": None,
              "snapshot_epochs": [1, 2, 3, 5, 10, 20, 30, 50, 60, 100, 150, 300, 600]},
    "quick": {"max_images": 640, "image_size": 64, "batch_size": 32, "eval_images": 200,
              "snapshot_epochs": [1, 2, 4, 8]},
    "smoke": {"max_images": 48, "image_size": 32, "batch_size": 16, "eval_images": 16,
              "snapshot_epochs": [1, 2]},
}

# Experiments that need the heavy networks get fewer images in the quick profile.
QUICK_MAX_IMAGES = {"zhang-full-fruits": 128, "gan-fruits": 400, "gan-animals": 400}


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
    scale = SCALE[profile]
    max_images = scale["max_images"]
    if profile == "quick":
        max_images = QUICK_MAX_IMAGES.get(name, max_images)
    return RunConfig(
        **EXPERIMENTS[name],
        epochs=EPOCHS[profile][name],
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


def run(name: str, profile: str, *, force: bool = False, verbose="auto") -> Run:
    """Train experiment ``name`` (or reuse its finished run) and return the :class:`Run`."""
    return train(config(name, profile), run_dir(name, profile), force=force, verbose=verbose)


def evaluate(name: str, profile: str, data: str | None = None) -> dict:
    """Test-set metrics of a finished experiment (cached in its run directory)."""
    from colorization.evaluate import evaluate_run

    return evaluate_run(run_dir(name, profile), data,
                        max_images=SCALE[profile]["eval_images"])


def describe(name: str, profile: str) -> str:
    """One line: what the experiment trains, on what, for how long."""
    cfg = config(name, profile)
    fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    return (f"{name}: {fields['model']} on {fields['data']} with {fields['loss']}, "
            f"{fields['epochs']} epochs, {fields['image_size']}x{fields['image_size']}, "
            f"batch {fields['batch_size']}, "
            f"{'all' if fields['max_images'] is None else fields['max_images']} training images")


def record(name: str, profile: str, metrics: dict) -> None:
    """Add experiment ``name``'s metrics to ``reports/results.json``, with the dataset the
    run actually used (``synthetic-fruits`` when ``fruits`` fell back to the default)."""
    from colorization import report

    cfg = config(name, profile)
    used = Run(run_dir(name, profile)).status.get("dataset", cfg.data)
    report.record(name, metrics, model=cfg.model, data=used, loss=cfg.loss, epochs=cfg.epochs,
                  profile=profile)


def report_metrics(experiments_by_label: dict[str, str], profile: str) -> dict[str, dict]:
    """Evaluate experiments (``{label: experiment name}``), print their metrics table and a
    one-line verdict each, and record them in ``reports/results.json``. Returns
    ``{label: metrics}``. The shared closing cell of the experiment notebooks."""
    from colorization import report

    metrics = {label: evaluate(name, profile) for label, name in experiments_by_label.items()}
    print(report.format_table(metrics))
    width = max(len(label) for label in metrics)
    for label, name in experiments_by_label.items():
        print(f"{label:{width}s}  {report.verdict(metrics[label])}")
        record(name, profile, metrics[label])
    return metrics
