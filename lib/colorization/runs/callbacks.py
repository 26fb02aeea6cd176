"""Keras callbacks of a training run, and the faults that stop one.

Each callback gets its inputs and output folder as arguments (no module globals):
:class:`EpochSnapshots` (predicted ab of fixed images at chosen epochs), :class:`EpochTiming`
(seconds and images/s in each epoch's logs), :class:`EpochCommit` (the backup and
history.csv: one commit point per epoch) and :class:`StopOnNaN` (a clear message when the
loss diverges). Their order in the callback list matters: StopOnNaN, EpochTiming,
EpochSnapshots, EpochCommit.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import keras
import numpy as np

from colorization.core import fileio
from colorization.runs.rundir import save_npz, write_history


class EpochSnapshots(keras.callbacks.Callback):
    """Predicts a fixed set of images at chosen epochs and stores their ab compactly.

    Args:
        images: ``{set_name: uint8 (n, H, W, 3)}`` (e.g. train, test, never-seen photos).
        epochs: 1-based epochs at which to take a snapshot.
        out_dir: folder receiving ``epoch_NNN.npz`` (ab rounded to int8 ab units: 20 KB an
            image at 100x100, exact to half an ab unit, far below what an eye sees).
    """

    def __init__(self, images: dict, epochs, out_dir):
        super().__init__()
        self.images = images
        self.epochs = set(int(e) for e in epochs)
        self.out_dir = Path(out_dir)

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done not in self.epochs:
            return
        arrays = {}
        for name, rgb in self.images.items():
            ab = self.model.predict(rgb)
            if not np.isfinite(ab).all():
                return  # a diverged model (StopOnNaN reports it); nothing worth drawing
            arrays[name] = np.clip(np.round(ab), -128, 127).astype(np.int8)
        save_npz(self.out_dir / f"epoch_{done:03d}.npz", **arrays)


class EpochTiming(keras.callbacks.Callback):
    """Adds ``seconds`` and ``images_per_second`` to each epoch's logs (before CSVLogger)."""

    def __init__(self, n_images: int):
        super().__init__()
        self.n_images = n_images

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        if logs is not None:
            logs["seconds"] = seconds
            logs["images_per_second"] = self.n_images / seconds if seconds > 0 else float("nan")


class EpochCommit(keras.callbacks.Callback):
    """The backup of a run, with one commit point per epoch.

    At the end of each epoch (after the snapshot of :class:`EpochSnapshots`, which comes
    before it in the callback list): the weights (model and optimizer) go to
    ``backup/epoch_NNN.weights.h5``, then ``backup/state.json`` is replaced (the commit: this
    epoch, its weights, the previous epoch's, and every history row), then ``history.csv`` is
    rewritten from it, then weights older than the previous epoch's are removed. Every write
    is atomic, so a kill at any instant leaves either the old commit or the new one; a resumed
    run redoes what came after the last commit (:func:`colorization.runs.rundir.read_backup`).

    Args:
        run_dir: the run directory.
        history: the committed history rows of earlier sessions (``epoch`` 0-based).
        previous: ``{"epoch": n, "weights": name}`` of the last committed epoch, or ``None``.
    """

    def __init__(self, run_dir, history: list[dict], previous: dict | None = None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.backup = self.run_dir / "backup"
        self.history = list(history)
        self.last = previous

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        row = {"epoch": epoch}
        for key, value in sorted((logs or {}).items()):
            try:
                row[key] = float(value)
            except (TypeError, ValueError):
                continue
        loss = row.get("loss")
        if loss is not None and not math.isfinite(loss):
            return  # never commit a diverged epoch (StopOnNaN, before this, stops training)
        self.backup.mkdir(exist_ok=True)
        name = f"epoch_{done:03d}.weights.h5"
        with fileio.atomic_path(self.backup / name, suffix=".weights.h5") as tmp:
            self.model.save_weights(str(tmp))
        history = [r for r in self.history if int(r["epoch"]) < epoch] + [row]
        fileio.write_json(self.backup / "state.json", {
            "format": 1, "epoch": done, "weights": name, "previous": self.last,
            "history": history,
        })
        write_history(self.run_dir, history)
        keep = {name, (self.last or {}).get("weights")}
        for old in self.backup.glob("epoch_*.weights.h5"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
        self.history, self.last = history, {"epoch": done, "weights": name}


class TrainingStopped(RuntimeError):
    """Training stopped on a fault; the message says what happened and what to change."""


class NonFiniteLossError(TrainingStopped, FloatingPointError):
    """The training loss became NaN or infinite."""


class OutOfMemoryError(TrainingStopped, MemoryError):
    """The accelerator (or the host) ran out of memory during training."""


class DiskFullError(TrainingStopped):
    """The disk (or the quota) was full while a run was being saved."""


class StopOnNaN(keras.callbacks.Callback):
    """Stops at the end of the first epoch whose mean loss is not finite, with a message
    saying what to try.

    Checked once an epoch, not every batch: a batch-level hook makes Keras fetch the loss
    from the accelerator after every step, which stalls a GPU. It must come before
    ``EpochCommit`` in the callback list, so that diverged weights never replace the
    last good backup.

    Args:
        learning_rate, precision: the run's settings, named in the message.
    """

    def __init__(self, learning_rate: float | None = None, precision: str | None = None):
        super().__init__()
        self.learning_rate = learning_rate
        self.precision = precision

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.model.stop_training = True
            rate = "" if self.learning_rate is None else f" (now {self.learning_rate:g})"
            mixed = self.precision not in (None, "float32")
            raise NonFiniteLossError(
                f"training stopped: the loss became {float(loss)} in epoch {epoch + 1}. "
                f"Lower the learning rate (--learning-rate){rate}"
                + (", or use --precision float32 instead of " + self.precision if mixed else "")
                + ". A new learning rate is a new experiment: train into another run directory "
                "(or add --force to replace this one). This run is not marked finished; its "
                "backup holds the last epoch before the loss diverged."
            )


def is_out_of_memory(err: BaseException) -> bool:
    """True for the out-of-memory errors of TensorFlow, JAX/XLA, torch, and the host."""
    if isinstance(err, MemoryError):
        return True
    tf = sys.modules.get("tensorflow")
    errors = getattr(tf, "errors", None)
    if errors is not None and isinstance(err, errors.ResourceExhaustedError):
        return True
    torch = sys.modules.get("torch")
    torch_oom = getattr(torch, "OutOfMemoryError", None) if torch is not None else None
    if isinstance(torch_oom, type) and isinstance(err, torch_oom):
        return True
    text = str(err)
    if type(err).__name__ in ("XlaRuntimeError", "JaxRuntimeError"):
        return "RESOURCE_EXHAUSTED" in text or "out of memory" in text.lower()
    return isinstance(err, RuntimeError) and "CUDA out of memory" in text


def out_of_memory_message(model: str, image_size: int, batch_size: int, replicas: int) -> str:
    """What to change after running out of memory (the message of :class:`OutOfMemoryError`)."""
    half = max(1, batch_size // 2)
    per = f" per replica ({replicas} replicas)" if replicas > 1 else ""
    return (
        f"out of memory while training {model!r} at {image_size}x"
        f"{image_size} with batch size {batch_size}{per}: lower the batch size, "
        f"e.g. --batch-size {half} (RunConfig(batch_size={half})), or the image size. A new "
        "batch size is a new experiment: train into another run directory (or add --force to "
        "replace this one). Epochs completed before are kept in the run's backup/ folder."
    )
