"""The ``colorization`` command line (also ``python -m colorization``).

Exit codes: 0 success; 1 some inputs failed (the others were processed and kept);
2 usage or setup error (bad arguments, missing or refused model, missing Kaggle token,
unwritable output folder, failed download, training stopped on a NaN loss or out of memory);
130 interrupted (finished work is kept).

The commands import the engine inside their functions, after :func:`main` has called
:func:`colorization.core.runtime.prepare_tensorflow` (oneDNN CPU kernels on, quiet start-up):
importing Keras imports TensorFlow, which reads its settings then, and whose start-up lines
would otherwise land on the terminal before the command says anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from colorization.core import fileio, runtime

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR = 0, 1, 2
MAX_IMAGE_SIZE = 1024  # the largest --image-size a training accepts


def _add_train(sub):
    p = sub.add_parser("train", help="train a model into a run directory")
    p.add_argument("--model", required=True, help="network name (see `colorization models`)")
    p.add_argument("--data", default="fruits",
                   help="dataset name (fruits, animals, synthetic-fruits, synthetic-animals) "
                        "or a folder of images")
    p.add_argument("--loss", default=None,
                   help="mse, smooth_l1, smooth_l1_ab (default: the model's own objective)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", required=True, help="run directory to write")
    p.add_argument("--image-size", type=int, default=100,
                   help=f"side of the square training images, 8 to {MAX_IMAGE_SIZE}")
    p.add_argument("--max-images", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None,
                   help="default: 32 on a CPU, the network's GPU batch on a GPU")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--precision", default="auto",
                   choices=["auto", "float32", "mixed_float16", "mixed_bfloat16"],
                   help="default auto: bf16 mixed precision on a GPU, float32 on a CPU")
    p.add_argument("--strategy", default="auto",
                   choices=["auto", "none", "mirrored", "multiworker"])
    p.add_argument("--flip", action="store_true", help="random left-right flips")
    p.add_argument("--deterministic", action="store_true", help="reproducible on the CPU")
    p.add_argument("--force", action="store_true", help="retrain even if the run is finished")


def _add_evaluate(sub):
    p = sub.add_parser("evaluate", help="metrics of a run beside the gray baseline")
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--data", default=None, help="dataset name or folder (default: the run's)")
    p.add_argument("--out", default=None, help="write the metrics JSON here")
    p.add_argument("--max-images", type=int, default=None)
    p.add_argument("--split", default="test", choices=["test", "train", "all"],
                   help="test (default): the images the run never trained on; all: every "
                        "image of a folder")


def _add_colorize(sub):
    p = sub.add_parser("colorize", help="colourise your own photos (any size or mode)")
    p.add_argument("inputs", nargs="+", help="image files or folders")
    src = p.add_mutually_exclusive_group()  # neither: the best finished run of --kind
    src.add_argument("--run", help="a finished run directory (default: the best one found)")
    p.add_argument("--kind", choices=("fruits", "animals"), default="fruits",
                   help="without --run/--model: use the best finished run for this kind")
    src.add_argument("--model", help="a saved .keras colorizer")
    p.add_argument("--out", required=True, help="output folder (inputs are never overwritten)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace results that exist already (default: keep them)")


def _add_data(sub):
    p = sub.add_parser("data", help="download and prepare the Kaggle datasets")
    p.add_argument("names", nargs="*", default=["fruits", "animals"])
    p.add_argument("--archive", default=None, help="use this already-downloaded zip")
    p.add_argument("--force", action="store_true")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="colorization", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_evaluate(sub)
    _add_colorize(sub)
    _add_data(sub)
    sub.add_parser("models", help="list the networks and their parameter counts")
    shown = sub.add_parser("experiments", help="list the experiments, or show one in full")
    shown.add_argument("name", nargs="?", help="an experiment to show with every setting")
    return p


def _train(args) -> int:
    from colorization.nets import registry
    from colorization.runs.config import RunConfig
    from colorization.runs.train import train

    if not 8 <= args.image_size <= MAX_IMAGE_SIZE:
        raise ValueError(f"--image-size must be a whole number from 8 to {MAX_IMAGE_SIZE}, "
                         f"got {args.image_size}: the network's memory grows with its square")
    config = RunConfig(
        model=args.model, data=args.data, epochs=args.epochs,
        loss=args.loss or registry.default_loss(args.model),
        batch_size=args.batch_size, image_size=args.image_size, seed=args.seed,
        learning_rate=args.learning_rate, max_images=args.max_images,
        precision=args.precision, strategy=args.strategy, flip=args.flip,
        deterministic=args.deterministic,
    )
    run = train(config, args.out, force=args.force)
    print(json.dumps(run.status, indent=2))
    return EXIT_OK


def _evaluate(args) -> int:
    from colorization.runs.evaluate import evaluate_run

    result = fileio.finite_json(
        evaluate_run(args.run, args.data, split=args.split, max_images=args.max_images))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        fileio.write_json(args.out, result)  # always valid JSON: NaN is written as null
    print(json.dumps(result, indent=2, sort_keys=True, allow_nan=False))
    return EXIT_OK


def _colorize(args) -> int:
    from colorization.runs.colorize import colorize_files

    if not args.run and not args.model:  # the best finished run for --kind
        from colorization.study import best

        found = best.best_run(args.kind)
        if found is None:
            print(f"error: {best.no_run_message(args.kind)}", file=sys.stderr)
            return EXIT_ERROR
        args.run = found[0]
        print(f"using {found[1]}", file=sys.stderr)
    result = colorize_files(args.inputs, args.out, run_dir=args.run, model_path=args.model,
                            log=lambda m: print(m, file=sys.stderr), overwrite=args.overwrite)
    kept = f", {len(result['kept'])} kept (they exist; --overwrite replaces them)" \
        if result["kept"] else ""
    print(f"{len(result['written'])} written, {len(result['failed'])} failed{kept}")
    return EXIT_PARTIAL if result["failed"] else EXIT_OK


def _data(args) -> int:
    from colorization.acquire.prepare import prepare

    for name in args.names:
        folder = prepare(name, archive=args.archive, force=args.force)
        manifest = json.loads((Path(folder) / "manifest.json").read_text())
        print(f"{name}: {manifest['counts']} -> {folder}")
    return EXIT_OK


def _models(args) -> int:
    from colorization.nets import models, registry

    for name in registry.MODEL_NAMES:
        net = registry.build_model(name)
        paper = registry.PAPER_PARAMS[name]
        print(f"{name:20s} {models.count_trainable(net):>12,d} trainable parameters "
              f"(paper: {'n/a' if paper is None else f'~{paper:,d}'})")
    return EXIT_OK


def _experiments(args) -> int:
    from colorization.study import experiments

    print(experiments.show(args.name) if args.name else experiments.listing())
    return EXIT_OK


def _redacted(text: str) -> str:
    """``text`` with any Kaggle credential of this machine masked (an error of the Kaggle
    client may quote one). Imported here, on the error path only: training never loads the
    acquisition code."""
    from colorization.acquire.credentials import redact

    return redact(text)


COMMANDS = {"train": _train, "evaluate": _evaluate, "colorize": _colorize, "data": _data,
            "models": _models, "experiments": _experiments}


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    runtime.prepare_tensorflow("2")
    try:
        from colorization.study.notebook import apply_environment

        apply_environment()  # the COLORIZATION_* settings, read here and nowhere below
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted; finished work is kept (training resumes from the last epoch)",
              file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError, ArithmeticError, MemoryError) as exc:
        # OSError: missing files, unwritable folders, a full disk; RuntimeError: training
        # faults (NaN loss, out of memory), download and archive errors. No traceback: the
        # message says what to do.
        print(f"error: {_redacted(str(exc) or type(exc).__name__)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
