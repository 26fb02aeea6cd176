"""The fit loop: one :class:`~colorization.runs.RunConfig` in, one run directory out.

``train(config, run_dir)`` reuses a finished run, resumes an interrupted one from its last
completed epoch, and otherwise trains from scratch. The run-directory layout and its reader
are :mod:`colorization.runs`; the callbacks are :mod:`colorization.callbacks`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np

from colorization import accelerate, data, device_data, fileio, optim, pipeline, registry
from colorization.callbacks import (
    DiskFullError,
    EpochCommit,
    EpochSnapshots,
    EpochTiming,
    NonFiniteLossError,
    OutOfMemoryError,
    StopOnNaN,
    TrainingStopped,
    is_out_of_memory,
    kill_point,
    out_of_memory_message,
)
from colorization.resume import resumable, resume
from colorization.run_state import RunBusyError, is_disk_full, lock_run_dir, read_backup
from colorization.runs import Run, RunConfig, save_npz

__all__ = ["DiskFullError", "NonFiniteLossError", "OutOfMemoryError", "Run", "RunConfig",
           "TrainingStopped", "train"]


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


def make_optimizer(config: RunConfig, steps_per_epoch: int):
    """A fresh optimizer for ``config`` (its name, rate and schedule). Adam is
    :class:`colorization.optim.Adam`: Keras' Adam, its update fused on TensorFlow."""
    rate = config.learning_rate
    if config.lr_schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=max(1, config.epochs * steps_per_epoch))
    elif config.lr_schedule != "constant":
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant', got {config.lr_schedule!r}")
    cls = keras.optimizers.get(config.optimizer).__class__
    return (optim.Adam if cls is keras.optimizers.Adam else cls)(learning_rate=rate)


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

    The settings, the loss and the data are checked before anything is written (a failed
    start leaves no ``config.json`` behind), and the run directory is locked while training:
    a second training into it is refused at once (:class:`colorization.run_state.RunBusyError`).
    """
    config.validate()
    registry.check_loss(config.model, config.loss)  # also refuses an unknown model
    accelerate.enable_jax_cache()
    if config.strategy in ("auto", "multiworker") and not accelerate.is_chief():
        run_dir = accelerate.worker_run_dir(run_dir)  # only the chief writes the run
    run = Run(run_dir)
    if not force and _reusable(run, config):
        if (run.dir / "backup").exists():  # a kill between status.json and its removal
            with contextlib.suppress(RunBusyError), lock_run_dir(run.dir):
                shutil.rmtree(run.dir / "backup", ignore_errors=True)
        return run
    train_set = data.load(config.data, "train", image_size=config.image_size,
                          max_images=config.max_images, seed=config.seed)
    test_set = data.load(config.data, "test", image_size=config.image_size,
                         max_images=config.max_test_images, seed=config.seed)
    if len(train_set) == 0:
        raise ValueError(f"dataset {config.data!r} has no training images")
    run.dir.mkdir(parents=True, exist_ok=True)
    with lock_run_dir(run.dir):
        if not force and _reusable(run, config):  # finished by another process meanwhile
            return run
        return _train_locked(config, run, train_set, test_set, force=force, verbose=verbose,
                             callbacks=callbacks)


def _reusable(run: Run, config: RunConfig) -> bool:
    """True for a finished run of ``config``; ``ValueError`` for another config."""
    if not (run.dir / "config.json").exists():
        return False
    old = run.stored_config()
    if old != config.to_dict():
        changed = sorted(k for k in set(old) | set(config.to_dict())
                         if old.get(k) != config.to_dict().get(k))
        raise ValueError(
            f"{run.dir} holds a run with another config (differs in {changed}); "
            "choose another run directory, or pass force=True (--force) to replace it"
        )
    return run.finished


def _remove_temporaries(run_dir: Path) -> None:
    """Temporary files of writes a kill interrupted (only ever hidden ``.NAME.*.tmp*``)."""
    for folder in (run_dir, run_dir / "backup", run_dir / "snapshots"):
        if folder.is_dir():
            for p in folder.glob(".*.tmp*"):
                if p.is_file():
                    p.unlink(missing_ok=True)


def _train_locked(config: RunConfig, run: Run, train_set, test_set, *, force, verbose,
                  callbacks) -> Run:
    config_path = run.dir / "config.json"
    if force:
        for name in ("status.json", "model.keras", "history.csv"):
            (run.dir / name).unlink(missing_ok=True)
        for sub in ("backup", "snapshots", "logs"):
            shutil.rmtree(run.dir / sub, ignore_errors=True)
    _remove_temporaries(run.dir)
    fileio.write_json(config_path, config.to_dict())

    keras.utils.set_random_seed(config.seed)
    if config.deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

        tf.config.experimental.enable_op_determinism()

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
            model.configure(lambda: make_optimizer(config, steps), loss=config.loss,
                            loss_delta=config.loss_delta,
                            rebalance_lambda=config.rebalance_lambda,
                            train_images=train_set, jit_compile=config.jit_compile)
            if replicas > 1 and keras.backend.backend() == "tensorflow":
                accelerate.build_for_strategy(model, train_set.images.shape[1:])
                if accelerate.tf_config():
                    accelerate.fix_multiworker_logs(model)
            # every worker of a cluster resumes from the same epoch
            resumed = resume(run, model, accelerate.common_epoch if replicas > 1
                             and accelerate.tf_config() else None)
        first_epoch = resumed.epoch if resumed else 0
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
        dataset, steps_per_epoch = resumable(dataset, first_epoch)
        extra_callbacks, callbacks = list(callbacks), [
            StopOnNaN(config.learning_rate, precision),
            EpochTiming(steps * global_batch),
            EpochSnapshots(snapshot_images, config.snapshot_schedule(), snapshots_dir),
            EpochCommit(run.dir, resumed.history if resumed else [],
                        {"epoch": resumed.epoch, "weights": resumed.weights.name}
                        if resumed else None),
        ]
        if keras.backend.backend() == "tensorflow" and _tensorboard_available():
            callbacks.append(keras.callbacks.TensorBoard(str(run.dir / "logs"), write_graph=False,
                                                         profile_batch=0))
        callbacks.extend(extra_callbacks)
        start = time.perf_counter()
        initial_epoch = resumed.epoch if resumed else 0
        try:
            if initial_epoch < config.epochs:
                model.fit(dataset, epochs=config.epochs, callbacks=callbacks, shuffle=False,
                          verbose=_choose_verbose(verbose), initial_epoch=initial_epoch,
                          steps_per_epoch=steps_per_epoch)
        except Exception as err:
            if is_out_of_memory(err) and not isinstance(err, TrainingStopped):
                raise OutOfMemoryError(out_of_memory_message(
                    config.model, config.image_size, batch_size, replicas)) from err
            if is_disk_full(err):
                raise _disk_full(run, err) from err
            if accelerate.is_worker_lost(err):
                raise accelerate.WorkerLostError(run.dir, read_backup(run.dir), err) from err
            raise
        elapsed = time.perf_counter() - start
        device_data.uninstall(model)
        if not all(np.isfinite(w).all() for w in model.get_weights()):
            raise NonFiniteLossError(
                "training stopped: the model's weights are not finite numbers (the training "
                "diverged). Lower the learning rate (--learning-rate); a new learning rate is "
                "a new experiment: train into another run directory (or add --force to "
                "replace this one). This run is not marked finished.")
        try:
            with fileio.atomic_path(run.dir / "model.keras") as tmp:
                model.save(tmp)
        except Exception as err:
            if is_disk_full(err):
                raise _disk_full(run, err) from err
            raise
        kill_point("model", config.epochs)
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
    kill_point("status", config.epochs)
    shutil.rmtree(run.dir / "backup", ignore_errors=True)  # only once the run is safe
    return run


def _tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def _disk_full(run: Run, err: BaseException) -> DiskFullError:
    done = read_backup(run.dir)
    where = (f"it resumes from epoch {done[0].epoch}, the last one saved" if done else
             "it starts again from epoch 0")
    return DiskFullError(
        f"the disk is full: could not save the run {run.dir} ({type(err).__name__}: {err}). "
        f"Free some space (or train into a run directory on another disk), then run the "
        f"same command again: {where}.")
