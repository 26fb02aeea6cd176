"""Training runs: one serialisable config in, one run directory out.

A run directory holds everything one experiment produced::

    RUN_DIR/
      config.json        the RunConfig (written first; a different config in the same
                         folder is refused rather than mixed)
      history.csv        one row per epoch: loss, seconds, images/s (appended on resume)
      snapshots/         inputs.npz (fixed train/test/never-seen images, uint8) and
                         epoch_NNN.npz (their predicted ab, int8 ab units) at chosen epochs
      logs/              TensorBoard logs (TensorFlow backend)
      backup/            Keras BackupAndRestore state while training (deleted when done)
      model.keras        the trained colorizer (safe-mode loadable)
      status.json        written last, atomically: the run is finished only when it says so

``train(config, run_dir)`` reuses a finished run, resumes an interrupted one from its last
completed epoch, and otherwise trains from scratch.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from colorization import color, fileio
from colorization.colorizer import Colorizer, build_colorizer, load_colorizer, predict_ab

DEFAULT_SNAPSHOT_EPOCHS = (1, 2, 3, 5, 10, 20, 30, 50, 60, 100, 150, 200, 300, 400, 600)
SNAPSHOT_SETS = ("train", "test", "photos")


@dataclass
class RunConfig:
    """Everything that defines one experiment. Serialised as ``config.json``.

    ``precision``: ``"float32"``, ``"mixed_float16"`` or ``"mixed_bfloat16"``;
    ``jit_compile``: ``"auto"`` (Keras' choice: XLA where it is supported), True or False;
    ``lr_schedule``: ``"cosine"`` (decay to 0 over the run: BatchNorm's running statistics
    then catch up with the final weights, which a constant rate leaves behind) or
    ``"constant"``;
    ``strategy``: ``"auto"`` (MirroredStrategy when TensorFlow sees several GPUs,
    MultiWorkerMirroredStrategy when ``TF_CONFIG`` is set, data parallel on JAX with several
    devices), ``"none"``, ``"mirrored"`` or ``"multiworker"``.
    """

    model: str
    data: str = "synthetic-fruits"
    loss: str = "mse"
    epochs: int = 10
    batch_size: int = 32
    image_size: int = 100
    seed: int = 0
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "cosine"
    max_images: int | None = None
    max_test_images: int | None = 256
    precision: str = "float32"
    jit_compile: bool | str = "auto"
    strategy: str = "auto"
    flip: bool = False
    deterministic: bool = False
    loss_delta: float = 1.0
    snapshot_epochs: list[int] = field(default_factory=lambda: list(DEFAULT_SNAPSHOT_EPOCHS))
    snapshot_images: int = 8

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown RunConfig fields: {sorted(unknown)}")
        return cls(**d)

    def snapshot_schedule(self) -> list[int]:
        """Epochs (1-based) at which snapshots are taken: the chosen ones, plus the last."""
        return sorted({e for e in self.snapshot_epochs if 1 <= e <= self.epochs} | {self.epochs})


# --------------------------------------------------------------------------------------------
# Small file helpers: every file a reader may trust is written to a temp name, then renamed
# (JSON through colorization.fileio).


def _save_npz(path: Path, **arrays) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def read_history(run_dir) -> list[dict]:
    """history.csv as a list of dicts (floats where possible)."""
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return []
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows.append({k: (float(v) if _is_number(v) else v) for k, v in row.items()})
    return rows


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Callbacks


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
            ab = predict_ab(self.model, rgb)
            if not np.isfinite(ab).all():
                return  # a diverged model (StopOnNaN reports it); nothing worth drawing
            arrays[name] = np.clip(np.round(ab), -128, 127).astype(np.int8)
        _save_npz(self.out_dir / f"epoch_{done:03d}.npz", **arrays)


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


class TrainingStopped(RuntimeError):
    """Training stopped on a fault; the message says what happened and what to change."""


class NonFiniteLossError(TrainingStopped, FloatingPointError):
    """The training loss became NaN or infinite."""


class OutOfMemoryError(TrainingStopped, MemoryError):
    """The accelerator (or the host) ran out of memory during training."""


class StopOnNaN(keras.callbacks.Callback):
    """Stops at the end of the first epoch whose mean loss is not finite, with a message
    saying what to try.

    Checked once an epoch, not every batch: a batch-level hook makes Keras fetch the loss
    from the accelerator after every step, which stalls a GPU. It must come before
    ``BackupAndRestore`` in the callback list, so that diverged weights never replace the
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


def _is_out_of_memory(err: BaseException) -> bool:
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


def _out_of_memory_message(config: RunConfig, replicas: int) -> str:
    half = max(1, config.batch_size // 2)
    per = f" per replica ({replicas} replicas)" if replicas > 1 else ""
    return (
        f"out of memory while training {config.model!r} at {config.image_size}x"
        f"{config.image_size} with batch size {config.batch_size}{per}: lower the batch size, "
        f"e.g. --batch-size {half} (RunConfig(batch_size={half})), or the image size. A new "
        "batch size is a new experiment: train into another run directory (or add --force to "
        "replace this one). Epochs completed before are kept in the run's backup/ folder."
    )


# --------------------------------------------------------------------------------------------
# Runs


class Run:
    """A run directory: read its config, history, snapshots, model and status."""

    def __init__(self, run_dir):
        self.dir = Path(run_dir)

    def __repr__(self):
        return f"Run({str(self.dir)!r})"

    @property
    def config(self) -> RunConfig:
        return RunConfig.from_dict(json.loads((self.dir / "config.json").read_text()))

    @property
    def status(self) -> dict:
        path = self.dir / "status.json"
        return json.loads(path.read_text()) if path.exists() else {"state": "incomplete"}

    @property
    def finished(self) -> bool:
        return self.status.get("state") == "finished" and (self.dir / "model.keras").exists()

    def history(self) -> list[dict]:
        return read_history(self.dir)

    def model(self) -> Colorizer:
        return load_colorizer(self.dir / "model.keras")

    def snapshot_inputs(self) -> dict[str, np.ndarray]:
        with np.load(self.dir / "snapshots" / "inputs.npz") as z:
            return {k: z[k] for k in z.files}

    def snapshot_epochs(self) -> list[int]:
        files = (self.dir / "snapshots").glob("epoch_*.npz")
        return sorted(int(p.stem.split("_")[1]) for p in files)

    def snapshot(self, epoch: int) -> dict[str, np.ndarray]:
        """Predicted ab (float32 ab units) of each snapshot set at ``epoch``."""
        with np.load(self.dir / "snapshots" / f"epoch_{epoch:03d}.npz") as z:
            return {k: z[k].astype(np.float32) for k in z.files}

    def snapshot_rgb(self, epoch: int) -> dict[str, np.ndarray]:
        """The snapshot images recoloured: true L joined with the predicted ab, RGB [0, 1]."""
        inputs = self.snapshot_inputs()
        return {k: recolor(inputs[k], ab) for k, ab in self.snapshot(epoch).items()}


def recolor(rgb: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """True L of uint8 ``rgb`` ``(..., H, W, 3)`` joined with ``ab`` -> RGB float32 [0, 1]."""
    lab = color.to_numpy(color.rgb_uint8_to_lab(rgb))
    return color.to_numpy(color.lab_to_rgb(np.concatenate([lab[..., :1], ab], axis=-1)))


def _choose_verbose(verbose):
    """Keras fit verbosity: a progress bar interactively, one line per epoch headless.
    ``$COLORIZATION_VERBOSE`` (set by ``make reproduce`` for its notebook kernels) wins."""
    if verbose != "auto":
        return verbose
    if os.environ.get("COLORIZATION_VERBOSE", "").isdigit():
        return int(os.environ["COLORIZATION_VERBOSE"])
    if "ipykernel" in sys.modules and "papermill" not in sys.modules:
        return 1
    return 1 if sys.stdout.isatty() else 2


def _strategy_scope(name: str):
    """A context in which to build and compile, for the chosen distribution strategy."""
    backend = keras.backend.backend()
    if name == "none":
        return contextlib.nullcontext(), 1
    if backend == "tensorflow":
        import tensorflow as tf

        if name == "multiworker" or (name == "auto" and os.environ.get("TF_CONFIG")):
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        elif name == "mirrored" or (
            name == "auto" and len(tf.config.list_logical_devices("GPU")) > 1
        ):
            strategy = tf.distribute.MirroredStrategy()
        elif name == "auto":
            return contextlib.nullcontext(), 1
        else:
            raise ValueError(f"unknown strategy {name!r}")
        return strategy.scope(), strategy.num_replicas_in_sync
    if backend == "jax":
        import jax

        devices = jax.devices()
        if name in ("auto", "mirrored") and len(devices) > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            return contextlib.nullcontext(), len(devices)
        return contextlib.nullcontext(), 1
    if name in ("mirrored", "multiworker"):
        raise ValueError(f"strategy {name!r} needs the TensorFlow or JAX backend, not {backend}")
    return contextlib.nullcontext(), 1


def _optimizer(config: RunConfig, steps_per_epoch: int):
    rate = config.learning_rate
    if config.lr_schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=max(1, config.epochs * steps_per_epoch))
    elif config.lr_schedule != "constant":
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant', got {config.lr_schedule!r}")
    return keras.optimizers.get(config.optimizer).__class__(learning_rate=rate)


def _snapshot_inputs(config: RunConfig, train_images, test_images) -> dict[str, np.ndarray]:
    from colorization import data

    n = config.snapshot_images
    sets = {"train": train_images[:n], "test": test_images[:n]}
    photos = data.load("photos", image_size=config.image_size)
    sets["photos"] = photos.images[:n]
    return {k: v for k, v in sets.items() if len(v)}


def train(config: RunConfig, run_dir, *, force: bool = False, verbose="auto",
          callbacks=()) -> Run:
    """Train ``config`` into ``run_dir`` and return the :class:`Run`.

    A finished run with the same config is reused (pass ``force=True`` to retrain); an
    interrupted one resumes from its last completed epoch; a folder holding a different
    config is refused, so two experiments never mix. Extra Keras ``callbacks`` run after
    the run's own (backup, timing, snapshots, history).
    """
    from colorization import data, models, pipeline

    if config.model not in models.MODEL_NAMES:
        raise ValueError(f"unknown model {config.model!r}; choose one of {models.MODEL_NAMES}")
    run = Run(run_dir)
    run.dir.mkdir(parents=True, exist_ok=True)
    config_path = run.dir / "config.json"
    if config_path.exists() and not force:
        old = json.loads(config_path.read_text())
        if old != config.to_dict():
            changed = sorted(k for k in set(old) | set(config.to_dict())
                             if old.get(k) != config.to_dict().get(k))
            raise ValueError(
                f"{run.dir} holds a run with another config (differs in {changed}); "
                "choose another run directory, or pass force=True (--force) to replace it"
            )
        if run.finished:
            return run
    if force:
        for name in ("status.json", "model.keras", "history.csv"):
            (run.dir / name).unlink(missing_ok=True)
        for sub in ("backup", "snapshots", "logs"):
            _rmtree(run.dir / sub)
    fileio.write_json(config_path, config.to_dict())

    if config.deterministic:
        keras.utils.set_random_seed(config.seed)
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
    else:
        keras.utils.set_random_seed(config.seed)

    train_set = data.load(config.data, "train", image_size=config.image_size,
                          max_images=config.max_images, seed=config.seed)
    test_set = data.load(config.data, "test", image_size=config.image_size,
                         max_images=config.max_test_images, seed=config.seed)
    if len(train_set) == 0:
        raise ValueError(f"dataset {config.data!r} has no training images")

    snapshots_dir = run.dir / "snapshots"
    snapshots_dir.mkdir(exist_ok=True)
    if not (snapshots_dir / "inputs.npz").exists():
        _save_npz(snapshots_dir / "inputs.npz",
                  **_snapshot_inputs(config, train_set.images, test_set.images))
    snapshot_images = run.snapshot_inputs()

    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(config.precision)
    try:
        scope, replicas = _strategy_scope(config.strategy)
        with scope:
            model = build_colorizer(config.model, config.image_size)
            steps = -(-len(train_set) // (config.batch_size * replicas))
            model.configure(config, lambda: _optimizer(config, steps), train_images=train_set)
        dataset = pipeline.from_arrays(
            train_set.images, config.batch_size * replicas, shuffle=True, seed=config.seed,
            flip=config.flip, drop_remainder=replicas > 1,
        )
        _trim_history(run.dir, _completed_epochs(run.dir / "backup"))
        extra_callbacks, callbacks = list(callbacks), [
            StopOnNaN(config.learning_rate, config.precision),
            keras.callbacks.BackupAndRestore(str(run.dir / "backup"), delete_checkpoint=True,
                                             double_checkpoint=True),
            EpochTiming(len(train_set)),
            EpochSnapshots(snapshot_images, config.snapshot_schedule(), snapshots_dir),
            keras.callbacks.CSVLogger(str(run.dir / "history.csv"), append=True),
        ]
        if keras.backend.backend() == "tensorflow" and _tensorboard_available():
            callbacks.append(keras.callbacks.TensorBoard(str(run.dir / "logs"), write_graph=False,
                                                         profile_batch=0))
        callbacks.extend(extra_callbacks)
        start = time.perf_counter()
        try:
            model.fit(dataset, epochs=config.epochs, callbacks=callbacks, shuffle=False,
                      verbose=_choose_verbose(verbose))
        except Exception as err:
            if _is_out_of_memory(err) and not isinstance(err, TrainingStopped):
                raise OutOfMemoryError(_out_of_memory_message(config, replicas)) from err
            raise
        elapsed = time.perf_counter() - start
        tmp = run.dir / "model.tmp.keras"
        model.save(tmp)
        os.replace(tmp, run.dir / "model.keras")
    finally:
        keras.config.set_dtype_policy(previous_policy)

    history = run.history()
    fileio.write_json(run.dir / "status.json", {
        "state": "finished",
        "epochs": config.epochs,
        "train_images": len(train_set),
        "data_source": train_set.source,
        "dataset": train_set.dataset,
        "backend": keras.backend.backend(),
        "replicas": replicas,
        "parameters": int(model.network.count_params()),
        "last_session_seconds": round(elapsed, 3),
        "final_loss": history[-1]["loss"] if history else None,
    })
    return run


def _tensorboard_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def _completed_epochs(backup_dir: Path) -> int:
    """Epochs completed according to Keras' BackupAndRestore state (0 when none)."""
    meta = backup_dir / "training_metadata.json"
    try:
        return int(json.loads(meta.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


def _trim_history(run_dir: Path, completed: int) -> None:
    """Drop history rows of epochs that the backup does not hold (a kill between the
    backup and the CSV row, or after the row), so a resumed run has one row per epoch."""
    path = run_dir / "history.csv"
    if not path.exists():
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    keep = [r for r in body if r and _is_number(r[0]) and int(float(r[0])) < completed]
    if len(keep) == len(body):
        return
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        csv.writer(f).writerows([header] + keep if keep else [])
    os.replace(tmp, path)


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
