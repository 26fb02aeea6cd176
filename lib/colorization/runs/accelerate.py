"""Speed defaults of a training run: precision, batch size, JAX's compilation cache, workers.

``precision="auto"`` is ``mixed_bfloat16`` on a GPU or TPU and ``float32`` on a CPU (the Lab
maths, the loss and every network's last activation stay float32). ``batch_size=None`` is the
model's ``gpu_batch_size`` on an accelerator and :data:`CPU_BATCH_SIZE` on a CPU. With
several machines (``TF_CONFIG``) only the chief writes the run directory; the other workers
write theirs to the system's temporary directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from pathlib import Path

import keras
import numpy as np

from colorization.core import paths
from colorization.nets import registry
from colorization.runs import device_data

CPU_BATCH_SIZE = 32
PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16", "bfloat16", "float16")


def resolve_precision(precision: str) -> str:
    """The Keras dtype policy for ``RunConfig.precision``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision != "auto":
        return precision
    return "mixed_bfloat16" if device_data.accelerator() else "float32"


def resolve_batch_size(model: str, batch_size: int | None) -> int:
    """``batch_size``, or the default of ``model`` for this machine when it is ``None``."""
    if batch_size is not None:
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        return int(batch_size)
    return registry.spec(model).gpu_batch_size if device_data.accelerator() else CPU_BATCH_SIZE


def enable_jax_cache(folder=None, enabled: bool = True) -> Path | None:
    """Turn on JAX's persistent compilation cache (JAX backend only), so a rerun or a resumed
    run loads its train step instead of compiling it; returns its folder. ``folder``: JAX's
    own setting (``JAX_COMPILATION_CACHE_DIR``), else ``runs_dir/.jax-cache``."""
    if keras.backend.backend() != "jax" or not enabled:
        return None
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    folder = Path(folder or jax.config.jax_compilation_cache_dir or paths.runs_dir() / ".jax-cache")
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # every step, also the small ones of a CPU run (default: only compiles over 1 s)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    compilation_cache.reset_cache()  # a compile before this call fixed "no cache"
    return folder


def tf_config() -> dict:
    """``TF_CONFIG`` as TensorFlow's ``TFConfigClusterResolver`` reads it (TensorFlow backend
    only): ``{"cluster": ..., "task": {"type", "index"}}``, or ``{}`` when unset."""
    if keras.backend.backend() != "tensorflow":
        return {}
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        cluster = resolver.cluster_spec().as_dict()
    except json.JSONDecodeError as err:
        if not err.doc.strip():
            return {}
        raise ValueError(f"TF_CONFIG is not valid JSON ({err}); see docs/gpu.md, "
                         "'Several machines', for its form") from None
    except TypeError:  # JSON, but not a cluster description
        cluster, resolver = None, None
    if cluster == {}:
        return {}
    if not cluster or resolver.task_type is None:
        raise ValueError("TF_CONFIG needs a 'cluster' and a 'task' entry, e.g. "
                         '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                         '"task": {"type": "worker", "index": 0}}')
    return {"cluster": cluster, "task": {"type": resolver.task_type,
                                         "index": resolver.task_id or 0}}


def is_chief(config: dict | None = None) -> bool:
    """Whether this process writes the run: the ``chief`` task, or worker 0 without one."""
    config = tf_config() if config is None else config
    if not config:
        return True
    kind, index = config["task"].get("type"), int(config["task"].get("index", 0))
    return kind == "chief" or (kind == "worker" and index == 0
                               and "chief" not in config["cluster"])


def worker_run_dir(run_dir) -> Path:
    """Where a non-chief worker writes its copy of ``run_dir``: a temporary folder named after
    the run and the task, so a restarted worker finds its backup."""
    task = tf_config()["task"]
    digest = hashlib.sha1(str(Path(run_dir).resolve()).encode()).hexdigest()[:12]
    name = f"colorization-{task.get('type')}{int(task.get('index', 0))}-{digest}"
    return Path(tempfile.gettempdir()) / name


def build_for_strategy(model: keras.Model, image_shape) -> None:
    """Build the loss and optimizer state under a TensorFlow strategy before ``fit``, from a
    zero batch: ``fit`` would build them from a first batch averaged across replicas, a
    collective that refuses this project's uint8 batches."""
    model._symbolic_build(data_batch=(np.zeros((1, *image_shape), np.uint8),))
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None


def fix_multiworker_logs(model: keras.Model) -> None:
    """Return each step's logs as shape ``(1,)``: under ``MultiWorkerMirroredStrategy`` Keras
    reduces them along axis 0, which fails on scalars."""
    import tensorflow as tf

    original = model.train_step

    def train_step(*args):
        return {k: tf.reshape(v, [1]) for k, v in original(*args).items()}

    model.train_step = train_step


def common_epoch(epoch: int) -> int:
    """Inside a ``MultiWorkerMirroredStrategy`` scope: the lowest ``epoch`` of all workers (a
    collective: every worker must call it)."""
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    mine = strategy.run(lambda: tf.constant([float(epoch)]))
    return int(tf.reduce_min(strategy.gather(mine, axis=0)).numpy())


class WorkerLostError(RuntimeError):
    """Another worker of a ``TF_CONFIG`` cluster stopped during training."""

    def __init__(self, run_dir, done, err: BaseException):
        first = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
        where = (f"the last completed epoch ({done[0].epoch}) is kept in {run_dir}/backup"
                 if done else "no epoch was completed yet")
        super().__init__(
            f"another worker of the cluster stopped during training ({type(err).__name__}: "
            f"{first}). Nothing completed is lost: {where}. Start every worker again with the "
            f"same command and TF_CONFIG: they resume from the last epoch they all completed.")


def is_worker_lost(err: BaseException) -> bool:
    """True when TensorFlow aborted a collective of a ``TF_CONFIG`` cluster because a peer
    stopped."""
    if not tf_config():
        return False
    names = {"UnavailableError", "AbortedError", "CancelledError", "DeadlineExceededError"}
    while err is not None:
        if type(err).__name__ in names or "unhealthy" in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False


def strategy_scope(name: str):
    """A context in which to build and compile, for the chosen distribution strategy."""
    backend = keras.backend.backend()
    if name == "none":
        return contextlib.nullcontext(), 1
    if backend == "tensorflow":
        import tensorflow as tf  # the TensorFlow backend only

        if name == "multiworker" or (name == "auto" and tf_config()):
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
