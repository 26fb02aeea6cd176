"""The fit loop: one :class:`~colorization.runs.config.RunConfig` in, one run directory out.

:func:`prepare` builds what a run trains with (data, ``tf.data`` pipeline, compiled model,
callbacks), :func:`fit` trains it; :func:`train` is the two, and reuses a finished run or
resumes an interrupted one. The run folder is :mod:`colorization.runs.rundir`.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
from colorization.runs import accelerate, device_data, rundir
from colorization.runs import callbacks as cb
from colorization.runs.config import RunConfig
from colorization.runs.rundir import Run, RunBusyError, lock_run_dir, read_backup

#: What every training in this process reports, set by the entry points (the CLI, a
#: notebook's first cell, ``make reproduce``): ``verbose``, Keras fit's verbosity when a call
#: says ``"auto"`` (``None``: chosen by the terminal); ``progress``, a file that receives
#: every epoch's progress events (:class:`~colorization.runs.callbacks.ProgressEvents`).
OUTPUT: dict = {"verbose": None, "progress": None}


def _choose_verbose(verbose):
    """Keras fit verbosity: a progress bar interactively, one line per epoch headless;
    ``OUTPUT["verbose"]`` when an entry point chose one."""
    if verbose != "auto":
        return verbose
    if OUTPUT["verbose"] is not None:
        return OUTPUT["verbose"]
    if "ipykernel" in sys.modules and "papermill" not in sys.modules:
        return 1
    return 1 if sys.stdout.isatty() else 2


def build_optimizer(model) -> None:
    """Create the optimizer's variables before ``fit`` traces the first step: created inside
    that trace, they make TensorFlow trace the whole step a second time."""
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


def _snapshot_inputs(config: RunConfig, train_set, test_set) -> dict[str, np.ndarray]:
    """The fixed images of every snapshot, drawn across classes, the same for every seed:
    ``snapshot_images`` test images (the claims about an epoch read them), at most
    8 training images and photographs (for figures)."""
    n = config.snapshot_images
    shown = min(n, 8)
    sets = {key: ds.images[datasets.spread_indices(ds.labels, count, 0)]
            for key, ds, count in (("train", train_set, shown), ("test", test_set, n))}
    sets["photos"] = datasets.load("photos", image_size=config.image_size).images[:shown]
    return {k: v for k, v in sets.items() if len(v)}


def train(config: RunConfig, run_dir, *, force: bool = False, verbose="auto",
          callbacks=()) -> Run:
    """Train ``config`` into ``run_dir`` (:func:`prepare`, then :func:`fit`) and return the
    :class:`Run`. A finished run of the same config is reused (``force=True`` retrains), an
    interrupted one resumes from its last completed epoch, a folder holding another config
    is refused. Extra Keras ``callbacks`` run after the run's own."""
    config.validate()
    run = Run(_run_dir(config, run_dir))
    if not force and _reusable(run, config):
        if (run.dir / "backup").exists():  # a kill between status.json and its removal
            with contextlib.suppress(RunBusyError), lock_run_dir(run.dir):
                shutil.rmtree(run.dir / "backup", ignore_errors=True)
        return run
    return fit(prepare(config, run_dir, force=force, callbacks=callbacks), verbose=verbose)


@dataclass
class Setup:
    """What one run trains with (:func:`prepare`): ``dataset``, the training batches (a
    ``tf.data.Dataset`` on TensorFlow) in the order an uninterrupted run sees them;
    ``model``, the compiled colorizer; ``callbacks``, what :func:`fit` passes to
    ``model.fit``; ``steps_per_epoch``, the optimizer steps of an epoch (``fit_steps``: what
    ``model.fit`` is told); ``initial_epoch``, the epochs a resumed run has done;
    ``finished``, a finished run that is reused (``fit`` trains nothing)."""

    config: RunConfig
    run: Run
    train_set: datasets.ImageSet
    test_set: datasets.ImageSet
    model: keras.Model
    dataset: object
    steps_per_epoch: int
    initial_epoch: int
    fit_steps: int | None
    callbacks: list
    finished: bool
    replicas: int
    batch_size: int
    precision: str
    input_path: str
    _lock: contextlib.ExitStack
    _session: contextlib.ExitStack
    _ran: set

    def fit_call(self) -> str:
        """The ``model.fit`` call :func:`fit` makes, with its callbacks named."""
        names = ", ".join(type(c).__name__ for c in self.callbacks)
        return (f"model.fit(dataset, epochs={self.config.epochs}, "
                f"initial_epoch={self.initial_epoch}, steps_per_epoch={self.fit_steps}, "
                f"callbacks=[{names}])")

    def first_batch(self) -> np.ndarray:
        """The first batch of the run's first epoch, uint8 RGB ``(B, H, W, 3)``, from a fresh
        copy of its host pipeline (iterating ``dataset`` itself would move its shuffling on)."""
        global_batch = min(self.batch_size * self.replicas, len(self.train_set))
        data = _host_batches(self.config, self.train_set, global_batch, self.replicas, 0)
        batch = data[0] if isinstance(data, keras.utils.PyDataset) else next(iter(data))
        return np.asarray(keras.ops.convert_to_numpy(batch))

    def close(self) -> None:
        """Restore the precision policy and CPU rewrites, and unlock the run directory."""
        self._session.close()
        self._lock.close()


def _run_dir(config: RunConfig, run_dir) -> Path:
    accelerate.enable_jax_cache()
    if config.strategy in ("auto", "multiworker") and not accelerate.is_chief():
        return accelerate.worker_run_dir(run_dir)  # only the chief writes the run
    return Path(run_dir)


def prepare(config: RunConfig, run_dir, *, force: bool = False, callbacks=()) -> Setup:
    """What the run of ``config`` in ``run_dir`` trains with (a :class:`Setup`). Settings,
    loss and data are checked before anything is written; the run directory stays locked
    until :func:`fit` or ``Setup.close`` (a second training into it gets ``RunBusyError``).
    The data is read, never downloaded. A finished run of the same config is reused."""
    config.validate()
    run = Run(_run_dir(config, run_dir))
    finished = not force and _reusable(run, config)
    train_set, test_set = _load_data(config)
    lock, session = contextlib.ExitStack(), contextlib.ExitStack()
    try:
        if not finished:
            run.dir.mkdir(parents=True, exist_ok=True)
            lock.enter_context(lock_run_dir(run.dir))
            finished = not force and _reusable(run, config)  # finished meanwhile
            if not finished:
                _start(run, config, train_set, test_set, force=force)
        precision = accelerate.resolve_precision(config.precision)
        batch_size = accelerate.resolve_batch_size(config.model, config.batch_size)
        session.callback(keras.config.set_dtype_policy, keras.config.dtype_policy())
        keras.config.set_dtype_policy(precision)
        session.enter_context(tf_cpu.switched(config.tf_cpu_rewrites))
        ran = session.enter_context(tf_cpu.counting())
        model, replicas, resumed, steps, global_batch = _build(config, run, train_set,
                                                               batch_size, finished)
        dataset, fit_steps, path = _input(config, model, train_set, global_batch, replicas,
                                          resumed)
        # images an epoch trains: an incomplete last batch counts as it is
        own = [] if finished else _run_callbacks(
            config, run, model, resumed, precision, min(steps * global_batch, len(train_set)),
            steps)
    except BaseException:
        session.close()
        lock.close()
        raise
    return Setup(config, run, train_set, test_set, model, dataset, steps,
                 resumed.epoch if resumed else 0, fit_steps, own + list(callbacks), finished,
                 replicas, batch_size, precision, path, lock, session, ran)


def fit(setup: Setup, *, verbose="auto") -> Run:
    """Train the epochs still to do of ``setup`` with ``model.fit`` (:meth:`Setup.fit_call`),
    save the model, mark the run finished and unlock it; faults say what to do."""
    config, run, model = setup.config, setup.run, setup.model
    try:
        if setup.finished:
            return run
        start = time.perf_counter()
        try:
            if setup.initial_epoch < config.epochs:
                model.fit(setup.dataset, epochs=config.epochs, callbacks=setup.callbacks,
                          shuffle=False, verbose=_choose_verbose(verbose),
                          initial_epoch=setup.initial_epoch,
                          steps_per_epoch=setup.fit_steps)
        except Exception as err:
            explained = _explained(err, run, config, setup.batch_size, setup.replicas)
            if explained is err:
                raise  # as it is (never an error that is its own cause)
            raise explained from err
        seconds = time.perf_counter() - start
        device_data.uninstall(model)
        setup._session.close()
        _finish(setup, seconds)
    finally:
        setup.close()
    return run


def _load_data(config: RunConfig):
    """The training and test sets of ``config`` (the test set is the same for every seed)."""
    train_set = datasets.load(config.data, "train", image_size=config.image_size,
                              max_images=config.max_images, seed=config.seed)
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


def _start(run: Run, config: RunConfig, train_set, test_set, *, force: bool) -> None:
    """The run folder before the first step: cleared (``force``), no temporary file left by a
    kill, ``config.json`` written, the seeds set, the snapshot images chosen once."""
    if force:
        for name in ("status.json", "model.keras", "history.csv"):
            (run.dir / name).unlink(missing_ok=True)
        for sub in ("backup", "snapshots", "logs", "metrics"):  # metrics: the old model's
            shutil.rmtree(run.dir / sub, ignore_errors=True)
    for folder in ("", "backup", "snapshots"):
        fileio.remove_temporaries(run.dir / folder)
    fileio.write_json(run.dir / "config.json", config.to_dict())
    keras.utils.set_random_seed(config.seed)
    if config.deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

        tf.config.experimental.enable_op_determinism()
    snapshots = run.dir / "snapshots"
    snapshots.mkdir(exist_ok=True)
    if not (snapshots / "inputs.npz").exists():
        rundir.save_npz(snapshots / "inputs.npz", **_snapshot_inputs(config, train_set, test_set))


def _build(config: RunConfig, run: Run, train_set, batch_size: int, finished: bool):
    """``(model, replicas, resumed state, steps per epoch, global batch)``: the compiled
    colorizer, built in the strategy's scope and resumed from the last committed epoch (a
    finished run is left as it is)."""
    scope, replicas = accelerate.strategy_scope(config.strategy)
    global_batch = min(batch_size * replicas, len(train_set))
    # one step shape (the last incomplete batch dropped) so the step compiles once; TensorFlow
    # on one device keeps it
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
        resumed = None if finished else rundir.resume(
            run, model, accelerate.common_epoch if replicas > 1 and accelerate.tf_config()
            else None)
    return model, replicas, resumed, steps, global_batch


def _drops_remainder(replicas: int) -> bool:
    return replicas > 1 or keras.backend.backend() != "tensorflow"


def _host_batches(config: RunConfig, train_set, global_batch: int, replicas: int,
                  first_epoch: int):
    """The host-fed training batches (:func:`colorization.data.pipeline.from_arrays`)."""
    return pipeline.from_arrays(
        train_set.images, global_batch, shuffle=True, seed=config.seed, flip=config.flip,
        drop_remainder=_drops_remainder(replicas), first_epoch=first_epoch,
        backend="tf" if keras.backend.backend() == "tensorflow" else "numpy")


def _input(config: RunConfig, model, train_set, global_batch: int, replicas: int, resumed):
    """``(dataset, steps for fit or None, input path)``: the batches kept on the accelerator
    or fed from the host, in the order an uninterrupted run would see them."""
    first_epoch = resumed.epoch if resumed else 0
    path, message = device_data.choose(config.input_path, train_set.images.nbytes, replicas)
    if message:
        print(message)
    if path == "device":
        dataset = device_data.batches(train_set.images, global_batch, seed=config.seed,
                                      flip=config.flip, first_epoch=first_epoch)
        device_data.install(model, dataset, train_set.images.shape[1:])
    else:
        dataset = _host_batches(config, train_set, global_batch, replicas, first_epoch)
    dataset, steps_per_epoch = rundir.resumable(dataset, first_epoch)
    return dataset, steps_per_epoch, path


def _run_callbacks(config: RunConfig, run: Run, model, resumed, precision: str,
                   images_per_epoch: int, steps: int) -> list:
    """The run's own callbacks in the order they must run, then TensorBoard's logs (on
    TensorFlow) and the progress events (when ``OUTPUT["progress"]`` names a file)."""
    own = [
        cb.StopOnNaN(config.learning_rate, precision),
        cb.EpochTiming(images_per_epoch),
        cb.EpochSnapshots(run.snapshot_inputs(), config.snapshot_schedule(),
                          run.dir / "snapshots"),
        cb.EpochCommit(run.dir, resumed.history if resumed else [],
                       {"epoch": resumed.epoch, "weights": resumed.weights.name}
                       if resumed else None),
    ]
    if keras.backend.backend() == "tensorflow" and importlib.util.find_spec("tensorboard"):
        own.append(keras.callbacks.TensorBoard(str(run.dir / "logs"), write_graph=False,
                                               profile_batch=0))
    if OUTPUT["progress"]:
        label = f"{run.dir.parent.name}/{run.dir.name}"  # <experiment>/seed<k>
        own.append(cb.ProgressEvents(OUTPUT["progress"], label, images_per_epoch, steps,
                                     config.epochs))
    return own


def _explained(err: Exception, run: Run, config: RunConfig, batch_size: int,
               replicas: int) -> Exception:
    """The error to raise for a fault during ``fit``: out of memory, a full disk and a lost
    worker get a message saying what to do; anything else is raised as it is."""
    if cb.is_out_of_memory(err) and not isinstance(err, cb.TrainingStopped):
        return cb.OutOfMemoryError(cb.out_of_memory_message(
            config.model, config.image_size, batch_size, replicas))
    if rundir.is_disk_full(err):
        return _disk_full(run, err)
    if accelerate.is_worker_lost(err):
        return accelerate.WorkerLostError(run.dir, read_backup(run.dir), err)
    return err


def _finish(setup: Setup, seconds: float) -> None:
    """Save the model and ``status.json`` (the run is finished only then), then drop the
    backup. A model whose weights are not finite is never saved."""
    run, config, model, images = setup.run, setup.config, setup.model, setup.train_set
    if not weights_are_finite(model):
        raise cb.NonFiniteLossError(
            "training stopped: the model's weights are not finite numbers (the training "
            "diverged). Lower the learning rate (--learning-rate); a new learning rate is "
            "a new experiment: train into another run directory (or add --force to "
            "replace this one). This run is not marked finished.")
    try:
        with fileio.atomic_path(run.dir / "model.keras") as tmp:
            model.save(tmp)
    except Exception as err:
        if rundir.is_disk_full(err):
            raise _disk_full(run, err) from err
        raise
    history, steps = run.history(), setup.steps_per_epoch
    fileio.write_json(run.dir / "status.json", dict(
        state="finished", epochs=config.epochs, train_images=len(images),
        steps_per_epoch=steps, optimizer_steps=steps * config.epochs,
        data_source=images.source, dataset=images.dataset, data_kind=images.kind,
        backend=keras.backend.backend(), replicas=setup.replicas,
        batch_size=setup.batch_size, precision=setup.precision, input_path=setup.input_path,
        tf_cpu_rewrites=sorted(setup._ran),  # those the last training session ran
        parameters=int(model.network.count_params()), last_session_seconds=round(seconds, 3),
        final_loss=history[-1]["loss"] if history else None))
    shutil.rmtree(run.dir / "backup", ignore_errors=True)  # only once the run is safe


def _disk_full(run: Run, err: BaseException) -> cb.DiskFullError:
    done = read_backup(run.dir)
    where = (f"it resumes from epoch {done[0].epoch}, the last one saved" if done else
             "it starts again from epoch 0")
    return cb.DiskFullError(
        f"the disk is full: could not save the run {run.dir} ({type(err).__name__}: {err}). "
        f"Free some space (or train into a run directory on another disk), then run the "
        f"same command again: {where}.")
