"""Benchmark (not a test): training images/s on a GPU, Keras on JAX beside PyTorch.

For a machine with JAX and PyTorch but no TensorFlow (``KERAS_BACKEND=jax``, Keras from
wheels). TensorFlow is never imported: an import hook refuses it, so a library import that
would need it fails loudly instead of passing here and failing there.

For each network (default ``autoencoder``, ``zhang_full``, ``zhang_animals``) at 100x100, in
one process and on the same uint8 images (random content; speed does not depend on it):

Keras:

- ``train`` (the "project" column): the library's own training entry point,
  ``colorization.runs.train.train(RunConfig(...), run_dir)``, on the library's synthetic fruits
  (``--images`` of them), for ``--train-epochs`` epochs, with the library's own input path,
  callbacks (backup, snapshots, history) and defaults (``jit_compile``, learning-rate
  schedule); only the model, batch size, image size and ``--precision`` are set. Whatever
  input path ``train`` picks on this machine (host-fed batches, or the dataset on the
  device) is what is timed. images/s: whole epochs after the first (the first compiles),
  epoch-end work included; ``step_images_per_s`` (inside those epochs, epoch ends left out)
  and the wall time of the call are in the JSON.

and, built the same way (``build_colorizer`` + ``Colorizer.configure``: MSE, Adam 1e-3,
``--precision``, jit), three ways of feeding the same compiled ``train_step``:

- ``fit-device``: ``model.fit`` over :class:`DeviceBatches`, the dataset kept on the GPU as a
  uint8 array, each batch gathered on the device (no host round-trip per step);
- ``fit-host``: ``model.fit`` over ``pipeline.from_arrays(backend="numpy")``: what
  ``colorization.runs.train`` feeds today where TensorFlow is absent (uint8 batches from host RAM);
- ``step``: the model's own ``train_step`` inside one ``jax.jit`` with the random batch
  gathered in the same program, called in a Python loop: the floor of Keras' per-step
  overhead (no callbacks, no iterator);

PyTorch (``bench/reference_torch.py``: the same architecture, parameter counts asserted equal;
the same uint8 -> Lab step on the device, MSE, fused Adam, bf16 autocast, channels-last):

- ``eager`` and ``compile`` (``torch.compile`` of forward + loss).

Reported: images/s, achieved TFLOP/s (analytic: 3 x 2 x conv MACs per image, the usual
forward + two backward convention; norms, Lab and Adam not counted; XLA's own count of the
``step`` program is given beside it), ratio Keras / best PyTorch, peak device memory and host
RSS. The table is printed and, with ``--out``, written as JSON, with ``--markdown`` as a
Markdown table (network, project ``train`` images/s, best PyTorch images/s, ratio, TFLOP/s).

    KERAS_BACKEND=jax python bench/gpu.py --out gpu.json --markdown gpu.md   # on the GPU
    python bench/gpu.py --cpu                                      # a check on a CPU, tiny

Default variants: Keras ``train`` and PyTorch ``compile`` (the comparison the ratio is
about, within 10 minutes on one H100 for the three networks); add ``--keras
train,fit-device,fit-host,step --torch compile,eager`` for the full picture.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import workers  # noqa: E402  (bench/workers.py: the TensorFlow guard shared with train_speed)

DEFAULT_MODELS = "autoencoder,zhang_full,zhang_animals"


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
    p.add_argument("--keras", default="train",
                   help="Keras variants to time: train (the library's train()), fit-device, "
                        "fit-host, step")
    p.add_argument("--train-epochs", type=int, default=None,
                   help="epochs of the train variant (default 3; --cpu: 2); the first is "
                        "not timed")
    p.add_argument("--torch", default=None,
                   help="PyTorch variants: eager, compile, or none (default compile; "
                        "--cpu: eager)")
    p.add_argument("--no-channels-last", action="store_true", help="PyTorch in NCHW")
    p.add_argument("--allow-tensorflow", action="store_true",
                   help="do not refuse 'import tensorflow' (for machines that have it)")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--markdown", default=None, help="write the table as Markdown here")
    args = p.parse_args(argv)
    small = args.cpu
    args.batch_size = args.batch_size or (4 if small else 256)
    args.steps = args.steps or (2 if small else 50)
    args.warmup = max(3, args.warmup or (3 if small else 5))
    args.images = args.images or (max(16, args.batch_size * args.steps) if small else 16384)
    args.images = max(args.images, args.batch_size * max(args.steps, args.warmup))
    args.images -= args.images % args.batch_size
    args.torch = args.torch or ("eager" if small else "compile")
    args.train_epochs = max(2, args.train_epochs or (2 if small else 3))
    return args


ARGS = _parse(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:
    if ARGS.cpu:
        os.environ["JAX_PLATFORMS"] = "cpu"
    if not ARGS.allow_tensorflow:
        sys.meta_path.insert(0, workers.RefuseTensorFlow())
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
    from colorization.nets.registry import build_colorizer
    from colorization.runs.config import RunConfig

    keras.config.set_dtype_policy(precision)
    config = RunConfig(model=name, image_size=image_size, precision=precision, jit_compile=True,
                       lr_schedule="constant")
    model = build_colorizer(name, image_size)
    model.configure(lambda: keras.optimizers.Adam(config.learning_rate), loss=config.loss,
                        jit_compile=config.jit_compile)
    return model


def keras_fit(name, data_device, images_host, args, host: bool):
    """``model.fit`` over device-resident (``host=False``) or host NumPy batches."""
    from colorization.data import pipeline

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


class _EpochClock(keras.callbacks.Callback):
    """Wall time at each batch end and epoch end (the loss is read: the step is done)."""

    def __init__(self):
        super().__init__()
        self.batches = []  # (epoch, time)
        self.epoch_ends = []
        self.epoch_images = []  # from the library's own EpochTiming logs, where present
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        float((logs or {}).get("loss", 0.0))
        self.batches.append((self.epoch, time.perf_counter()))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_ends.append(time.perf_counter())
        logs = logs or {}
        if "images_per_second" in logs and "seconds" in logs:
            self.epoch_images.append(round(logs["images_per_second"] * logs["seconds"]))


def keras_train(name, args):
    """The project's training entry point, ``colorization.runs.train.train``, timed.

    Library defaults everywhere except the model, the batch and image sizes, the precision,
    the number of images and epochs; the run goes to a temporary folder."""
    import shutil
    import tempfile

    from colorization.runs.config import RunConfig
    from colorization.runs.train import train

    config = RunConfig(model=name, data="synthetic-fruits", epochs=args.train_epochs,
                       batch_size=args.batch_size, image_size=args.image_size,
                       precision=args.precision, max_images=args.images,
                       max_test_images=min(args.batch_size, 64), snapshot_epochs=[],
                       snapshot_images=2)
    run_dir = Path(tempfile.mkdtemp(prefix=f"bench-train-{name}-"))
    clock = _EpochClock()
    try:
        start = time.perf_counter()
        train(config, run_dir, verbose=0, callbacks=[clock])
        wall_s = time.perf_counter() - start
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    per_epoch = [sum(1 for e, _ in clock.batches if e == k) for k in range(args.train_epochs)]
    if len(clock.epoch_ends) < args.train_epochs or min(per_epoch) < 2:
        raise RuntimeError(f"train({name}) ran {per_epoch} steps per epoch; raise --images")
    if len(clock.epoch_images) == args.train_epochs:
        images = sum(clock.epoch_images[1:])
    else:  # full batches only (a short last batch is counted whole: an upper bound)
        images = config.batch_size * sum(per_epoch[1:])
    seconds = clock.epoch_ends[-1] - clock.epoch_ends[0]
    # inside each timed epoch: first batch end -> last batch end (epoch-end work left out)
    step_images = step_seconds = 0.0
    for k in range(1, args.train_epochs):
        times = [t for e, t in clock.batches if e == k]
        step_images += (len(times) - 1) * config.batch_size
        step_seconds += times[-1] - times[0]
    warmup_s = clock.epoch_ends[0] - start
    return {"images_per_s": images / seconds, "seconds": seconds, "warmup_s": warmup_s,
            "step_images_per_s": step_images / step_seconds, "wall_s": wall_s,
            "steps_per_epoch": per_epoch, "loss": float("nan")}


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

    from colorization.nets import models, registry

    names = [n for n in args.models.split(",") if n]
    keras_variants = [v for v in args.keras.split(",") if v]
    torch_variants = [v for v in args.torch.split(",") if v and v != "none"]
    unknown = set(keras_variants) - {"train", "fit-device", "fit-host", "step"}
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
            if variant == "train":
                r = keras_train(name, args)
            elif variant == "step":
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
    from colorization.core import fileio

    if args.out:
        fileio.write_json(args.out, json.loads(json.dumps(
            {"header": header, "args": vars(args), "results": results, "memory": memory},
            default=str)))
    if args.markdown:
        fileio.write_text(args.markdown, markdown_table(header, results, memory))
    return 0


def markdown_table(header, results, memory) -> str:
    """The comparison as Markdown: per network, the project's ``train`` (or the first Keras
    variant timed) beside the fastest PyTorch variant."""
    lines = [f"Measured {header['date']} on {header['jax_device']} (PyTorch: "
             f"{header['torch_device']}), host {header['host']}; {header['versions']}; "
             f"{header['settings']}.", "", f"Command: `{header['command']}`", "",
             "| network | Keras variant | Keras img/s | PyTorch (best) | PyTorch img/s | ratio "
             "| Keras TFLOP/s | Keras warm-up s |",
             "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for result in results:
        rows = result["rows"]
        torch_rows = [r for r in rows if r["framework"] == "torch"]
        best = max(torch_rows, key=lambda r: r["images_per_s"], default=None)
        for r in (r for r in rows if r["framework"] == "keras"):
            ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else "-"
            lines.append(
                f"| {result['model']} | {r['variant']} | {r['images_per_s']:,.1f} | "
                f"{best['variant'] if best else '-'} | "
                f"{best['images_per_s'] if best else float('nan'):,.1f} | {ratio} | "
                f"{r['tflops']:.2f} | {r['warmup_s']:.1f} |")
    peak = memory.get("jax_device_peak_mib")
    lines += ["", f"Peak device memory (JAX, whole process): "
                  f"{f'{peak:,.0f} MiB' if peak else 'not reported'}; host peak RSS "
                  f"{memory['host_peak_rss_mib']:,.0f} MiB.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(ARGS))
