"""Keras callbacks of a training run, and the faults that stop one.

Their order in the callback list matters: :class:`StopOnNaN`, :class:`EpochTiming`,
:class:`EpochSnapshots`, :class:`EpochCommit` (so a diverged epoch is never committed, and
an epoch's snapshot is written before its commit).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import keras
import numpy as np

from colorization.core import fileio
from colorization.runs.rundir import save_npz, write_history


class EpochSnapshots(keras.callbacks.Callback):
    """At the 1-based ``epochs``, predicts ``images`` (``{set: uint8 (n, H, W, 3)}``) and
    writes ``out_dir/epoch_NNN.npz``: their ab rounded to int8 ab units."""

    def __init__(self, images: dict, epochs, out_dir):
        super().__init__()
        self.images = images
        self.epochs = {int(e) for e in epochs}
        self.out_dir = Path(out_dir)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 not in self.epochs:
            return
        arrays = {}
        for name, rgb in self.images.items():
            ab = self.model.predict(rgb)
            if not np.isfinite(ab).all():
                return  # a diverged model (StopOnNaN reports it); nothing worth drawing
            arrays[name] = np.clip(np.round(ab), -128, 127).astype(np.int8)
        save_npz(self.out_dir / f"epoch_{epoch + 1:03d}.npz", **arrays)


class EpochTiming(keras.callbacks.Callback):
    """Adds ``seconds`` and ``images_per_second`` to each epoch's logs."""

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


class ProgressEvents(keras.callbacks.Callback):
    """Appends a run's ``start``, its ``progress`` at most every ``interval`` seconds, and its
    ``end`` to the file ``path`` as JSON lines (what ``make reproduce`` prints); a failed
    write is dropped."""

    async_safe = True  # it reads no logs: batch ends need not wait for the step

    def __init__(self, path, label: str, images: int, steps: int, epochs: int,
                 interval: float = 30.0):
        super().__init__()
        self.path = Path(path)
        self.label = label
        self.images, self.steps, self.epochs = int(images), max(int(steps), 1), int(epochs)
        self.interval = float(interval)

    def _emit(self, event: str, **fields) -> None:
        line = json.dumps({"event": event, "run": self.label, "time": time.time(), **fields})
        try:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError:
            pass

    def _rate(self, now: float) -> float:  # images a second in the epoch so far
        return self._epoch_steps * self.images / self.steps / max(now - self._epoch_start, 1e-9)

    def on_train_begin(self, logs=None):
        self._start = self._last = time.perf_counter()
        self._first_epoch = self._epoch = None
        self._done = 0  # steps since this fit began (a resumed run counts from its resume)
        self._last_rate = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
            self._emit("start", epoch=epoch, epochs=self.epochs, steps=self.steps,
                       images=self.images)
        self._epoch, self._epoch_start, self._epoch_steps = epoch, time.perf_counter(), 0

    def on_epoch_end(self, epoch, logs=None):
        self._last_rate = self._rate(time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        self._done += 1
        self._epoch_steps += 1
        now = time.perf_counter()
        if now - self._last < self.interval:
            return
        self._last = now
        left = (self.epochs - self._epoch) * self.steps - self._epoch_steps
        self._emit("progress", epoch=self._epoch + 1, epochs=self.epochs,
                   step=self._epoch_steps, steps=self.steps, images_per_second=self._rate(now),
                   eta_seconds=left * (now - self._start) / self._done)

    def on_train_end(self, logs=None):
        if self._first_epoch is not None:  # else nothing was left to train
            self._emit("end", epochs=(self._epoch or 0) + 1 - self._first_epoch,
                       seconds=time.perf_counter() - self._start,
                       images_per_second=self._last_rate)


class EpochCommit(keras.callbacks.Callback):
    """The backup of a run: at each epoch's end the weights go to
    ``backup/epoch_NNN.weights.h5``, then ``backup/state.json`` commits the epoch (its
    weights, the previous epoch's, every history row), then ``history.csv`` is rewritten from
    it. ``history`` and ``previous`` (``{"epoch", "weights"}``) are those resumed from."""

    def __init__(self, run_dir, history: list[dict], previous: dict | None = None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.backup = self.run_dir / "backup"
        self.history = list(history)
        self.last = previous

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch}
        for key, value in sorted((logs or {}).items()):
            try:
                row[key] = float(value)
            except (TypeError, ValueError):
                continue
        if not math.isfinite(row.get("loss", 0.0)):
            return  # never commit a diverged epoch (StopOnNaN, before this, stops training)
        self.backup.mkdir(exist_ok=True)
        name = f"epoch_{epoch + 1:03d}.weights.h5"
        with fileio.atomic_path(self.backup / name, suffix=".weights.h5") as tmp:
            self.model.save_weights(str(tmp))
        history = [r for r in self.history if int(r["epoch"]) < epoch] + [row]
        fileio.write_json(self.backup / "state.json", {
            "format": 1, "epoch": epoch + 1, "weights": name, "previous": self.last,
            "history": history,
        })
        write_history(self.run_dir, history)
        keep = {name, (self.last or {}).get("weights")}
        for old in self.backup.glob("epoch_*.weights.h5"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
        self.history, self.last = history, {"epoch": epoch + 1, "weights": name}


class TrainingStopped(RuntimeError):
    """Training stopped on a fault; the message says what happened and what to change."""


class NonFiniteLossError(TrainingStopped, FloatingPointError):
    """The training loss became NaN or infinite."""


class OutOfMemoryError(TrainingStopped, MemoryError):
    """The accelerator (or the host) ran out of memory during training."""


class DiskFullError(TrainingStopped):
    """The disk (or the quota) was full while a run was being saved."""


class StopOnNaN(keras.callbacks.Callback):
    """Stops after the first epoch whose mean loss is not finite, saying what to try (once an
    epoch: a check every batch would fetch the loss from the accelerator every step)."""

    def __init__(self, learning_rate: float | None = None, precision: str | None = None):
        super().__init__()
        self.learning_rate = learning_rate
        self.precision = precision

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(float(loss)):
            return
        self.model.stop_training = True
        rate = "" if self.learning_rate is None else f" (now {self.learning_rate:g})"
        mixed = self.precision not in (None, "float32")
        raise NonFiniteLossError(
            f"training stopped: the loss became {float(loss)} in epoch {epoch + 1}. "
            f"Lower the learning rate (--learning-rate){rate}"
            + (", or use --precision float32 instead of " + self.precision if mixed else "")
            + ". A new learning rate is a new experiment: train into another run directory "
            "(or add --force to replace this one). This run is not marked finished; its "
            "backup holds the last epoch before the loss diverged.")


def is_out_of_memory(err: BaseException) -> bool:
    """True for the out-of-memory errors of TensorFlow, JAX/XLA, torch, and the host."""
    if isinstance(err, MemoryError):
        return True
    errors = getattr(sys.modules.get("tensorflow"), "errors", None)
    if errors is not None and isinstance(err, errors.ResourceExhaustedError):
        return True
    torch_oom = getattr(sys.modules.get("torch"), "OutOfMemoryError", None)
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
