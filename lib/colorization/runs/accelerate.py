"""Speed defaults of a training run: precision, batch size, JAX's compilation cache, workers.

- ``precision="auto"`` is ``mixed_bfloat16`` on a GPU or TPU and ``float32`` on a CPU (bf16
  compute, float32 weights; the Lab maths and the loss stay float32: :mod:`colorization.core.color`
  and :mod:`colorization.core.losses` cast their inputs, and every network's last activation is
  float32). Any explicit policy is used as given.
- ``batch_size=None`` is the model's ``gpu_batch_size`` (:data:`colorization.nets.registry.MODELS`)
  on an accelerator and :data:`CPU_BATCH_SIZE` on a CPU.
- On JAX, compiled steps are kept in a persistent cache, ``runs/.jax-cache`` (or
  ``$JAX_COMPILATION_CACHE_DIR``; ``COLORIZATION_JAX_CACHE=0`` turns it off), so a rerun or a
  resumed run loads its train step instead of compiling it again.
- With several machines (``TF_CONFIG``), only the chief writes the run directory; the other
  workers write theirs to a folder of the system's temporary directory, as ``tf.distribute``
  recommends (every worker must take part in saving, but one copy is kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import keras

from colorization.core import paths
from colorization.nets import registry
from colorization.runs import device_data

CPU_BATCH_SIZE = 32
PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16", "bfloat16", "float16")


def resolve_precision(precision: str) -> str:
    """The Keras dtype policy for ``RunConfig.precision`` (see the module docstring)."""
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
    if device_data.accelerator():
        return registry.spec(model).gpu_batch_size
    return CPU_BATCH_SIZE


def enable_jax_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache (JAX backend only); returns its folder."""
    if keras.backend.backend() != "jax" or os.environ.get("COLORIZATION_JAX_CACHE") == "0":
        return None
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    folder = Path(os.environ.get("JAX_COMPILATION_CACHE_DIR") or paths.runs_dir() / ".jax-cache")
    if jax.config.jax_compilation_cache_dir == str(folder):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Cache every step, also the small ones of a CPU run (default: only compiles over 1 s).
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    compilation_cache.reset_cache()  # a compile before this call fixed "no cache"
    return folder


def tf_config() -> dict:
    """``$TF_CONFIG`` parsed (``{}`` when unset); a clear error when it is not JSON."""
    text = os.environ.get("TF_CONFIG", "")
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"TF_CONFIG is not valid JSON ({err}); see docs/gpu.md, "
                         "'Several machines', for its form") from None
    if not isinstance(value, dict) or "cluster" not in value or "task" not in value:
        raise ValueError("TF_CONFIG needs a 'cluster' and a 'task' entry, e.g. "
                         '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                         '"task": {"type": "worker", "index": 0}}')
    return value


def is_chief(config: dict | None = None) -> bool:
    """Whether this process writes the run: the ``chief`` task, or worker 0 without one."""
    config = tf_config() if config is None else config
    if not config:
        return True
    task = config["task"]
    kind, index = task.get("type"), int(task.get("index", 0))
    if kind == "chief":
        return True
    return kind == "worker" and index == 0 and "chief" not in config["cluster"]


def worker_run_dir(run_dir) -> Path:
    """Where a non-chief worker writes its copy of ``run_dir``: a folder of the temporary
    directory named after the run and the task, so a restarted worker finds its backup."""
    task = tf_config()["task"]
    digest = hashlib.sha1(str(Path(run_dir).resolve()).encode()).hexdigest()[:12]
    name = f"colorization-{task.get('type')}{int(task.get('index', 0))}-{digest}"
    return Path(tempfile.gettempdir()) / name


def build_for_strategy(model: keras.Model, image_shape) -> None:
    """Build the loss and optimizer state under a TensorFlow strategy before ``fit``.

    Keras 3 builds them from the first batch, which it first averages across the replicas
    with a collective; TensorFlow's collectives refuse uint8, the type of this project's
    batches. The state is built here from a zero batch instead, and ``fit``'s own build is
    skipped for this model (it would find everything built anyway).
    """
    import numpy as np

    model._symbolic_build(data_batch=(np.zeros((1, *image_shape), np.uint8),))
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None


def fix_multiworker_logs(model: keras.Model) -> None:
    """Under ``MultiWorkerMirroredStrategy`` Keras 3 averages each step's logs with
    ``strategy.reduce("MEAN", value, axis=0)``, which fails on the scalars ``train_step``
    returns ("Invalid reduction dimension 0 for input with 0 dimensions"). Each value is
    returned as shape ``(1,)`` instead: the same mean, one axis to reduce."""
    import tensorflow as tf

    original = model.train_step

    def train_step(*args):
        logs = original(*args)
        return {k: tf.reshape(v, [1]) for k, v in logs.items()}

    model.train_step = train_step


def common_epoch(epoch: int) -> int:
    """Inside a ``MultiWorkerMirroredStrategy`` scope: the lowest of the epochs that every
    worker of the cluster passes in (a collective: every worker must call it)."""
    import tensorflow as tf  # the TensorFlow backend only

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
    stopped (its heartbeats ceased or its connection closed)."""
    if not tf_config():
        return False
    names = {"UnavailableError", "AbortedError", "CancelledError", "DeadlineExceededError"}
    while err is not None:
        if type(err).__name__ in names or "unhealthy" in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False
