"""The fit loop: one :class:`~colorization.runs.config.RunConfig` in, one run directory out.

``train(config, run_dir)`` reuses a finished run, resumes an interrupted one from its last
completed epoch, and otherwise trains from scratch. The run-directory layout and its reader
are :mod:`colorization.runs.rundir`; the callbacks are :mod:`colorization.runs.callbacks`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from colorization.core import fileio
from colorization.data import datasets, pipeline
from colorization.nets import registry, tf_cpu
from colorization.nets.colorizer import weights_are_finite
from colorization.runs import accelerate, device_data
from colorization.runs.callbacks import (
    DiskFullError,
    EpochCommit,
    EpochSnapshots,
    EpochTiming,
    NonFiniteLossError,
    OutOfMemoryError,
    ProgressEvents,
    StopOnNaN,
    TrainingStopped,
    is_out_of_memory,
    out_of_memory_message,
)
from colorization.runs.config import RunConfig
from colorization.runs.rundir import (
    Run,
    RunBusyError,
    is_disk_full,
    lock_run_dir,
    read_backup,
    resumable,
    resume,
    save_npz,
)


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


def build_optimizer(model) -> None:
    """Create the compiled ``model``'s optimizer variables now, before ``fit`` traces the
    first step: created inside that trace instead, they make TensorFlow trace the whole step
    a second time (Keras defers them when no distribution strategy is set)."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def make_optimizer(config: RunConfig, steps_per_epoch: int):
    """A fresh Keras optimizer for ``config`` (its name, rate and schedule)."""
    rate = config.learning_rate
    if config.lr_schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=max(1, config.epochs * steps_per_epoch))
    elif config.lr_schedule != "constant":
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant', got {config.lr_schedule!r}")
    return keras.optimizers.get(config.optimizer).__class__(learning_rate=rate)


SHOWN_SNAPSHOTS = 8  # training images and photographs kept at each snapshot, for figures


def _snapshot_inputs(config: RunConfig, train_set, test_set) -> dict[str, np.ndarray]:
    """The fixed images shown at every snapshot: drawn across classes (with seed 0, the same
    for every seed of an experiment), so sorted data (one class after another) still shows
    several classes. ``snapshot_images`` test images (the claims about an epoch read them);
    at most :data:`SHOWN_SNAPSHOTS` training images and photographs (shown in figures)."""
    n = config.snapshot_images
    shown = min(n, SHOWN_SNAPSHOTS)
    sets = {key: ds.images[datasets.spread_indices(ds.labels, count, 0)]
            for key, ds, count in (("train", train_set, shown), ("test", test_set, n))}
    sets["photos"] = datasets.load("photos", image_size=config.image_size).images[:shown]
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
    a second training into it is refused at once (:class:`colorization.runs.rundir.RunBusyError`).
    The data is read, never downloaded: ``fruits``/``animals`` are the prepared Kaggle data
    or the embedded samples (:mod:`colorization.data.datasets`).
    """
    config.validate()
    tf_cpu.env_on()  # refuses an invalid COLORIZATION_TF_CPU_REWRITES before any write
    accelerate.enable_jax_cache()
    if config.strategy in ("auto", "multiworker") and not accelerate.is_chief():
        run_dir = accelerate.worker_run_dir(run_dir)  # only the chief writes the run
    run = Run(run_dir)
    if not force and _reusable(run, config):
        if (run.dir / "backup").exists():  # a kill between status.json and its removal
            with contextlib.suppress(RunBusyError), lock_run_dir(run.dir):
                shutil.rmtree(run.dir / "backup", ignore_errors=True)
        return run
    train_set, test_set = _load_data(config)
    run.dir.mkdir(parents=True, exist_ok=True)
    with lock_run_dir(run.dir):
        if not force and _reusable(run, config):  # finished by another process meanwhile
            return run
        _start(run, config, train_set, test_set, force=force)
        session = _fit(config, run, train_set, verbose=verbose, callbacks=callbacks)
        _finish(run, config, train_set, session)
    return run


def _load_data(config: RunConfig):
    """The training and test :class:`~colorization.data.datasets.ImageSet` of ``config``."""
    train_set = datasets.load(config.data, "train", image_size=config.image_size,
                              max_images=config.max_images, seed=config.seed)
    # the test images (and the snapshot images drawn from them) do not depend on the seed:
    # every seed of an experiment is shown and measured on the same images
    test_set = datasets.load(config.data, "test", image_size=config.image_size,
                             max_images=config.max_test_images, seed=0)
    if len(train_set) == 0:
        raise ValueError(f"dataset {config.data!r} has no training images")
    return train_set, test_set


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


def _start(run: Run, config: RunConfig, train_set, test_set, *, force: bool) -> None:
    """The run folder before the first step: cleared (``force``), no temporary file left by a
    kill, ``config.json`` written, the seeds set, the snapshot images chosen once."""
    if force:
        for name in ("status.json", "model.keras", "history.csv"):
            (run.dir / name).unlink(missing_ok=True)
        for sub in ("backup", "snapshots", "logs", "metrics"):  # metrics: the old model's
            shutil.rmtree(run.dir / sub, ignore_errors=True)
    _remove_temporaries(run.dir)
    fileio.write_json(run.dir / "config.json", config.to_dict())
    keras.utils.set_random_seed(config.seed)
    if config.deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

        tf.config.experimental.enable_op_determinism()
    snapshots = run.dir / "snapshots"
    snapshots.mkdir(exist_ok=True)
    if not (snapshots / "inputs.npz").exists():
        save_npz(snapshots / "inputs.npz", **_snapshot_inputs(config, train_set, test_set))


@dataclass
class _Session:
    """What one call of ``fit`` used, for ``status.json``."""

    model: keras.Model
    batch_size: int
    replicas: int
    precision: str
    input_path: str
    steps_per_epoch: int
    seconds: float
    rewrites: list[str]


def _fit(config: RunConfig, run: Run, train_set, *, verbose, callbacks) -> _Session:
    """Build (or resume) the model and train the epochs still to do, under the run's
    precision and TensorFlow CPU rewrites switch; faults become messages saying what to do."""
    precision = accelerate.resolve_precision(config.precision)
    batch_size = accelerate.resolve_batch_size(config.model, config.batch_size)
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        with tf_cpu.switched(config.tf_cpu_rewrites), tf_cpu.counting() as ran:
            model, replicas, resumed, steps, global_batch = _build(config, run, train_set,
                                                                   batch_size)
            dataset, steps_per_epoch, path = _input(config, model, train_set, global_batch,
                                                    replicas, resumed)
            # images an epoch trains: the incomplete last batch (kept by TensorFlow on one
            # device) is counted as it is, not as a full batch
            own = _run_callbacks(config, run, model, resumed, precision,
                                 min(steps * global_batch, len(train_set)), steps)
            initial_epoch = resumed.epoch if resumed else 0
            start = time.perf_counter()
            try:
                if initial_epoch < config.epochs:
                    model.fit(dataset, epochs=config.epochs, callbacks=own + list(callbacks),
                              shuffle=False, verbose=_choose_verbose(verbose),
                              initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch)
            except Exception as err:
                explained = _explained(err, run, config, batch_size, replicas)
                if explained is err:
                    raise  # as it is (never an error that is its own cause)
                raise explained from err
            seconds = time.perf_counter() - start
            device_data.uninstall(model)
    finally:
        keras.config.set_dtype_policy(previous_policy)
    return _Session(model, batch_size, replicas, precision, path, steps, seconds, sorted(ran))


def _build(config: RunConfig, run: Run, train_set, batch_size: int):
    """The compiled colorizer inside the distribution strategy's scope, resumed from the run's
    last committed epoch when there is one. Returns ``(model, replicas, resumed state,
    steps per epoch, global batch)``."""
    scope, replicas = _strategy_scope(config.strategy)
    global_batch = min(batch_size * replicas, len(train_set))
    # One step shape (the last incomplete batch dropped, each epoch reshuffled), so the step
    # compiles once; the TensorFlow backend keeps its incomplete batch on one device.
    steps = (len(train_set) // global_batch if _drops_remainder(replicas)
             else -(-len(train_set) // global_batch))
    with scope:
        model = registry.build_colorizer(config.model, config.image_size)
        model.configure(lambda: make_optimizer(config, steps), loss=config.loss,
                        loss_delta=config.loss_delta, rebalance_lambda=config.rebalance_lambda,
                        train_images=train_set, jit_compile=config.jit_compile)
        build_optimizer(model)
        if replicas > 1 and keras.backend.backend() == "tensorflow":
            accelerate.build_for_strategy(model, train_set.images.shape[1:])
            if accelerate.tf_config():
                accelerate.fix_multiworker_logs(model)
        # every worker of a cluster resumes from the same epoch
        resumed = resume(run, model, accelerate.common_epoch if replicas > 1
                         and accelerate.tf_config() else None)
    return model, replicas, resumed, steps, global_batch


def _drops_remainder(replicas: int) -> bool:
    return replicas > 1 or keras.backend.backend() != "tensorflow"


def _input(config: RunConfig, model, train_set, global_batch: int, replicas: int, resumed):
    """The training batches, kept on the accelerator or fed from the host
    (:mod:`colorization.runs.device_data`), in the order an uninterrupted run would see them.
    Returns ``(dataset, steps_per_epoch or None, input path)``."""
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
            train_set.images, global_batch, shuffle=True, seed=config.seed, flip=config.flip,
            drop_remainder=_drops_remainder(replicas), first_epoch=first_epoch,
            backend="tf" if keras.backend.backend() == "tensorflow" else "numpy")
    dataset, steps_per_epoch = resumable(dataset, first_epoch)
    return dataset, steps_per_epoch, path


#: a file that receives the progress events of every training in this process and its
#: children (:class:`~colorization.runs.callbacks.ProgressEvents`; set by ``make reproduce``)
PROGRESS_ENV = "COLORIZATION_PROGRESS"


def _run_callbacks(config: RunConfig, run: Run, model, resumed, precision: str,
                   images_per_epoch: int, steps: int) -> list:
    """The run's own callbacks, in the order they must run (see
    :mod:`colorization.runs.callbacks`), then TensorBoard's logs on TensorFlow, then the
    progress events when ``$COLORIZATION_PROGRESS`` names a file."""
    own = [
        StopOnNaN(config.learning_rate, precision),
        EpochTiming(images_per_epoch),
        EpochSnapshots(run.snapshot_inputs(), config.snapshot_schedule(), run.dir / "snapshots"),
        EpochCommit(run.dir, resumed.history if resumed else [],
                    {"epoch": resumed.epoch, "weights": resumed.weights.name}
                    if resumed else None),
    ]
    if keras.backend.backend() == "tensorflow" and _tensorboard_available():
        own.append(keras.callbacks.TensorBoard(str(run.dir / "logs"), write_graph=False,
                                               profile_batch=0))
    if os.environ.get(PROGRESS_ENV):
        label = f"{run.dir.parent.name}/{run.dir.name}"  # <experiment>/seed<k>
        own.append(ProgressEvents(os.environ[PROGRESS_ENV], label, images_per_epoch, steps,
                                  config.epochs))
    return own


def _explained(err: Exception, run: Run, config: RunConfig, batch_size: int,
               replicas: int) -> Exception:
    """The error to raise for a fault during ``fit``: out of memory, a full disk and a lost
    worker get a message saying what to do; anything else is raised as it is."""
    if is_out_of_memory(err) and not isinstance(err, TrainingStopped):
        return OutOfMemoryError(out_of_memory_message(config.model, config.image_size,
                                                      batch_size, replicas))
    if is_disk_full(err):
        return _disk_full(run, err)
    if accelerate.is_worker_lost(err):
        return accelerate.WorkerLostError(run.dir, read_backup(run.dir), err)
    return err


def _finish(run: Run, config: RunConfig, train_set, session: _Session) -> None:
    """Save the model and ``status.json`` (the run is finished only then), then drop the
    backup. A model whose weights are not finite is never saved."""
    model = session.model
    if not weights_are_finite(model):
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
    history = run.history()
    fileio.write_json(run.dir / "status.json", {
        "state": "finished",
        "epochs": config.epochs,
        "train_images": len(train_set),
        "steps_per_epoch": session.steps_per_epoch,
        "optimizer_steps": session.steps_per_epoch * config.epochs,
        "data_source": train_set.source,
        "dataset": train_set.dataset,
        "data_kind": train_set.kind,
        "backend": keras.backend.backend(),
        "replicas": session.replicas,
        "batch_size": session.batch_size,
        "precision": session.precision,
        "input_path": session.input_path,
        "tf_cpu_rewrites": session.rewrites,  # those the last training session ran
        "parameters": int(model.network.count_params()),
        "last_session_seconds": round(session.seconds, 3),
        "final_loss": history[-1]["loss"] if history else None,
    })
    shutil.rmtree(run.dir / "backup", ignore_errors=True)  # only once the run is safe


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
