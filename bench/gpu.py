"""Benchmark (not a test): training images/s on a GPU, Keras on JAX beside PyTorch.

For a machine with JAX and PyTorch but no TensorFlow (``KERAS_BACKEND=jax``, Keras from
wheels). TensorFlow is never imported: an import hook refuses it, so a library import that
would need it fails loudly instead of passing here and failing there.

For each network (default ``autoencoder``, ``zhang_full``, ``zhang_animals``) at 100x100, in
one process and on the same uint8 images (random content; speed does not depend on it):

Keras (the project's ``build_colorizer`` + ``Colorizer.configure``: MSE, Adam 1e-3, bf16
mixed precision, jit), three ways of feeding the same compiled ``train_step``:

- ``fit-device``: ``model.fit`` over :class:`DeviceBatches`, the dataset kept on the GPU as a
  uint8 array, each batch gathered on the device (no host round-trip per step);
- ``fit-host``: ``model.fit`` over ``pipeline.from_arrays(backend="numpy")``: what
  ``colorization.train`` feeds today where TensorFlow is absent (uint8 batches from host RAM);
- ``step``: the model's own ``train_step`` inside one ``jax.jit`` with the random batch
  gathered in the same program, called in a Python loop: the floor of Keras' per-step
  overhead (no callbacks, no iterator);

PyTorch (``bench/reference_torch.py``: the same architecture, parameter counts asserted equal;
the same uint8 -> Lab step on the device, MSE, fused Adam, bf16 autocast, channels-last):

- ``eager`` and ``compile`` (``torch.compile`` of forward + loss).

Reported: images/s, achieved TFLOP/s (analytic: 3 x 2 x conv MACs per image, the usual
forward + two backward convention; norms, Lab and Adam not counted; XLA's own count of the
``step`` program is given beside it), ratio Keras / best PyTorch, peak device memory and host
RSS. The table is printed and, with ``--out``, written as JSON.

    KERAS_BACKEND=jax python bench/gpu.py --out gpu.json           # on the GPU machine
    python bench/gpu.py --cpu                                      # a check on a CPU, tiny
"""

from __future__ import annotations

import argparse
import gc
import importlib.abc
import importlib.machinery
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODELS = "autoencoder,zhang_full,zhang_animals"


class _RefuseTensorFlow(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import tensorflow`` raises ImportError, as on a machine where it is not installed.

    ``find_spec`` answers with a spec without origin (so ``importlib.util.find_spec``, which
    torch._dynamo calls at import, still works) whose loading fails."""

    def find_spec(self, name, path, target=None):
        if name == "tensorflow" or name.startswith(("tensorflow.", "tf_keras")):
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        raise ImportError(f"bench/gpu.py runs without TensorFlow (refused: {spec.name})")

    def exec_module(self, module):  # never reached
        raise ImportError("TensorFlow refused")


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cpu", action="store_true",
                   help="run on the CPU with tiny sizes, to check the script (not a benchmark)")
    p.add_argument("--models", default=DEFAULT_MODELS)
    p.add_argument("--image-size", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=None, help="default 256 (--cpu: 4)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 50; --cpu: 2)")
    p.add_argument("--warmup", type=int, default=None,
                   help="untimed steps first, >= 3: Keras' JAX fit compiles train_step three "
                        "times (argument shardings uncommitted, then committed), and once more "
                        "in a second fit call, which the warm-up also makes; default 5")
    p.add_argument("--images", type=int, default=None,
                   help="images kept on the device (default 16384, about the fruits train set)")
    p.add_argument("--precision", default="mixed_bfloat16")
    p.add_argument("--keras", default="fit-device,fit-host,step",
                   help="Keras variants to time: fit-device, fit-host, step")
    p.add_argument("--torch", default=None,
                   help="PyTorch variants: eager, compile, or none (default compile,eager; "
                        "--cpu: eager)")
    p.add_argument("--no-channels-last", action="store_true", help="PyTorch in NCHW")
    p.add_argument("--allow-tensorflow", action="store_true",
                   help="do not refuse 'import tensorflow' (for machines that have it)")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args(argv)
    small = args.cpu
    args.batch_size = args.batch_size or (4 if small else 256)
    args.steps = args.steps or (2 if small else 50)
    args.warmup = max(3, args.warmup or (3 if small else 5))
    args.images = args.images or (max(16, args.batch_size * args.steps) if small else 16384)
    args.images = max(args.images, args.batch_size * max(args.steps, args.warmup))
    args.images -= args.images % args.batch_size
    args.torch = args.torch or ("eager" if small else "compile,eager")
    return args


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:
    if ARGS.cpu:
        os.environ["JAX_PLATFORMS"] = "cpu"
    if not ARGS.allow_tensorflow:
        sys.meta_path.insert(0, _RefuseTensorFlow())
    if os.environ.setdefault("KERAS_BACKEND", "jax") != "jax":
        sys.exit(f"bench/gpu.py needs KERAS_BACKEND=jax, not {os.environ['KERAS_BACKEND']}")
    # Share the card with PyTorch in the same process: allocate on demand, not 75% upfront.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    sys.path[:0] = [str(ROOT / "lib"), str(ROOT / "bench")]

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

if ARGS is not None and os.environ.get("COLORIZATION_JAX_CACHE", "1") != "0":
    # Keras' fit compiles train_step up to three times and each variant builds it again: a
    # persistent compilation cache turns the repeats into cache hits (same HLO).
    jax.config.update("jax_compilation_cache_dir",
                      os.environ.get("JAX_COMPILATION_CACHE_DIR", "/tmp/jax-compilation-cache"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


class DeviceBatches(keras.utils.PyDataset):
    """Shuffled uint8 batches of an array kept on the device: each batch is a gather on the
    device from a per-epoch permutation drawn there (nothing crosses the host per step)."""

    def __init__(self, images, batch_size: int, seed: int = 0):
        super().__init__()
        self.images = images  # jax uint8 (N, H, W, 3), on the device
        self.batch_size = batch_size
        self.key = jax.random.key(seed)
        self.epoch = 0
        self._take = jax.jit(lambda data, order, i: jnp.take(
            data, jax.lax.dynamic_slice_in_dim(order, i * batch_size, batch_size), axis=0))
        self._order = self._permutation()

    def _permutation(self):
        return jax.random.permutation(jax.random.fold_in(self.key, self.epoch),
                                      self.images.shape[0])

    def __len__(self):
        return self.images.shape[0] // self.batch_size

    def __getitem__(self, index):
        return (self._take(self.images, self._order, index),)

    def on_epoch_end(self):
        self.epoch += 1
        self._order = self._permutation()


def _sync(model):
    for v in model.trainable_variables[:1]:
        jax.block_until_ready(v.value)


def _build(name, image_size, precision):
    from colorization.registry import build_colorizer
    from colorization.train import RunConfig

    keras.config.set_dtype_policy(precision)
    config = RunConfig(model=name, image_size=image_size, precision=precision, jit_compile=True,
                       lr_schedule="constant")
    model = build_colorizer(name, image_size)
    model.configure(lambda: keras.optimizers.Adam(config.learning_rate), loss=config.loss,
                        jit_compile=config.jit_compile)
    return model


def keras_fit(name, data_device, images_host, args, host: bool):
    """``model.fit`` over device-resident (``host=False``) or host NumPy batches."""
    from colorization import pipeline

    keras.utils.set_random_seed(0)
    model = _build(name, args.image_size, args.precision)
    if host:
        batches = pipeline.from_arrays(images_host, args.batch_size, seed=0, backend="numpy")
    else:
        batches = DeviceBatches(data_device, args.batch_size)
    start = time.perf_counter()
    # Two fit calls: Keras' JAX fit compiles train_step again at the start of a second fit
    # (fresh, uncommitted metric variables), then never again.
    model.fit(batches, epochs=1, steps_per_epoch=args.warmup, verbose=0, shuffle=False)
    model.fit(batches, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    _sync(model)
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    history = model.fit(batches, epochs=1, steps_per_epoch=args.steps, verbose=0,
                        shuffle=False)
    _sync(model)
    seconds = time.perf_counter() - start
    return {"images_per_s": args.steps * args.batch_size / seconds, "seconds": seconds,
            "warmup_s": warmup_s, "loss": float(history.history["loss"][-1])}


def keras_step(name, data_device, args):
    """The model's own ``train_step`` jitted with an on-device batch gather, looped."""
    keras.utils.set_random_seed(0)
    model = _build(name, args.image_size, args.precision)
    # One fit step builds the optimizer and metric variables exactly as training does.
    model.fit(DeviceBatches(data_device, args.batch_size), epochs=1, steps_per_epoch=1,
              verbose=0, shuffle=False)
    state = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in model.optimizer.variables],
        [v.value for v in model.metrics_variables],
    )
    n, batch_size = data_device.shape[0], args.batch_size

    def step(state, data, key):
        idx = jax.random.randint(key, (batch_size,), 0, n)
        logs, state = model.train_step(state, (jnp.take(data, idx, axis=0),))
        return logs["loss"], state

    key = jax.random.key(1)
    start = time.perf_counter()
    compiled = jax.jit(step, donate_argnums=0).lower(state, data_device, key).compile()
    cost = compiled.cost_analysis()
    if isinstance(cost, (list, tuple)):
        cost = cost[0] if cost else {}
    xla_flops = float((cost or {}).get("flops", float("nan")))
    for i in range(args.warmup):
        loss, state = compiled(state, data_device, jax.random.fold_in(key, i))
    jax.block_until_ready(loss)
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(args.steps):
        loss, state = compiled(state, data_device, jax.random.fold_in(key, 10_000 + i))
    loss = float(loss)
    seconds = time.perf_counter() - start
    return {"images_per_s": args.steps * batch_size / seconds, "seconds": seconds,
            "warmup_s": warmup_s, "loss": loss,
            "xla_flops_per_image": xla_flops / batch_size}


def torch_run(name, data_torch, args, compile: bool):
    import reference_torch as ref

    trainer = ref.TorchTrainer(name, data_torch.device.type, compile=compile,
                               channels_last=not args.no_channels_last,
                               bf16=args.precision == "mixed_bfloat16")
    result = ref.time_steps(trainer, data_torch, args.batch_size, args.warmup, args.steps)
    del trainer
    return result


def _device_peak_bytes():
    try:
        stats = jax.devices()[0].memory_stats() or {}
    except Exception:  # noqa: BLE001 - not every platform reports
        stats = {}
    return stats.get("peak_bytes_in_use")


def main(args) -> int:
    import reference_torch as ref
    import torch

    from colorization import models, registry

    names = [n for n in args.models.split(",") if n]
    keras_variants = [v for v in args.keras.split(",") if v]
    torch_variants = [v for v in args.torch.split(",") if v and v != "none"]
    unknown = set(keras_variants) - {"fit-device", "fit-host", "step"}
    if unknown or set(torch_variants) - {"eager", "compile"}:
        bad = unknown | (set(torch_variants) - {"eager", "compile"})
        sys.exit(f"unknown variant(s): {sorted(bad)}")

    device = jax.devices()[0]
    torch_device = "cpu" if args.cpu or not torch.cuda.is_available() else "cuda"
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, args.image_size, args.image_size, 3),
                          dtype=np.uint8)
    data_device = jax.device_put(images, device)
    data_torch = torch.from_numpy(images).to(torch_device)
    card = getattr(device, "device_kind", device.platform)
    torch_card = torch.cuda.get_device_name() if torch_device == "cuda" else "cpu"
    header = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "jax_device": f"{device.platform}: {card}",
        "torch_device": torch_card,
        "host": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "versions": f"keras {keras.__version__} (jax {jax.__version__}), torch {torch.__version__}",
        "settings": f"{args.image_size}x{args.image_size}, batch {args.batch_size}, "
                    f"{args.warmup} warm-up + {args.steps} timed steps, {args.precision}, "
                    f"{args.images} uint8 images on the device",
        "command": "python bench/gpu.py " + " ".join(sys.argv[1:]),
        "tensorflow_imported": "tensorflow" in sys.modules,
    }
    print("; ".join(f"{k}: {v}" for k, v in header.items()), flush=True)
    print(f"{'model':14s} {'framework':7s} {'variant':11s} {'img/s':>10s} {'TFLOP/s':>8s} "
          f"{'ratio':>6s} {'warm-up s':>9s} {'loss':>7s}")
    results = []
    for name in names:
        n_keras = models.count_trainable(registry.build_model(name, (args.image_size,) * 2 + (1,)))
        n_torch = ref.count_trainable(ref.build(name))
        assert n_keras == n_torch, (name, n_keras, n_torch)
        flops = ref.train_flops_per_image(name, args.image_size)
        rows = []
        for variant in torch_variants:
            r = torch_run(name, data_torch, args, compile=variant == "compile")
            rows.append({"framework": "torch", "variant": variant, **r})
            gc.collect()
            if torch_device == "cuda":
                torch.cuda.empty_cache()
        for variant in keras_variants:
            if variant == "step":
                r = keras_step(name, data_device, args)
            else:
                r = keras_fit(name, data_device, images, args, host=variant == "fit-host")
            rows.append({"framework": "keras", "variant": variant, **r})
            keras.backend.clear_session()
            gc.collect()
        best_torch = max((r["images_per_s"] for r in rows if r["framework"] == "torch"),
                         default=float("nan"))
        for r in rows:
            r["tflops"] = r["images_per_s"] * flops / 1e12
            r["ratio"] = r["images_per_s"] / best_torch if r["framework"] == "keras" else None
            ratio = f"{r['ratio']:6.2f}" if r["ratio"] is not None else f"{'':6s}"
            print(f"{name:14s} {r['framework']:7s} {r['variant']:11s} {r['images_per_s']:10,.1f} "
                  f"{r['tflops']:8.2f} {ratio} {r['warmup_s']:9.1f} {r['loss']:7.4f}", flush=True)
        results.append({"model": name, "parameters": n_keras, "train_flops_per_image": flops,
                        "rows": rows})
    memory = {
        "host_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "jax_device_peak_mib": (_device_peak_bytes() or 0) / 2**20 or None,
        "torch_device_peak_mib": (torch.cuda.max_memory_allocated() / 2**20
                                  if torch_device == "cuda" else None),
    }
    header["tensorflow_imported"] = "tensorflow" in sys.modules
    print("memory: " + ", ".join(f"{k} {v:,.0f}" if v else f"{k} n/a" for k, v in memory.items()))
    print(f"ratio = Keras images/s / best PyTorch images/s of the same model; TFLOP/s from "
          f"3 x 2 x conv MACs per image. TensorFlow imported: {header['tensorflow_imported']}")
    if args.out:
        Path(args.out).write_text(json.dumps({"header": header, "args": vars(args),
                                              "results": results, "memory": memory},
                                             indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
