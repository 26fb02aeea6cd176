"""What ``make reproduce`` will train and how long it should take on this machine.

:func:`make_plan` lists per notebook the runs it trains first; :func:`time_networks` times a
few training steps of each network to train (cached per machine in
``reports/step-times.json``); :func:`estimate` turns both into seconds: the optimizer steps,
per epoch a commit of the weights and the snapshots, the evaluation, and a start-up per
notebook and per run. Other processes on the machine, the figures and the claims move it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from colorization.core import fileio, metrics, paths
from colorization.data import pipeline
from colorization.nets import registry, tf_cpu
from colorization.runs import accelerate, device_data
from colorization.runs.config import RunConfig
from colorization.runs.rundir import Run, read_backup
from colorization.runs.train import build_optimizer, make_optimizer
from colorization.study import experiments
from colorization.study.console import duration

#: a notebook's seconds outside its runs (kernel start, imports, figures), in imports of
#: TensorFlow on this machine (measured: 18 s with a 5 s import, 2-core CPU)
NOTEBOOK_IMPORTS = 3.5
#: a run's tracing and loading (training step, snapshots, evaluation, model load), in timed
#: first steps (measured on a 2-core CPU, smoke profile: 1.2 to 1.6)
RUN_FIRST_STEPS = 1.5
#: evaluation passes over the test images per run (the test set, the claims' snapshots)
EVAL_PASSES = 2
#: how long the timed steps of one network may take, after its first (tracing) step
TIMING_SECONDS = 1.0
#: on a CPU the timing uses at most this batch (the time per image hardly depends on it)
CPU_TIMING_BATCH = 8


@dataclass
class RunPlan:
    """One seed of one experiment a notebook trains (``done``: epochs already done)."""

    experiment: str
    seed: int
    model: str
    image_size: int
    batch_size: int
    images: int
    epochs: int
    steps_per_epoch: int
    test_images: int
    snapshots: int
    done: int = 0
    seconds: float = 0.0

    @property
    def optimizer_steps(self) -> int:
        return self.steps_per_epoch * (self.epochs - self.done)


@dataclass
class NotebookPlan:
    """A notebook to execute and the runs it trains first; ``skipped``: executed already."""

    name: str
    runs: list[RunPlan] = field(default_factory=list)
    skipped: bool = False
    seconds: float = 0.0


@dataclass
class Timing:
    """Seconds measured here per image (training step, prediction, metrics), for one commit
    of the weights and the first step's tracing; the batch timed; training FLOPs per image."""

    train_image: float
    predict_image: float
    metrics_image: float
    commit: float
    first_step: float
    batch: int
    flops_image: float = 0.0


def trainers(notebooks: list[Path]) -> dict[str, list[str]]:
    """``{experiment: [notebook names that train it, in order]}``: the notebooks whose code
    names it in quotes, or runs every experiment (``experiments.EXPERIMENTS``, ``run_all``)."""
    import nbformat

    out: dict[str, list[str]] = {name: [] for name in experiments.EXPERIMENTS}
    for nb in notebooks:
        code = "\n".join(c.source for c in nbformat.read(nb, as_version=4).cells
                         if c.cell_type == "code")
        every = "experiments.EXPERIMENTS" in code and "run_all" in code
        for name in out:
            if every or re.search(rf"[\"']{re.escape(name)}[\"']", code):
                out[name].append(nb.name)
    return out


def _epochs_done(folder: Path) -> int:
    try:
        states = read_backup(folder)
    except (OSError, ValueError):
        return 0
    return max((s.epoch for s in states), default=0)


def make_plan(profile: str, notebooks: list[Path], skipped: set[str]) -> list[NotebookPlan]:
    """The notebooks in order, each with the unfinished runs it trains first (given to the
    first notebook not ``skipped`` whose code trains them)."""
    plans = [NotebookPlan(nb.name, skipped=nb.name in skipped) for nb in notebooks]
    by_name = {p.name: p for p in plans}
    for name, names in trainers(notebooks).items():
        owner = next((by_name[n] for n in names if not by_name[n].skipped), None)
        if owner is None:
            continue
        cfg, scale = experiments.config(name, profile), experiments.scale(name, profile)
        snapshots = len(cfg.snapshot_schedule()) * cfg.snapshot_images * 3
        for seed in experiments.seeds(name, profile):
            folder = experiments.run_dir(name, profile, seed)
            if Run(folder).finished:
                continue
            owner.runs.append(RunPlan(
                name, seed, cfg.model, cfg.image_size, scale["batch_size"],
                scale["train_images"], cfg.epochs, scale["steps_per_epoch"],
                scale["test_images"], snapshots, done=_epochs_done(folder)))
    return plans


# ------------------------------------------------------------------ timing


def machine() -> str:
    """This machine for the timing cache: CPU, cores, GPUs, Keras backend, TensorFlow."""
    from colorization.study import report

    gpus = ",".join(report.gpu_names()) or "no GPU"
    tf = sys.modules.get("tensorflow")
    return (f"{report.cpu_name()} x{os.cpu_count()} | {gpus} | "
            f"{keras.backend.backend()} | tf {getattr(tf, '__version__', '-')} | "
            f"{platform.python_version()}")


def cache_path() -> Path:
    return paths.reports_dir() / "step-times.json"


def _read_cache() -> dict:
    try:
        found = json.loads(cache_path().read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


class _Clock(keras.callbacks.Callback):
    """Batch end times; stops the fit once ``budget`` seconds of steps after the first are
    timed (at least one step after the first)."""

    async_safe = True

    def __init__(self, budget: float):
        super().__init__()
        self.budget, self.ends = budget, []

    def on_train_begin(self, logs=None):
        self.begin = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())
        if len(self.ends) >= 2 and self.ends[-1] - self.ends[0] >= self.budget:
            self.model.stop_training = True


def time_network(model: str, image_size: int, batch_size: int,
                 budget: float = TIMING_SECONDS) -> Timing:
    """Time ``model`` here: training steps on random images (on a CPU a batch of at most
    :data:`CPU_TIMING_BATCH`) for about ``budget`` seconds after the first, their metrics and
    one save of the weights. A prediction counts as a third of a training step."""
    gpu = device_data.accelerator() is not None
    batch = batch_size if gpu else min(batch_size, CPU_TIMING_BATCH)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (batch * 4, image_size, image_size, 3), dtype=np.uint8)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(accelerate.resolve_precision("auto"))
    try:
        with tf_cpu.switched(True):
            start = time.perf_counter()
            net = registry.build_colorizer(model, image_size)
            cfg = RunConfig(model=model, epochs=1)
            net.configure(lambda: make_optimizer(cfg, 100), loss=registry.default_loss(model))
            build_optimizer(net)  # as a run does: the step is traced once
            tf_backend = keras.backend.backend() == "tensorflow"
            data = pipeline.from_arrays(images, batch, shuffle=False, drop_remainder=True,
                                        backend="tf" if tf_backend else "numpy")
            if tf_backend:
                data = data.repeat()
            clock = _Clock(budget)
            net.fit(data, epochs=1, steps_per_epoch=40 if tf_backend else 4, verbose=0,
                    shuffle=False, callbacks=[clock])
            steps = np.diff(clock.ends)
            step = float(np.median(steps)) if len(steps) else clock.ends[0] - clock.begin
            first = max(clock.ends[0] - start - step, 0.0)
            ab = rng.normal(0, 20, images.shape[:-1] + (2,)).astype(np.float32)
            t = time.perf_counter()
            metrics.evaluate_with_baseline(images, ab)
            measure = (time.perf_counter() - t) / len(images)
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                net.save_weights(str(Path(tmp) / "w.weights.h5"))
                commit = time.perf_counter() - t
    finally:
        keras.config.set_dtype_policy(previous)
    per_image = step / batch
    return Timing(per_image, per_image / 3, measure, commit, first, batch, train_flops(net))


def time_networks(wanted: list[tuple[str, int, int]], say=print) -> dict:
    """``{(model, image size, batch): Timing}`` of :func:`time_network`, read from
    ``reports/step-times.json`` where this machine timed it before."""
    cache = _read_cache()
    here = machine()
    stored = cache.get(here, {}) if isinstance(cache.get(here), dict) else {}
    out = {}
    for key in dict.fromkeys(wanted):
        text = f"{key[0]} {key[1]}px batch {key[2]}"
        if isinstance(stored.get(text), dict):
            with contextlib.suppress(TypeError):
                out[key] = Timing(**stored[text])
                continue
        started = time.perf_counter()
        out[key] = time_network(*key)
        say(f"  timed {text}: {1 / out[key].train_image:,.0f} images/s "
            f"({time.perf_counter() - started:.0f} s)")
        stored[text] = dataclasses.asdict(out[key])
    cache[here] = stored
    with contextlib.suppress(OSError):
        cache_path().parent.mkdir(parents=True, exist_ok=True)
        fileio.write_json(cache_path(), cache)
    return out


def run_seconds(run: RunPlan, t: Timing) -> float:
    """The estimated seconds of one run (see the module docstring)."""
    epochs = run.epochs - run.done
    train = run.optimizer_steps * run.batch_size * t.train_image
    per_epoch = epochs * t.commit
    snapshots = run.snapshots * epochs / max(run.epochs, 1) * t.predict_image
    evaluation = EVAL_PASSES * run.test_images * (t.predict_image + t.metrics_image)
    return RUN_FIRST_STEPS * t.first_step + train + per_epoch + snapshots + evaluation


def estimate(plans: list[NotebookPlan], timings: dict, import_seconds: float) -> float:
    """Fill in the seconds of every run and notebook to execute; returns the total (a
    notebook's start-up: :data:`NOTEBOOK_IMPORTS` x ``import_seconds``, at least 5 s)."""
    total = 0.0
    startup = max(NOTEBOOK_IMPORTS * import_seconds, 5.0)
    for nb in plans:
        if nb.skipped:
            continue
        for run in nb.runs:
            run.seconds = run_seconds(run, timings[(run.model, run.image_size, run.batch_size)])
        nb.seconds = startup + sum(r.seconds for r in nb.runs)
        total += nb.seconds
    return total


def cost(plans: list[NotebookPlan], timings: dict) -> tuple[float, float]:
    """``(training FLOPs, seconds of training steps)`` of every run to train."""
    flops = seconds = 0.0
    for run in (r for nb in plans if not nb.skipped for r in nb.runs):
        t = timings[(run.model, run.image_size, run.batch_size)]
        images = run.optimizer_steps * run.batch_size
        flops, seconds = flops + images * t.flops_image, seconds + images * t.train_image
    return flops, seconds


def summary(plans: list[NotebookPlan], profile: str, total: float) -> list[str]:
    """The plan as printed: per notebook its estimate and its runs (experiment: seeds x
    training images x epochs = optimizer steps), then the total and when it should end."""
    todo = [p for p in plans if not p.skipped]
    runs = sum(len(p.runs) for p in todo)
    width = max([len(p.name) - 6 for p in plans] + [8])
    lines = [f"plan: {len(todo)} notebook{'s' * (len(todo) != 1)} to execute, {runs} "
             f"run{'s' * (runs != 1)} to train (experiment: seeds x training images x "
             "epochs = optimizer steps)"]
    for p in plans:
        if p.skipped:
            lines.append(f"  {p.name[:-6]:{width}s}       done  (executed with profile "
                         f"{profile}; skipped)")
            continue
        groups: dict[str, list] = {}
        for r in p.runs:
            groups.setdefault(r.experiment, []).append(r)
        what = "; ".join(
            f"{name}: {len(rs)} x {rs[0].images:,} x {rs[0].epochs - rs[0].done} = "
            f"{sum(r.optimizer_steps for r in rs):,}" for name, rs in groups.items())
        lines.append(f"  {p.name[:-6]:{width}s} {duration(p.seconds):>10s}  "
                     f"{what or 'no training'}")
    finish = time.strftime("%a %H:%M" if total > 20 * 3600 else "%H:%M",
                           time.localtime(time.time() + total))
    return lines + [f"  {'in all':{width}s} {duration(total):>10s}  (estimate on this "
                    f"machine; ETA {finish})"]


def networks(plans: list[NotebookPlan]) -> list[tuple[str, int, int]]:
    """The ``(model, image size, batch)`` of every run to train, each once."""
    return list(dict.fromkeys((r.model, r.image_size, r.batch_size)
                              for nb in plans if not nb.skipped for r in nb.runs))


# ------------------------------------------------------------------ work and words


def train_flops(colorizer: keras.Model) -> float:
    """Training FLOPs of one image: 3 x 2 x the multiply-accumulates of one forward pass's
    convolutions and dense layers, over every network of a built colorizer."""
    macs, seen, todo = 0, set(), [colorizer]
    while todo:
        layer = todo.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        todo.extend(getattr(layer, "layers", None) or [])
        todo.extend(sub for sub in (getattr(layer, "network", None),
                                    getattr(layer, "discriminator", None))
                    if isinstance(sub, keras.layers.Layer))
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose,
                                  keras.layers.Dense)):
            continue
        try:
            out = int(np.prod(layer.output.shape[1:-1]))
        except (AttributeError, ValueError, TypeError):
            continue
        if isinstance(layer, keras.layers.Conv2DTranspose):
            out //= max(int(np.prod(layer.strides)), 1)  # each input position once
        macs += out * int(np.prod(layer.kernel.shape))
    return 6.0 * macs
