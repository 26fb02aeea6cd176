"""The finished run that ``colorization colorize --kind`` uses when no run is named."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from colorization.core import fileio, paths
from colorization.runs import evaluate as evaluation
from colorization.runs.rundir import Run
from colorization.study.experiments import PROFILES

KIND_DATASETS = {"fruits": ("fruits", "fruits360-sample", "synthetic-fruits"),
                 "animals": ("animals", "pets-sample", "synthetic-animals")}


def best_run(kind: str = "fruits", root=None, log=None):
    """The finished run best suited to colourise ``kind`` images ("fruits" or "animals"),
    and one line saying why it was chosen; ``None`` when there is none under ``root``
    (default ``runs/``).

    Candidates are finished runs trained on that kind of data (Kaggle, the embedded
    sample or the generated stand-in). Ranked by the ab error over the gray baseline's in
    their stored test metrics (lower is better); runs never evaluated come after, larger
    profiles (paper, quick, smoke) and longer training first. A run whose folder is damaged,
    or whose stored metrics are damaged or not finite and plausible (a NaN or negative
    error, a gray baseline of 0), is skipped: ``log`` (default: standard error) gets one line
    for each, naming the run and why.
    """
    if kind not in KIND_DATASETS:
        raise ValueError(f"kind must be one of {sorted(KIND_DATASETS)}, got {kind!r}")
    log = log or (lambda line: print(line, file=sys.stderr))
    root = Path(root) if root is not None else paths.runs_dir()
    ranked = []
    for status in sorted(root.glob("**/status.json")):
        run = Run(status.parent)
        try:
            if not run.finished:
                continue
            cfg = run.config
            used = run.status.get("dataset", cfg.data)
            if cfg.data not in KIND_DATASETS[kind] and used not in KIND_DATASETS[kind]:
                continue
            scores = [_score(path) for path in sorted((run.dir / "metrics").glob("*.json"))]
        except (OSError, ValueError) as err:  # DamagedFileError too
            log(f"skipped {run.dir}: {err}")
            continue
        scores = [s for s in scores if s is not None]
        profile = next((p for p in run.dir.parts if p in PROFILES), None)
        size = PROFILES.index(profile) if profile else len(PROFILES)
        score = min(scores) if scores else math.inf
        ranked.append((score, size, -cfg.epochs, str(run.dir), run, cfg, used))
    if not ranked:
        return None
    score, _, _, _, run, cfg, used = min(ranked, key=lambda r: r[:4])
    measured = (f"ab error {score:.2f}x the gray baseline's on its test set"
                if math.isfinite(score) else "not evaluated yet")
    why = (f"{run.dir}: {cfg.model} trained {cfg.epochs} epochs on {used} ({measured}; "
           f"best of {len(ranked)} finished {kind} run{'s' * (len(ranked) > 1)})")
    return run.dir, why


def _score(path: Path) -> float | None:
    """ab error over the gray baseline's in the metrics file ``path`` (``None`` for metrics
    of another split); ``ValueError`` naming the file for damaged or implausible ones."""
    m = evaluation.read_metrics(path)
    if m.get("split") != "test":
        return None
    for key in ("ab_mae", "ab_mae_gray"):
        problem = fileio.number_problem(m.get(key), 0.0)
        if problem:
            raise ValueError(f"{path}: {key}: {problem}")
    if m["ab_mae_gray"] == 0:
        raise ValueError(f"{path}: ab_mae_gray: 0.0 is out of range (the gray baseline's "
                         "error is above 0 on any coloured image)")
    return m["ab_mae"] / m["ab_mae_gray"]


def no_run_message(kind: str = "fruits") -> str:
    """What to do when :func:`best_run` finds nothing."""
    model = "zhang_fruits" if kind == "fruits" else "zhang_animals"
    return (f"no finished {kind} run under {paths.runs_dir()}. Make one with `make reproduce` "
            "(every experiment; at most 40 minutes on a CPU) or train just one, e.g. "
            f"`colorization train --model {model} --data {kind} --epochs 8 --image-size 64 "
            f"--out runs/my-{kind}`, or pass --run / --model")
