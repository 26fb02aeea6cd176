"""What defines one training run: :class:`RunConfig`, serialised as the run's ``config.json``.

Every setting a run is trained with is a field here (the network, data, loss, optimiser and
schedule, batch, image size, images, epochs, seed, precision, input path, snapshots), so a run
directory says exactly how it was made, and a different config in the same folder is refused
(:func:`colorization.runs.train.train`). ``validate`` refuses any value that cannot train,
naming the setting and what to use, before anything is written.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from colorization.nets import registry

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
LR_SCHEDULES = ("cosine", "constant")
STRATEGIES = ("auto", "none", "mirrored", "multiworker")
INPUT_PATHS = ("auto", "device", "host")
DEFAULT_SNAPSHOT_EPOCHS = (1, 2, 3, 5, 10, 20, 30, 50, 60, 100, 150, 200, 300, 400, 600)


@dataclass
class RunConfig:
    """Everything that defines one experiment. Serialised as ``config.json``.

    ``loss``: one of the model's objectives (:data:`colorization.nets.registry.MODELS`; default:
    its first, ``"mse"`` for the regression networks);
    ``loss_delta``: the SmoothL1 threshold; ``rebalance_lambda``: Zhang's prior/uniform mix
    for the classification model (1.0 turns rebalancing off);
    ``batch_size``: ``None`` chooses per machine (the model's ``gpu_batch_size`` on a GPU, 32
    on a CPU: :mod:`colorization.runs.accelerate`);
    ``precision``: ``"auto"`` (``mixed_bfloat16`` on a GPU, ``float32`` on a CPU),
    ``"float32"``, ``"mixed_float16"`` or ``"mixed_bfloat16"``;
    ``input_path``: ``"auto"`` (the uint8 training set kept on the accelerator when it takes
    at most 25% of its memory, else host-fed), ``"device"`` or ``"host"``
    (:mod:`colorization.runs.device_data`);
    ``jit_compile``: ``"auto"`` (Keras' choice: XLA where it is supported), True or False;
    ``lr_schedule``: ``"cosine"`` (decay to 0 over the run: BatchNorm's running statistics
    then catch up with the final weights, which a constant rate leaves behind) or
    ``"constant"``;
    ``strategy``: ``"auto"`` (MirroredStrategy when TensorFlow sees several GPUs,
    MultiWorkerMirroredStrategy when ``TF_CONFIG`` is set, data parallel on JAX with several
    devices), ``"none"``, ``"mirrored"`` or ``"multiworker"``;
    ``tf_cpu_rewrites``: the TensorFlow CPU rewrites of :mod:`colorization.nets.tf_cpu`
    (False turns them off for this run; ``COLORIZATION_TF_CPU_REWRITES=0`` for every run).
    """

    model: str
    data: str = "fruits"
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
    tf_cpu_rewrites: bool = True
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
        if not isinstance(self.tf_cpu_rewrites, bool):
            raise ValueError(f"tf_cpu_rewrites must be True or False, got "
                             f"{self.tf_cpu_rewrites!r}")
        if self.jit_compile not in ("auto", True, False):
            raise ValueError(f"jit_compile must be 'auto', True or False, got "
                             f"{self.jit_compile!r}")

    def snapshot_schedule(self) -> list[int]:
        """Epochs (1-based) at which snapshots are taken: the chosen ones, plus the last."""
        return sorted({e for e in self.snapshot_epochs if 1 <= e <= self.epochs} | {self.epochs})


def is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True
