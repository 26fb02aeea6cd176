"""The fit loop: one :class:`~colorization.runs.RunConfig` in, one run directory out.

``train(config, run_dir)`` reuses a finished run, resumes an interrupted one from its last
completed epoch, and otherwise trains from scratch. The run-directory layout and its reader
are :mod:`colorization.runs`; the callbacks are :mod:`colorization.callbacks`.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import os
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np

from colorization import accelerate, data, device_data, fileio, pipeline, registry
from colorization.callbacks import (
    EpochSnapshots,
    EpochTiming,
    NonFiniteLossError,
    OutOfMemoryError,
    StopOnNaN,
    TrainingStopped,
    is_out_of_memory,
    out_of_memory_message,
)
from colorization.runs import Run, RunConfig, is_number, save_npz

__all__ = ["NonFiniteLossError", "OutOfMemoryError", "Run", "RunConfig", "TrainingStopped",
           "train"]


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
        import tensorflow as tf  # the TensorFlow backend only

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
        import jax  # the JAX backend only

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


def _snapshot_inputs(config: RunConfig, train_set, test_set) -> dict[str, np.ndarray]:
    """The fixed images shown at every snapshot: drawn across classes (seeded), so sorted
    data (one class after another) still shows several classes."""
    n = config.snapshot_images
    sets = {key: ds.images[data.spread_indices(ds.labels, n, config.seed)]
            for key, ds in (("train", train_set), ("test", test_set))}
    sets["photos"] = data.load("photos", image_size=config.image_size).images[:n]
    return {k: v for k, v in sets.items() if len(v)}


def train(config: RunConfig, run_dir, *, force: bool = False, verbose="auto",
          callbacks=()) -> Run:
    """Train ``config`` into ``run_dir`` and return the :class:`Run`.

    A finished run with the same config is reused (pass ``force=True`` to retrain); an
    interrupted one resumes from its last completed epoch; a folder holding a different
    config is refused, so two experiments never mix. Extra Keras ``callbacks`` run after
    the run's own (backup, timing, snapshots, history).
    """
    registry.check_loss(config.model, config.loss)  # also refuses an unknown model
    accelerate.enable_jax_cache()
    if config.strategy in ("auto", "multiworker") and not accelerate.is_chief():
        run_dir = accelerate.worker_run_dir(run_dir)  # only the chief writes the run
    run = Run(run_dir)
    run.dir.mkdir(parents=True, exist_ok=True)
    config_path = run.dir / "config.json"
    if config_path.exists() and not force:
        old = run.stored_config()
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
            shutil.rmtree(run.dir / sub, ignore_errors=True)
    fileio.write_json(config_path, config.to_dict())

    keras.utils.set_random_seed(config.seed)
    if config.deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

        tf.config.experimental.enable_op_determinism()

    train_set = data.load(config.data, "train", image_size=config.image_size,
                          max_images=config.max_images, seed=config.seed)
    test_set = data.load(config.data, "test", image_size=config.image_size,
                         max_images=config.max_test_images, seed=config.seed)
    if len(train_set) == 0:
        raise ValueError(f"dataset {config.data!r} has no training images")

    snapshots_dir = run.dir / "snapshots"
    snapshots_dir.mkdir(exist_ok=True)
    if not (snapshots_dir / "inputs.npz").exists():
        save_npz(snapshots_dir / "inputs.npz",
                  **_snapshot_inputs(config, train_set, test_set))
    snapshot_images = run.snapshot_inputs()

    precision = accelerate.resolve_precision(config.precision)
    batch_size = accelerate.resolve_batch_size(config.model, config.batch_size)
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        scope, replicas = _strategy_scope(config.strategy)
        global_batch = min(batch_size * replicas, len(train_set))
        # One step shape (the last incomplete batch dropped, each epoch reshuffled), so the
        # step compiles once; the TensorFlow backend keeps its incomplete batch on one device.
        drop = replicas > 1 or keras.backend.backend() != "tensorflow"
        steps = len(train_set) // global_batch if drop else -(-len(train_set) // global_batch)
        with scope:
            model = registry.build_colorizer(config.model, config.image_size)
            model.configure(lambda: _optimizer(config, steps), loss=config.loss,
                            loss_delta=config.loss_delta,
                            rebalance_lambda=config.rebalance_lambda,
                            train_images=train_set, jit_compile=config.jit_compile)
            if replicas > 1 and keras.backend.backend() == "tensorflow":
                accelerate.build_for_strategy(model, train_set.images.shape[1:])
                if accelerate.tf_config():
                    accelerate.fix_multiworker_logs(model)
        first_epoch = _completed_epochs(run.dir / "backup")
        path, message = device_data.choose(config.input_path, train_set.images.nbytes, replicas)
        if message:
            print(message)
        if path == "device":
            dataset = device_data.batches(train_set.images, global_batch, seed=config.seed,
                                          flip=config.flip, first_epoch=first_epoch)
            device_data.install(model, dataset, train_set.images.shape[1:])
        else:
            dataset = pipeline.from_arrays(
                train_set.images, global_batch, shuffle=True, seed=config.seed,
                flip=config.flip, drop_remainder=drop, first_epoch=first_epoch,
                backend="tf" if keras.backend.backend() == "tensorflow" else "numpy")
        _trim_history(run.dir, first_epoch)
        extra_callbacks, callbacks = list(callbacks), [
            StopOnNaN(config.learning_rate, precision),
            keras.callbacks.BackupAndRestore(str(run.dir / "backup"), delete_checkpoint=True,
                                             double_checkpoint=True),
            EpochTiming(steps * global_batch),
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
            if is_out_of_memory(err) and not isinstance(err, TrainingStopped):
                raise OutOfMemoryError(out_of_memory_message(
                    config.model, config.image_size, batch_size, replicas)) from err
            raise
        elapsed = time.perf_counter() - start
        device_data.uninstall(model)
        with fileio.atomic_path(run.dir / "model.keras") as tmp:
            model.save(tmp)
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
        "batch_size": batch_size,
        "precision": precision,
        "input_path": path,
        "parameters": int(model.network.count_params()),
        "last_session_seconds": round(elapsed, 3),
        "final_loss": history[-1]["loss"] if history else None,
    })
    return run


def _tensorboard_available() -> bool:
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
    keep = [r for r in body if r and is_number(r[0]) and int(float(r[0])) < completed]
    if len(keep) == len(body):
        return
    text = io.StringIO()
    csv.writer(text).writerows([header] + keep if keep else [])
    fileio.write_bytes(path, text.getvalue().encode())
