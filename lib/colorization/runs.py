"""Run directories: the experiment config, and a reader for everything one run produced.

A run directory holds everything one experiment produced::

    RUN_DIR/
      config.json        the RunConfig (written first; a different config in the same
                         folder is refused rather than mixed)
      history.csv        one row per epoch: loss, seconds, images/s (appended on resume)
      snapshots/         inputs.npz (fixed train/test/never-seen images, uint8) and
                         epoch_NNN.npz (their predicted ab, int8 ab units) at chosen epochs
      logs/              TensorBoard logs (TensorFlow backend)
      backup/            Keras BackupAndRestore state while training (deleted when done)
      model.keras        the trained colorizer (safe-mode loadable)
      status.json        written last, atomically: the run is finished only when it says so
      metrics*.json      evaluation results, cached by :mod:`colorization.evaluate`

Evaluation, figures and experiments read runs through :class:`Run`; only
:mod:`colorization.train` writes them.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from colorization import color, fileio, registry
from colorization.colorizer import Colorizer

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


def read_history(run_dir) -> list[dict]:
    """history.csv as a list of dicts (floats where possible)."""
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [{k: (float(v) if is_number(v) else v) for k, v in row.items()}
                for row in csv.DictReader(f)]


class Run:
    """A run directory: read its config, history, snapshots, model and status."""

    def __init__(self, run_dir):
        self.dir = Path(run_dir)

    def __repr__(self):
        return f"Run({str(self.dir)!r})"

    @property
    def config(self) -> RunConfig:
        return RunConfig.from_dict(json.loads((self.dir / "config.json").read_text()))

    def stored_config(self) -> dict | None:
        """``config.json`` with today's defaults for fields added since it was written
        (``None`` when there is none)."""
        path = self.dir / "config.json"
        return self.config.to_dict() if path.exists() else None

    @property
    def status(self) -> dict:
        path = self.dir / "status.json"
        return json.loads(path.read_text()) if path.exists() else {"state": "incomplete"}

    @property
    def finished(self) -> bool:
        return self.status.get("state") == "finished" and (self.dir / "model.keras").exists()

    def history(self) -> list[dict]:
        return read_history(self.dir)

    def model(self) -> Colorizer:
        return registry.load_colorizer(self.dir / "model.keras")

    def snapshot_inputs(self) -> dict[str, np.ndarray]:
        with np.load(self.dir / "snapshots" / "inputs.npz") as z:
            return {k: z[k] for k in z.files}

    def snapshot_epochs(self) -> list[int]:
        files = (self.dir / "snapshots").glob("epoch_*.npz")
        return sorted(int(p.stem.split("_")[1]) for p in files)

    def snapshot(self, epoch: int) -> dict[str, np.ndarray]:
        """Predicted ab (float32 ab units) of each snapshot set at ``epoch``."""
        with np.load(self.dir / "snapshots" / f"epoch_{epoch:03d}.npz") as z:
            return {k: z[k].astype(np.float32) for k in z.files}

    def snapshot_rgb(self, epoch: int) -> dict[str, np.ndarray]:
        """The snapshot images recoloured: true L joined with the predicted ab, RGB [0, 1]."""
        inputs = self.snapshot_inputs()
        return {k: color.recolor(color.split_lab(color.rgb_uint8_to_lab(inputs[k]))[0], ab)
                for k, ab in self.snapshot(epoch).items()}
