"""Benchmark (not a test): does each TensorFlow CPU rewrite earn its place?

:mod:`colorization.nets.tf_cpu` keeps a rewrite of a TensorFlow internal only when it makes a
whole training step of at least one of the paper's networks faster. This measures it, in one
process, on this machine's CPU: for each network, one model per variant, compiled as
``colorization.runs.train`` compiles it (``build_colorizer`` + ``Colorizer.configure`` with
``make_optimizer`` of a ``RunConfig``, MSE):

- ``all``: every rewrite on (the library's default);
- ``none``: every rewrite off (Keras' and TensorFlow's own paths).

With one rewrite left (``conv_dilated``), ``none`` is the step without it; a network that never
takes it (:func:`tf_cpu.counting` while tracing ``all`` says) is not timed.

Each model's training step is traced, and run, inside ``tf_cpu.switched(<its variant>)``. All
models of a network start from the same weights and train on the same uint8 batch. Each is
warmed up (the trace and 2 steps); then, for ``--trials`` rounds, each variant in turn (the
order rotating from round to round, so a busy spell of the machine hits every variant) runs
``--steps`` timed ``train_on_batch`` steps. Reported per variant: the median step time over the
trials, its spread (min..max of the trials) and images/s; and the gain of the rewrites, all against
none: median(none) / median(all) - 1.

    python bench/tf_cpu.py                                  # all five networks, 100x100
    python bench/tf_cpu.py --models zhang_fruits autoencoder --trials 7 --out tf_cpu.json

Only one network's models are alive at a time (``zhang_full`` has 32M weights). Run it on a
quiet machine: the gains of the smaller rewrites are a few percent.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(HERE))

import workers  # noqa: E402

MODEL_NAMES = ("zhang_full", "zhang_fruits", "zhang_animals", "autoencoder", "autoencoder_small")

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(MODEL_NAMES), choices=MODEL_NAMES,
                   metavar="NAME", help=f"networks, from {', '.join(MODEL_NAMES)} (default: all)")
    p.add_argument("--image-size", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--trials", type=int, default=5, help="timed rounds per variant (median)")
    p.add_argument("--steps", type=int, default=3, help="train_on_batch steps per trial")
    p.add_argument("--data", choices=("synthetic-fruits", "random"), default="synthetic-fruits",
                   help="the uint8 batch: generated fruit images, or random pixels")
    p.add_argument("--jit-compile", choices=("auto", "true", "false"), default="auto",
                   help="as RunConfig.jit_compile ('auto': Keras' choice, no XLA on a CPU)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    args = p.parse_args(argv)
    if args.trials < 1 or args.steps < 1 or args.batch_size < 1 or args.image_size < 8:
        p.error("--trials, --steps and --batch-size must be >= 1, --image-size >= 8")

    from colorization.core import runtime

    runtime.prepare_tensorflow()  # oneDNN on, TensorFlow imported quietly, before keras
    import keras
    import numpy as np

    from colorization.nets import tf_cpu

    problem = _why_not(keras, tf_cpu)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    import tensorflow as tf

    header = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{workers.cpu_name()}, {os.cpu_count()} cores",
        "load_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "onednn": tf_cpu.onednn_enabled(),
        "settings": f"{args.image_size}x{args.image_size}, batch {args.batch_size}, "
                    f"{args.data} images, float32, jit_compile {args.jit_compile}, warm-up: "
                    f"trace + 2 steps, {args.trials} rotating trials of {args.steps} steps",
        "command": "python bench/tf_cpu.py " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    for key, value in header.items():
        print(f"{key}: {value}", flush=True)
    batch = tf.constant(_batch(args, np))
    results, failures = {}, []
    print(f"\n{'network':18s} {'variant':24s} {'step ms':>9s} {'min..max ms':>15s} "
          f"{'img/s':>8s} {'gain':>8s}", flush=True)
    for name in args.models:
        try:
            results[name] = _measure(name, args, batch, keras, np, tf_cpu)
        except Exception as error:  # one network failing (memory, say) leaves the others
            traceback.print_exc()
            failures.append(f"{name}: {type(error).__name__}: {error}")
            print(f"{name:18s} failed: {type(error).__name__}: {error}", flush=True)
        finally:
            keras.backend.clear_session()
            gc.collect()
    print("\nstep ms: median over the trials of the mean step time of a trial; none: all "
          "rewrites off, its gain = median(none) / median(all) - 1 (how much slower a step is "
          "without them).")
    if args.out:
        from colorization.core import fileio

        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_json(out, {"header": header, "args": vars(args), "networks": results,
                                "failures": failures})
        print(f"written: {out}")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _why_not(keras, tf_cpu) -> str | None:
    """Why the rewrites cannot be measured here (None when they can)."""
    if keras.backend.backend() != "tensorflow":
        return (f"the rewrites are TensorFlow's; this Keras runs on {keras.backend.backend()} "
                "(unset KERAS_BACKEND)")
    if tf_cpu.tf_sees_a_gpu():
        return ("TensorFlow sees a GPU, where no rewrite runs: hide it (CUDA_VISIBLE_DEVICES=) "
                "to measure the CPU")
    if not tf_cpu.enabled():
        return f"{tf_cpu.ENV} turns every rewrite off: unset it"
    return None


def _batch(args, np):
    if args.data == "random":
        return workers.synthetic_images(args.batch_size, args.image_size, args.seed)
    from colorization.data import datasets

    images = datasets.load("synthetic-fruits", "train", image_size=args.image_size,
                           max_images=args.batch_size, seed=args.seed).images
    reps = -(-args.batch_size // len(images))  # in case the set is smaller than a batch
    return np.concatenate([images] * reps)[:args.batch_size]


class Variant:
    """One model of a network and the rewrites it is traced with."""

    def __init__(self, label: str, rewrites, model):
        self.label, self.rewrites, self.model = label, rewrites, model
        self.step_s: list[float] = []  # mean step time of each trial
        self.trace_s = self.warmup_s = 0.0
        self.used: dict[str, int] = {}

    def steps(self, tf_cpu, batch, n: int) -> float:
        """``n`` training steps inside the variant's switch; seconds taken."""
        with tf_cpu.switched(self.rewrites):
            start = time.perf_counter()
            for _ in range(n):
                self.model.train_on_batch(batch)  # returns NumPy values: the step is done
            return time.perf_counter() - start

    def summary(self, batch_size: int) -> dict:
        from colorization.nets import tf_cpu

        median = statistics.median(self.step_s)
        allowed = (tf_cpu.NAMES if self.rewrites is True else () if self.rewrites is False
                   else self.rewrites)
        return {"rewrites": sorted(allowed),
                "traced_with": self.used, "trace_s": round(self.trace_s, 3),
                "warmup_s": round(self.warmup_s, 3), "step_s": self.step_s,
                "median_step_s": median, "min_step_s": min(self.step_s),
                "max_step_s": max(self.step_s), "img_s": batch_size / median}


def _measure(name, args, batch, keras, np, tf_cpu) -> dict:
    from colorization.nets.registry import build_colorizer
    from colorization.runs.config import RunConfig
    from colorization.runs.train import make_optimizer

    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    config = RunConfig(model=name, image_size=args.image_size, batch_size=args.batch_size,
                       seed=args.seed, jit_compile=jit)
    initial = []

    def build(label, rewrites) -> Variant:
        keras.utils.set_random_seed(args.seed)
        model = build_colorizer(name, args.image_size)
        model.configure(lambda: make_optimizer(config, steps_per_epoch=100), loss="mse",
                        jit_compile=config.jit_compile)
        if initial:
            model.set_weights(initial)  # the same start for every variant
        else:
            initial.extend(model.get_weights())
        variant = Variant(label, rewrites, model)
        with tf_cpu.counting() as variant.used:
            variant.trace_s = variant.steps(tf_cpu, batch, 1)  # the trace (and a first step)
            variant.warmup_s = variant.trace_s + variant.steps(tf_cpu, batch, 2)
        return variant

    variants = [build("all", True)]
    taken = [x for x in tf_cpu.NAMES if x in variants[0].used]
    if not taken:
        print(f"{name:18s} takes no rewrite at {args.image_size}x{args.image_size}: nothing to "
              "compare", flush=True)
        return {"rewrites_taken": [], "variants": {}, "gains_percent": {}}
    variants.append(build("none", False))
    if variants[1].used:  # a variant that is not what it says would make its gain meaningless
        raise RuntimeError(f"{name} none: traced with {sorted(variants[1].used)}, not []")
    n = len(variants)
    for round_ in range(args.trials):
        order = variants[round_ % n:] + variants[:round_ % n]
        for variant in order[::-1] if round_ % 2 else order:
            variant.step_s.append(variant.steps(tf_cpu, batch, args.steps) / args.steps)
    summaries = {v.label: v.summary(args.batch_size) for v in variants}
    base = summaries["all"]["median_step_s"]
    gains = {"all_vs_none": 100 * (summaries["none"]["median_step_s"] / base - 1)}
    for label, s in summaries.items():
        gain = f"{gains['all_vs_none']:+7.1f}%" if label == "none" else ""
        print(f"{name:18s} {label:24s} {1e3 * s['median_step_s']:9.1f} "
              f"{_spread(s):>15s} {s['img_s']:8.1f} {gain:>8s}", flush=True)
    return {"rewrites_taken": taken, "variants": summaries, "gains_percent": gains}


def _spread(summary) -> str:
    return f"{1e3 * summary['min_step_s']:.1f}..{1e3 * summary['max_step_s']:.1f}"


if __name__ == "__main__":
    sys.exit(main())
