"""Run directories: the experiment config, and a reader for everything one run produced.

A run directory holds everything one experiment produced::

    RUN_DIR/
      config.json        the RunConfig (written first; a different config in the same
                         folder is refused rather than mixed)
      history.csv        one row per epoch: loss, seconds, images/s (appended on resume)
      snapshots/         inputs.npz (fixed train/test/never-seen images, uint8) and
                         epoch_NNN.npz (their predicted ab, int8 ab units) at chosen epochs
      logs/              TensorBoard logs (TensorFlow backend)
      backup/            the training state while training (deleted when done):
                         state.json (the commit: last completed epoch, its weights file, the
                         previous epoch's, and every history row) and epoch_NNN.weights.h5
                         (model and optimizer) of the last two completed epochs
      model.keras        the trained colorizer (safe-mode loadable)
      status.json        written last, atomically: the run is finished only when it says so
      metrics*.json      evaluation results, cached by :mod:`colorization.evaluate`
      .lock              held (``flock``) by the training that writes the folder; the
                         operating system releases it when that process ends, even killed

Every file is written atomically (:mod:`colorization.fileio`). Each epoch ends with one
commit point, ``backup/state.json``: its snapshot and weights are written first, then the
commit, then ``history.csv`` (rewritten from the commit). A run killed at any instant resumes
from the last committed epoch, and anything written past it is redone, so history,
snapshots and backup always agree.

Evaluation, figures and experiments read runs through :class:`Run`; only
:mod:`colorization.train` writes them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from colorization import color, fileio, registry
from colorization.colorizer import Colorizer

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
LR_SCHEDULES = ("cosine", "constant")
STRATEGIES = ("auto", "none", "mirrored", "multiworker")
INPUT_PATHS = ("auto", "device", "host")
DEFAULT_SNAPSHOT_EPOCHS = (1, 2, 3, 5, 10, 20, 30, 50, 60, 100, 150, 200, 300, 400, 600)
SNAPSHOT_SETS = ("train", "test", "photos")


@dataclass
class RunConfig:
    """Everything that defines one experiment. Serialised as ``config.json``.

    ``loss``: one of the model's objectives (:data:`colorization.registry.MODELS`; default:
    its first, ``"mse"`` for the regression networks);
    ``loss_delta``: the SmoothL1 threshold; ``rebalance_lambda``: Zhang's prior/uniform mix
    for the classification model (1.0 turns rebalancing off);
    ``batch_size``: ``None`` chooses per machine (the model's ``gpu_batch_size`` on a GPU, 32
    on a CPU: :mod:`colorization.accelerate`);
    ``precision``: ``"auto"`` (``mixed_bfloat16`` on a GPU, ``float32`` on a CPU),
    ``"float32"``, ``"mixed_float16"`` or ``"mixed_bfloat16"``;
    ``input_path``: ``"auto"`` (the uint8 training set kept on the accelerator when it takes
    at most 25% of its memory, else host-fed), ``"device"`` or ``"host"``
    (:mod:`colorization.device_data`);
    ``jit_compile``: ``"auto"`` (Keras' choice: XLA where it is supported), True or False;
    ``lr_schedule``: ``"cosine"`` (decay to 0 over the run: BatchNorm's running statistics
    then catch up with the final weights, which a constant rate leaves behind) or
    ``"constant"``;
    ``strategy``: ``"auto"`` (MirroredStrategy when TensorFlow sees several GPUs,
    MultiWorkerMirroredStrategy when ``TF_CONFIG`` is set, data parallel on JAX with several
    devices), ``"none"``, ``"mirrored"`` or ``"multiworker"``.
    """

    model: str
    data: str = "synthetic-fruits"
    loss: str | None = None  # None: the model's own default (registry.default_loss)
    epochs: int = 10
    batch_size: int | None = None
    image_size: int = 100
    seed: int = 0
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    lr_schedule: str = "cosine"
    max_images: int | None = None
    max_test_images: int | None = 256
    precision: str = "auto"
    jit_compile: bool | str = "auto"
    strategy: str = "auto"
    input_path: str = "auto"
    flip: bool = False
    deterministic: bool = False
    loss_delta: float = 1.0
    rebalance_lambda: float = 0.5
    snapshot_epochs: list[int] = field(default_factory=lambda: list(DEFAULT_SNAPSHOT_EPOCHS))
    snapshot_images: int = 8

    def __post_init__(self):
        if self.loss is None:
            known = self.model in registry.MODELS
            self.loss = registry.default_loss(self.model) if known else "mse"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown RunConfig fields: {sorted(unknown)}")
        return cls(**d)

    def validate(self) -> None:
        """``ValueError`` naming the setting and what to use, for any value that cannot train
        (checked before anything is written)."""
        registry.check_loss(self.model, self.loss)  # also refuses an unknown model

        def whole(name, low):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                flag = "--" + name.replace("_", "-")
                raise ValueError(f"{name} must be a whole number of at least {low}, got "
                                 f"{value!r} ({flag})")

        whole("epochs", 1)
        if self.batch_size is not None:  # None: the network's default for the device
            whole("batch_size", 1)
        whole("image_size", 8)
        whole("snapshot_images", 0)
        for name in ("max_images", "max_test_images"):
            if getattr(self, name) is not None:
                whole(name, 1)
        for name in ("learning_rate", "loss_delta"):
            value = getattr(self, name)
            if not (is_number(value) and math.isfinite(float(value)) and float(value) > 0):
                flag = "--" + name.replace("_", "-")
                raise ValueError(f"{name} must be a positive finite number, got {value!r} "
                                 f"({flag}; e.g. 1e-3)")
        if not (is_number(self.rebalance_lambda) and 0 <= float(self.rebalance_lambda) <= 1):
            raise ValueError(f"rebalance_lambda must be between 0 and 1, got "
                             f"{self.rebalance_lambda!r}")
        for name, choices in (("precision", PRECISIONS), ("lr_schedule", LR_SCHEDULES),
                              ("strategy", STRATEGIES), ("input_path", INPUT_PATHS)):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}, got "
                                 f"{getattr(self, name)!r}")
        if self.jit_compile not in ("auto", True, False):
            raise ValueError(f"jit_compile must be 'auto', True or False, got "
                             f"{self.jit_compile!r}")

    def snapshot_schedule(self) -> list[int]:
        """Epochs (1-based) at which snapshots are taken: the chosen ones, plus the last."""
        return sorted({e for e in self.snapshot_epochs if 1 <= e <= self.epochs} | {self.epochs})


def save_npz(path, **arrays) -> None:
    """Compressed ``.npz`` written atomically (a reader never sees half a file)."""
    with fileio.atomic_write(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


class RunFileError(ValueError):
    """A file of a run directory that cannot be read; the message names it and what to do."""


def run_file_error(path: Path, what: str, why: str, todo: str | None = None) -> RunFileError:
    todo = todo or (f"delete the run directory {path.parent} and train again, or train "
                    "again with --force (force=True), which replaces it")
    return RunFileError(f"{path} is not {what} ({why}): {todo}")


def read_json_object(path, what: str, todo: str | None = None) -> dict:
    """``path`` parsed as a JSON object; :class:`RunFileError` naming the file and ``todo``
    for garbage, a cut-short file or another JSON type (``[]``, a number)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise run_file_error(path, what, "not UTF-8 text", todo) from None
    try:
        value = json.loads(text)
    except ValueError as err:
        why = "empty file" if not text.strip() else f"invalid JSON: {err}"
        raise run_file_error(path, what, why, todo) from None
    if not isinstance(value, dict):
        raise run_file_error(path, what, f"a JSON {type(value).__name__}, not an object", todo)
    return value


def read_history(run_dir) -> list[dict]:
    """history.csv as a list of dicts (floats where possible)."""
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return [{k: (float(v) if is_number(v) else v) for k, v in row.items()}
                    for row in csv.DictReader(f)]
    except (UnicodeDecodeError, csv.Error) as err:
        raise run_file_error(path, "a history table", str(err)) from None


def history_text(rows: list[dict]) -> str:
    """``rows`` as history.csv: ``epoch`` first, then the other columns sorted (as Keras'
    CSVLogger writes them); missing or non-finite values are empty cells."""
    if not rows:
        return ""
    keys = sorted({k for r in rows for k in r} - {"epoch"})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for r in rows:
        cells = [r.get(k) for k in ["epoch", *keys]]
        writer.writerow(["" if c is None or (isinstance(c, float) and not math.isfinite(c))
                         else c for c in cells])
    return out.getvalue()


def write_history(run_dir, rows: list[dict]) -> None:
    """history.csv rewritten (atomically) from the committed rows; removed when none."""
    path = Path(run_dir) / "history.csv"
    if rows:
        fileio.write_text(path, history_text(rows))
    else:
        path.unlink(missing_ok=True)


class Run:
    """A run directory: read its config, history, snapshots, model and status."""

    def __init__(self, run_dir):
        self.dir = Path(run_dir)

    def __repr__(self):
        return f"Run({str(self.dir)!r})"

    @property
    def config(self) -> RunConfig:
        path = self.dir / "config.json"
        d = read_json_object(path, "a run config")
        try:
            return RunConfig.from_dict(d)
        except (TypeError, ValueError) as err:
            raise run_file_error(path, "a run config", str(err)) from None

    def stored_config(self) -> dict | None:
        """``config.json`` with today's defaults for fields added since it was written
        (``None`` when there is none)."""
        path = self.dir / "config.json"
        return self.config.to_dict() if path.exists() else None

    @property
    def status(self) -> dict:
        path = self.dir / "status.json"
        if not path.exists():
            return {"state": "incomplete"}
        return read_json_object(path, "a run status", todo=(
            f"delete {path} and run the same training command again (it resumes from the "
            "backup, or saves the model again), or train again with --force"))

    @property
    def finished(self) -> bool:
        return self.status.get("state") == "finished" and (self.dir / "model.keras").exists()

    def history(self) -> list[dict]:
        return read_history(self.dir)

    def model(self) -> Colorizer:
        model = registry.load_colorizer(self.dir / "model.keras")
        size = self.config.image_size
        if model.image_shape not in ((size, size), (None, None)):
            h, w = model.image_shape
            raise RunFileError(
                f"{self.dir / 'model.keras'} was built for {h}x{w} images but the run's "
                f"config.json says {size}x{size}: the model file was replaced; train the run "
                "again with --force")
        return model

    def _npz(self, name: str) -> dict[str, np.ndarray]:
        path = self.dir / "snapshots" / name
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, KeyError) as err:  # zipfile.BadZipFile too
            raise run_file_error(path, "a snapshot file", f"{type(err).__name__}: {err}") from None

    def snapshot_inputs(self) -> dict[str, np.ndarray]:
        return self._npz("inputs.npz")

    def snapshot_epochs(self) -> list[int]:
        files = (self.dir / "snapshots").glob("epoch_*.npz")
        return sorted(int(p.stem.split("_")[1]) for p in files)

    def snapshot(self, epoch: int) -> dict[str, np.ndarray]:
        """Predicted ab (float32 ab units) of each snapshot set at ``epoch``."""
        return {k: v.astype(np.float32) for k, v in self._npz(f"epoch_{epoch:03d}.npz").items()}

    def snapshot_rgb(self, epoch: int) -> dict[str, np.ndarray]:
        """The snapshot images recoloured: true L joined with the predicted ab, RGB [0, 1]."""
        inputs = self.snapshot_inputs()
        return {k: color.recolor(color.split_lab(color.rgb_uint8_to_lab(inputs[k]))[0], ab)
                for k, ab in self.snapshot(epoch).items()}
