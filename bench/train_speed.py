"""Benchmark (not a test): training images/s of each paper network on this CPU, beside PyTorch.

For each network, in one process and on the same uint8 images (100x100 by default):

- keras: the project's own training step: ``build_colorizer`` + ``Colorizer.configure``
  (MSE, Adam 1e-3, the RunConfig's precision and jit_compile) + ``model.fit`` over
  ``pipeline.from_arrays`` (the cached uint8 array, shuffled, Lab computed inside the step),
  i.e. what ``colorization.train.train`` runs;
- torch: ``bench/reference_torch.py``, the same architecture (parameter counts asserted
  equal), the same uint8 -> Lab step, MSE, Adam; batches indexed from an in-memory tensor.

Each side runs ``--warmup`` steps (compilation, allocation), then ``--steps`` timed steps.

    python bench/train_speed.py                               # all five networks
    python bench/train_speed.py --models autoencoder --steps 3 --batch-size 8   # a quick look
    python bench/train_speed.py --jit-compile auto,true        # compare Keras' XLA settings

Backend: TensorFlow unless ``KERAS_BACKEND`` says otherwise. PyTorch is an optional
dependency: without it the torch column is left empty.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from colorization import runtime  # noqa: E402

runtime.quiet()  # TensorFlow imported quietly, before keras does

MODEL_NAMES = ("zhang_full", "zhang_fruits", "zhang_animals", "autoencoder", "autoencoder_small")


def _parse_jit(value: str):
    return {"auto": "auto", "true": True, "false": False}[value.lower()]


class _StepClock(keras.callbacks.Callback):
    """Wall time at the end of each training batch (the loss is read, so the step is done)."""

    def __init__(self):
        super().__init__()
        self.times = []
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float((logs or {}).get("loss", float("nan"))))
        self.times.append(time.perf_counter())


def keras_rate(name, images, *, batch_size, warmup, steps, jit_compile, precision, seed=0):
    """images/s of the project's training step (fit over the cached uint8 array)."""
    from colorization import pipeline
    from colorization.registry import build_colorizer
    from colorization.train import RunConfig

    keras.utils.set_random_seed(seed)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        config = RunConfig(model=name, batch_size=batch_size, image_size=images.shape[1],
                           precision=precision, jit_compile=jit_compile, lr_schedule="constant")
        model = build_colorizer(name, images.shape[1])
        model.configure(lambda: keras.optimizers.Adam(config.learning_rate), loss=config.loss,
                        jit_compile=config.jit_compile)
        dataset = pipeline.from_arrays(images, batch_size, shuffle=True, seed=seed)
        if hasattr(dataset, "repeat"):
            dataset = dataset.repeat()
        clock = _StepClock()
        start = time.perf_counter()
        model.fit(dataset, epochs=1, steps_per_epoch=warmup + steps, callbacks=[clock],
                  shuffle=False, verbose=0)
        seconds = clock.times[-1] - clock.times[warmup - 1]
        return {
            "images_per_s": steps * batch_size / seconds,
            "seconds": seconds,
            "warmup_s": clock.times[warmup - 1] - start,
            "loss": clock.losses[-1],
            "jit_compile": model.jit_compile,
        }
    finally:
        keras.config.set_dtype_policy(previous)


def torch_rate(name, images, *, batch_size, warmup, steps, compile=False, channels_last=False,
               seed=0):
    import reference_torch as ref
    import torch

    trainer = ref.TorchTrainer(name, "cpu", compile=compile, channels_last=channels_last,
                               seed=seed)
    return ref.time_steps(trainer, torch.from_numpy(images), batch_size, warmup, steps, seed)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODEL_NAMES))
    p.add_argument("--image-size", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--images", type=int, default=1024, help="size of the cached uint8 array")
    p.add_argument("--jit-compile", default="auto",
                   help="comma-separated Keras jit_compile settings to time: auto,true,false")
    p.add_argument("--precision", default="float32",
                   help="Keras dtype policy: float32, mixed_bfloat16, mixed_float16")
    p.add_argument("--torch-compile", action="store_true", help="torch.compile the reference")
    p.add_argument("--torch-channels-last", action="store_true")
    p.add_argument("--no-torch", action="store_true", help="Keras only")
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    args = p.parse_args(argv)
    if args.warmup < 1 or args.steps < 1:
        p.error("--warmup and --steps must be >= 1")
    names = [n for n in args.models.split(",") if n]
    jits = [_parse_jit(j) for j in args.jit_compile.split(",") if j]

    have_torch = not args.no_torch
    if have_torch:
        try:
            import torch
        except ImportError:
            have_torch = False
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, args.image_size, args.image_size, 3),
                          dtype=np.uint8)

    threads = f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if have_torch \
        else ""
    header = (f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
              f"keras {keras.__version__} ({keras.backend.backend()}){threads}; "
              f"{args.image_size}x{args.image_size}, batch {args.batch_size}, "
              f"{args.warmup} warm-up + {args.steps} timed steps, {args.precision}; "
              f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(header, flush=True)
    cols = f"{'model':18s} {'keras jit':>9s} {'keras img/s':>12s} {'torch img/s':>12s} " \
           f"{'ratio':>6s} {'keras warm-up s':>16s}"
    print(cols)
    rows = []
    for name in names:
        torch_result = None
        if have_torch:
            torch_result = torch_rate(name, images, batch_size=args.batch_size,
                                      warmup=args.warmup, steps=args.steps,
                                      compile=args.torch_compile,
                                      channels_last=args.torch_channels_last)
        for jit in jits:
            k = keras_rate(name, images, batch_size=args.batch_size, warmup=args.warmup,
                           steps=args.steps, jit_compile=jit, precision=args.precision)
            t = torch_result["images_per_s"] if torch_result else float("nan")
            ratio = k["images_per_s"] / t if torch_result else float("nan")
            label = f"{jit}" if jit == "auto" else str(jit).lower()
            if jit == "auto":
                label = f"auto={str(k['jit_compile']).lower()}"
            print(f"{name:18s} {label:>9s} {k['images_per_s']:12,.1f} {t:12,.1f} {ratio:6.2f} "
                  f"{k['warmup_s']:16.1f}", flush=True)
            rows.append({"model": name, "jit_compile": str(jit), "resolved_jit": k["jit_compile"],
                         "keras": k, "torch": torch_result, "ratio": ratio})
        keras.backend.clear_session()
    if args.out:
        Path(args.out).write_text(json.dumps({"header": header, "args": vars(args), "rows": rows},
                                             indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
