"""Keras callbacks of a training run, and the faults that stop one.

Each callback gets its inputs and output folder as arguments (no module globals):
:class:`EpochSnapshots` (predicted ab of fixed images at chosen epochs), :class:`EpochTiming`
(seconds and images/s in each epoch's logs), :class:`EpochCommit` (the backup and
history.csv: one commit point per epoch), :class:`StopOnNaN` (a clear message when the
loss diverges) and :class:`ProgressEvents` (a run's progress for ``make reproduce``). Their
order in the callback list matters: StopOnNaN, EpochTiming, EpochSnapshots, EpochCommit.
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


#: seconds between two progress events within an epoch (:class:`ProgressEvents`)
PROGRESS_SECONDS = 30.0


class ProgressEvents(keras.callbacks.Callback):
    """Appends a run's start, its progress at least every ``interval`` seconds within an
    epoch, and its end to the file ``path``, one JSON object a line (what ``make reproduce``
    prints while a notebook trains; the notebook's own output is left as it is).

    Each event holds ``event`` (``start``, ``progress`` or ``end``), ``run`` (``label``),
    ``time`` and, as they apply, ``epoch``, ``epochs``, ``step``, ``steps``, ``images``
    (per epoch), ``images_per_second`` (in the epoch so far; at the end, in the last epoch,
    after the first step's tracing), ``eta_seconds`` (the rest of the run, at the pace so
    far) and ``seconds``. A write that fails is dropped: progress never stops a training.
    """

    async_safe = True  # it reads no logs: batch ends need not wait for the step

    def __init__(self, path, label: str, images: int, steps: int, epochs: int,
                 interval: float = PROGRESS_SECONDS):
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

    def on_train_begin(self, logs=None):
        self._start = self._last = time.perf_counter()
        self._first_epoch = self._epoch = None
        self._done = 0  # steps since this fit began (a resumed run counts from its resume)

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
            self._emit("start", epoch=epoch, epochs=self.epochs, steps=self.steps,
                       images=self.images)
        self._epoch, self._epoch_start, self._epoch_steps = epoch, time.perf_counter(), 0

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._epoch_start
        self._rate = self._epoch_steps * self.images / self.steps / max(seconds, 1e-9)

    def on_train_batch_end(self, batch, logs=None):
        self._done += 1
        self._epoch_steps += 1
        now = time.perf_counter()
        if now - self._last < self.interval:
            return
        self._last = now
        left = (self.epochs - self._epoch) * self.steps - self._epoch_steps
        per_step = (now - self._start) / self._done
        rate = self._epoch_steps * self.images / self.steps / max(now - self._epoch_start, 1e-9)
        self._emit("progress", epoch=self._epoch + 1, epochs=self.epochs,
                   step=self._epoch_steps, steps=self.steps, images_per_second=rate,
                   eta_seconds=left * per_step)

    def on_train_end(self, logs=None):
        if self._first_epoch is None:
            return  # nothing was left to train
        epochs = (self._epoch or 0) + 1 - self._first_epoch
        self._emit("end", epochs=epochs, seconds=time.perf_counter() - self._start,
                   images_per_second=getattr(self, "_rate", 0.0))


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
        history: the committed history rows of the epochs trained before a resume (``epoch``
            0-based).
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
