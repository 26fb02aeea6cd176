"""Benchmark (not a test): training images/s of each paper network on this CPU, beside PyTorch.

Each side runs in its own process (:mod:`workers`); TensorFlow and PyTorch never share one.
For each network, on the same uint8 images (100x100 by default), same batch size, float32:

- keras: the project's own training step, as ``colorization.runs.train`` runs it:
  ``build_colorizer`` + ``Colorizer.configure`` (MSE, Adam 1e-3, the RunConfig's precision
  and ``jit_compile``) + one ``model.fit`` over ``pipeline.from_arrays`` (the cached uint8
  array, shuffled, Lab computed inside the step). The worker pauses ``fit`` between trials
  (a callback waits at a batch boundary), so no step is ever timed twice or left out;
- torch: ``bench/reference_torch.py --time``: the same network (``reference_torch.py
  --check`` asserts it), the same uint8 -> Lab step, MSE, Adam, ``set_num_threads`` = the
  core count, in each of ``--torch-modes`` (eager NCHW, channels-last, ``torch.compile``);
  the baseline is the fastest mode of each network.

After each side's warm-up, the sides take turns: ``--trials`` rounds of one trial each
(``--steps`` steps, or about ``--trial-seconds`` of work), the order rotating from round to
round, so a busy spell of the machine hits every side. Reported: the median images/s of each
side, ratio = Keras median / best PyTorch median.

    python bench/train_speed.py                               # all five networks
    python bench/train_speed.py --models autoencoder --trials 3   # a quick look
    python bench/train_speed.py --models zhang_full --keras-variants project,xla,onednn-off

Backend: TensorFlow unless ``KERAS_BACKEND`` says otherwise. Keras variants (profiling):
``project`` (the library's settings, the one the ratio is about), ``xla`` (``jit_compile=
True``), ``nojit`` (``jit_compile=False``), ``onednn-off`` (``TF_ENABLE_ONEDNN_OPTS=0``:
TensorFlow's Eigen CPU kernels, :func:`colorization.core.runtime.use_onednn`), ``inter1`` (one
inter-op thread), and ``keras-conv``: the library's TensorFlow CPU rewrite
(:mod:`colorization.nets.tf_cpu`, the dilated convolutions' gradients) turned off with
``tf_cpu.switched``, for comparison; join several with ``+`` (``nojit+keras-conv``).
``bench/tf_cpu.py`` measures the rewrite in one process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import workers  # noqa: E402

MODEL_NAMES = ("zhang_full", "zhang_fruits", "zhang_animals", "autoencoder", "autoencoder_small")
KERAS_VARIANTS = {  # name -> (worker flags, environment)
    "project": ([], {}),
    "xla": (["--jit-compile", "true"], {}),
    "nojit": (["--jit-compile", "false"], {}),
    "onednn-off": ([], {"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "inter1": (["--inter-op-threads", "1"], {}),
    "keras-conv": (["--keras-conv"], {}),
}


# --------------------------------------------------------------------------------------------
# The Keras worker (a subprocess of the parent below)


def keras_worker(args) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    sys.path.insert(0, str(ROOT / "lib"))
    if args.threads or args.inter_op_threads:
        import tensorflow as tf

        if args.threads:
            tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        if args.inter_op_threads:
            tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)

    from colorization.core import runtime

    runtime.prepare_tensorflow()  # oneDNN on, TensorFlow imported quietly, before keras
    import keras

    from colorization.nets import tf_cpu

    # The library's TensorFlow CPU rewrite, for comparison off (--keras-conv). The step is
    # traced inside tf_cpu.switched (fit's first batch).
    rewrites = not args.keras_conv

    # The library's training entry points (the same calls as colorization.runs.train.train).
    from colorization.data import pipeline
    from colorization.nets.registry import build_colorizer
    from colorization.runs.config import RunConfig
    from colorization.runs.train import make_optimizer

    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    images = workers.synthetic_images(args.images, args.image_size, args.seed)
    keras.utils.set_random_seed(args.seed)
    keras.config.set_dtype_policy(args.precision)
    config = RunConfig(model=args.model, batch_size=args.batch_size, image_size=args.image_size,
                       precision=args.precision, jit_compile=jit, lr_schedule="constant")
    model = build_colorizer(config.model, config.image_size)
    model.configure(lambda: make_optimizer(config, steps_per_epoch=1), loss=config.loss,
                    jit_compile=config.jit_compile)
    dataset = pipeline.from_arrays(images, config.batch_size, shuffle=True, seed=args.seed)
    if hasattr(dataset, "repeat"):
        dataset = dataset.repeat()

    class Trials(keras.callbacks.Callback):
        """Pauses fit at batch boundaries: after the warm-up, and after each trial."""

        def __init__(self):
            super().__init__()
            self.requests = workers.commands()
            self.left = args.warmup - 1
            self.phase = "warmup"

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            loss = float((logs or {}).get("loss", float("nan")))  # the step is finished
            now = time.perf_counter()
            self.left -= 1
            if self.left > 0:
                return
            if self.phase == "warmup":
                self.warmup_s = now - self.start
                self.phase = "last-warmup"
                self.left, self.start = 1, time.perf_counter()
                return
            if self.phase == "last-warmup":
                workers.emit(event="ready", framework="keras", model=args.model,
                             backend=keras.backend.backend(), version=keras.__version__,
                             jit_compile=model.jit_compile, step_s=now - self.start,
                             warmup_s=self.warmup_s + now - self.start, loss=loss,
                             tf_cpu_rewrites=sorted(tf_cpu.used()), **_tf_settings())
            else:
                workers.emit(event="trial", seconds=now - self.start,
                             images=self.steps * args.batch_size, steps=self.steps, loss=loss)
            self.phase = "trial"
            self.steps = next(self.requests, None)
            if self.steps is None:
                self.model.stop_training = True
                return
            self.left, self.start = self.steps, time.perf_counter()

    tf_cpu.reset_used()  # "ready" reports the rewrites of the traced step, not of the build
    with tf_cpu.switched(rewrites):
        model.fit(dataset, epochs=1, steps_per_epoch=10**9, callbacks=[Trials()], shuffle=False,
                  verbose=0)


def _tf_settings() -> dict:
    if "tensorflow" not in sys.modules:
        return {}
    import tensorflow as tf

    return {"tf_version": tf.__version__,
            "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")}


# --------------------------------------------------------------------------------------------
# The parent: starts the workers, interleaves their trials, prints the table


def _common(args, model) -> list[str]:
    return ["--image-size", str(args.image_size), "--batch-size", str(args.batch_size),
            "--warmup", str(args.warmup), "--images", str(args.images)]




def _keras_worker(args, model, variant) -> workers.Worker:
    flags, env = [], {"PYTHONPATH": os.pathsep.join(
        [str(ROOT / "lib"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    for part in variant.split("+"):
        if part not in KERAS_VARIANTS:
            sys.exit(f"unknown Keras variant {part!r}; expected one of {sorted(KERAS_VARIANTS)}")
        flags += KERAS_VARIANTS[part][0]
        env.update(KERAS_VARIANTS[part][1])
    argv = [sys.executable, str(HERE / "train_speed.py"), "--keras-worker", model,
            "--precision", args.precision, *_common(args, model), *flags]
    if args.threads:
        argv += ["--threads", str(args.threads)]
    return workers.Worker(f"keras {variant}", argv, env)


def _torch_worker(args, model, mode) -> workers.Worker:
    argv = [sys.executable, str(HERE / "reference_torch.py"), "--time", model, "--serve",
            "--mode", mode, *_common(args, model)]
    if args.threads:
        argv += ["--threads", str(args.threads)]
    return workers.Worker(f"torch {mode}", argv)


def _torch_problem() -> str | None:
    """Why PyTorch cannot run here (None when it can), checked in a subprocess."""
    if importlib.util.find_spec("torch") is None:
        return _missing()
    probe = subprocess.run([sys.executable, "-c", "import torch; torch.ones(2) @ torch.ones(2)"],
                           capture_output=True, text=True)
    if probe.returncode:
        tail = "\n".join((probe.stderr or "").splitlines()[-5:])
        return f"PyTorch is installed but does not start (exit status {probe.returncode}):\n{tail}"
    return None


def _missing() -> str:
    return ("PyTorch is not installed in this environment; the benchmark's reference needs "
            "it. Run `make bench`, which installs the bench layer, or install a CPU build "
            "yourself: pip install torch --index-url https://download.pytorch.org/whl/cpu")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODEL_NAMES))
    p.add_argument("--image-size", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first per side (>= 2)")
    p.add_argument("--trials", type=int, default=5, help="timed trials per side (median)")
    p.add_argument("--steps", type=int, default=None,
                   help="steps per trial (default: about --trial-seconds of work)")
    p.add_argument("--trial-seconds", type=float, default=6.0)
    p.add_argument("--images", type=int, default=512, help="size of the cached uint8 array")
    p.add_argument("--precision", default="float32",
                   help="Keras dtype policy (PyTorch runs float32): float32 for a fair table")
    p.add_argument("--keras-variants", default="project",
                   help=f"comma-separated, from {sorted(KERAS_VARIANTS)}; '+' combines")
    p.add_argument("--torch-modes", default="eager,channels_last",
                   help="comma-separated: eager, channels_last, compile, compile_channels_last "
                        "(the baseline is the fastest that works)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads of both sides (TensorFlow intra-op, torch.set_num_threads); "
                        "default: each framework's own (the core count)")
    p.add_argument("--no-torch", action="store_true", help="Keras only")
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    # worker mode (started by the parent)
    p.add_argument("--keras-worker", metavar="MODEL", help=argparse.SUPPRESS)
    p.add_argument("--jit-compile", default="auto", choices=["auto", "true", "false"],
                   help=argparse.SUPPRESS)
    p.add_argument("--inter-op-threads", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--keras-conv", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.keras_worker:
        args.model = args.keras_worker
        try:
            keras_worker(args)
        except Exception as error:
            workers.emit(event="error", message=f"{type(error).__name__}: {error}")
            raise
        return 0
    if args.warmup < 2 or args.trials < 1 or (args.steps is not None and args.steps < 1):
        p.error("--warmup must be >= 2, --trials and --steps >= 1")
    names = [n for n in args.models.split(",") if n]
    unknown = sorted(set(names) - set(MODEL_NAMES))
    if unknown:
        p.error(f"unknown model(s) {unknown}; expected some of {MODEL_NAMES}")
    variants = [v for v in args.keras_variants.split(",") if v]
    modes = [] if args.no_torch else [m for m in args.torch_modes.split(",") if m]
    if modes:
        problem = _torch_problem()
        if problem:
            print(problem, file=sys.stderr)
            return 2

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = os.cpu_count() or 1
    header = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{workers.cpu_name()}, {cores} cores",
        "load_at_start": round(load, 2),
        "settings": f"{args.image_size}x{args.image_size}, batch {args.batch_size}, "
                    f"{args.warmup} warm-up steps, {args.trials} interleaved trials per side, "
                    f"Keras {args.precision}, PyTorch float32",
        "command": "python bench/train_speed.py " + " ".join(sys.argv[1:] if argv is None
                                                             else argv),
    }
    print("; ".join(f"{k}: {v}" for k, v in header.items()), flush=True)
    if load > 0.5 * cores:
        print(f"warning: this machine is busy (load {load:.1f} on {cores} cores): the figures "
              f"will be slow and noisy, PyTorch's more than TensorFlow's; run it on a quiet "
              f"machine", file=sys.stderr, flush=True)
    print(f"{'network':18s} {'keras':12s} {'keras img/s':>11s} {'torch img/s':>11s} "
          f"{'ratio':>6s}  {'torch mode':14s} {'trials (keras | torch img/s)'}", flush=True)
    rows, failures = [], []
    for name in names:
        row = _measure(name, args, variants, modes, failures)
        rows.extend(row)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        sys.path.insert(0, str(ROOT / "lib"))
        from colorization.core import fileio  # the Keras side needs the library anyway

        fileio.write_json(out, json.loads(json.dumps(
            {"header": header, "args": vars(args), "rows": rows, "failures": failures},
            default=str)))
        print(f"written: {out}")
    print("ratio = median Keras images/s / median images/s of the fastest PyTorch mode; "
          "each side in its own process, trials interleaved.")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    keras_failed = any(f.startswith("keras") for f in failures)
    return 1 if keras_failed or (modes and all(r["torch_img_s"] is None for r in rows)) else 0


def _measure(name, args, variants, modes, failures) -> list[dict]:
    sides = []
    for label, make in [*[(f"keras {v}", lambda v=v: _keras_worker(args, name, v))
                          for v in variants],
                        *[(f"torch {m}", lambda m=m: _torch_worker(args, name, m))
                          for m in modes]]:
        worker = make()  # one at a time: warm-ups do not overlap
        try:
            worker.wait_ready()
            sides.append(worker)
        except workers.WorkerError as error:
            failures.append(f"{name}: {error}")
            print(f"{name:18s} {label}: failed, see the end of the output", flush=True)
    try:
        for worker in sides:
            step_s = worker.ready.get("step_s") or worker.ready["warmup_s"] / args.warmup
            worker.steps = args.steps or max(1, min(50, round(args.trial_seconds / step_s)))
        n = len(sides)
        for round_ in range(args.trials):
            order = sides[round_ % n:] + sides[:round_ % n] if n else []
            for worker in order[::-1] if round_ % 2 else order:
                try:
                    worker.trial(worker.steps)
                except workers.WorkerError as error:
                    failures.append(f"{name}: {error}")
                    sides.remove(worker)
    finally:
        for worker in sides:
            worker.close()
    torch_sides = [w for w in sides if w.label.startswith("torch") and w.trials]
    best = max(torch_sides, key=lambda w: w.median_rate(), default=None)
    rows = []
    for worker in sides:
        if not worker.label.startswith("keras") or not worker.trials:
            continue
        k = worker.median_rate()
        t = best.median_rate() if best else None
        ratio = k / t if t else None
        spread = " ".join(_rate(r) for r in worker.rates())
        if best:
            spread += " | " + " ".join(_rate(r) for r in best.rates())
        t_text = f"{_rate(t):>11s}" if t else f"{'-':>11s}"
        r_text = f"{ratio:6.2f}" if ratio else f"{'-':>6s}"
        mode = best.label.split(" ", 1)[1] if best else "-"
        print(f"{name:18s} {worker.label[6:]:12s} {_rate(k):>11s} {t_text} {r_text}  {mode:14s} "
              f"{spread}", flush=True)
        rows.append({
            "model": name, "keras_variant": worker.label[6:], "keras_img_s": k,
            "torch_img_s": t, "ratio": ratio, "torch_mode": mode,
            "keras": {"ready": worker.ready, "trials": worker.trials},
            "torch": {w.label[6:]: {"ready": w.ready, "trials": w.trials,
                                    "median_img_s": w.median_rate()} for w in torch_sides},
        })
    for w in torch_sides:
        if w is not best and len(torch_sides) > 1:
            print(f"{'':18s} {'':12s} {'':11s} {_rate(w.median_rate()):>11s} {'':6s}  "
                  f"{w.label[6:]:14s} (slower mode)", flush=True)
    return rows


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value >= 10 else f"{value:.3g}"


if __name__ == "__main__":
    sys.exit(main())
