"""Run directories: reading what one run produced, the lock and per-epoch commits a training
keeps while it writes one, and resuming an interrupted run.

A run directory holds ``config.json``, ``history.csv``, ``snapshots/``, ``logs/``,
``backup/`` (while training: ``state.json``, the commit of the last completed epoch, and the
weights of the last two), ``model.keras``, ``status.json`` (written last: the run is finished
only when it says so), ``metrics/`` and ``.lock``. Every file is written atomically, and an
epoch's files before its commit, so a run killed at any instant resumes from the last
committed epoch and redoes what was written past it.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import io
import math
import os
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from colorization.core import color, fileio
from colorization.nets import registry
from colorization.nets.colorizer import Colorizer
from colorization.runs.config import RunConfig

RunFileError = fileio.DamagedFileError  # a run file that cannot be read: named, with what to do

FORCE_TODO = ("train again with --force (force=True) to start this run from epoch 0, or "
              "delete the run directory {dir}")
_CLUSTER_TODO = "Start every worker again with --force (force=True) to train from the start."


def save_npz(path, **arrays) -> None:
    """Compressed ``.npz`` written atomically (a reader never sees half a file)."""
    with fileio.atomic_write(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def _train_again(run_dir) -> str:
    return (f"delete the run directory {run_dir} and train again, or train again with "
            "--force (force=True), which replaces it")


def _damaged(path: Path, what: str, why: str, todo: str | None = None) -> RunFileError:
    return fileio.damaged(path, what, why, todo or _train_again(path.parent))


def _history_cell(key, text, line: int) -> float | None:
    """Cell ``key`` of history.csv: ``None`` when empty or not finite; ``ValueError`` else."""
    if key is None or text is None:
        raise ValueError(f"line {line} has {'more' if key is None else 'fewer'} cells than "
                         "the header")
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"line {line}, {key}: {text!r} is not a number") from None
    if not math.isfinite(value):
        return None
    checked = key in ("epoch", "seconds", "images_per_second") or key.endswith("loss")
    problem = checked and fileio.number_problem(value, 0, whole=key == "epoch")
    if problem:
        raise ValueError(f"line {line}, {key}: {problem}")
    return value


def read_history(run_dir) -> list[dict]:
    """history.csv as dicts of floats (``None`` for a missing value); :class:`RunFileError`."""
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            return [{k: _history_cell(k, v, reader.line_num) for k, v in row.items()}
                    for row in reader]
    except (UnicodeDecodeError, csv.Error, ValueError) as err:
        raise _damaged(path, "a history table", str(err)) from None


def write_history(run_dir, rows: list[dict]) -> None:
    """history.csv rewritten from ``rows`` (``epoch`` first, then the other columns sorted);
    removed when there are none."""
    path = Path(run_dir) / "history.csv"
    if not rows:
        path.unlink(missing_ok=True)
        return
    keys = ["epoch", *sorted({k for r in rows for k in r} - {"epoch"})]
    out = io.StringIO()
    writer = csv.DictWriter(out, keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: None if isinstance(v, float) and not math.isfinite(v) else v
                      for k, v in r.items()} for r in rows)
    fileio.write_text(path, out.getvalue())


# status.json's numbers: whether each is a whole number (all are at least 0)
_STATUS_NUMBERS = {"epochs": True, "train_images": True, "steps_per_epoch": True,
                   "optimizer_steps": True, "replicas": True, "batch_size": True,
                   "parameters": True, "last_session_seconds": False, "final_loss": False}


class Run:
    """A run directory: read its config, history, snapshots, model and status."""

    def __init__(self, run_dir):
        self.dir = Path(run_dir)

    def __repr__(self):
        return f"Run({str(self.dir)!r})"

    @property
    def config(self) -> RunConfig:
        """``config.json``, validated; :class:`RunFileError` when it cannot train."""
        path = self.dir / "config.json"
        d = fileio.read_json(path, "a run config", _train_again(self.dir))
        try:
            config = RunConfig.from_dict(d)
            config.validate()
        except (TypeError, ValueError) as err:
            raise _damaged(path, "a run config", str(err)) from None
        return config

    def stored_config(self) -> dict | None:
        """``config.json`` with today's defaults for newer fields; ``None`` when missing."""
        return self.config.to_dict() if (self.dir / "config.json").exists() else None

    @property
    def status(self) -> dict:
        """``status.json`` (``{"state": "incomplete"}`` when missing), its numbers checked."""
        path = self.dir / "status.json"
        if not path.exists():
            return {"state": "incomplete"}
        todo = (f"delete {path} and run the same training command again (it resumes from the "
                "backup, or saves the model again), or train again with --force")
        status = fileio.read_json(path, "a run status", todo)
        for key, whole in _STATUS_NUMBERS.items():
            problem = status.get(key) is not None and fileio.number_problem(status[key], 0,
                                                                            whole=whole)
            if problem:
                raise _damaged(path, "a run status", f"{key}: {problem}", todo)
        return status

    @property
    def finished(self) -> bool:
        return self.status.get("state") == "finished" and (self.dir / "model.keras").exists()

    def history(self) -> list[dict]:
        return read_history(self.dir)

    def model(self) -> Colorizer:
        """The trained colorizer; :class:`RunFileError` for a missing or damaged one."""
        path = self.dir / "model.keras"
        try:
            model = registry.load_colorizer(path)
        except FileNotFoundError:
            raise _damaged(path, "a model file", "missing") from None
        except ValueError as err:  # its message names the file and what to do
            raise RunFileError(str(err), path) from None
        size = self.config.image_size
        if model.image_shape not in ((size, size), (None, None)):
            h, w = model.image_shape
            raise RunFileError(
                f"{path} was built for {h}x{w} images but the run's config.json says "
                f"{size}x{size}: the model file was replaced; train the run again with --force",
                path)
        return model

    def _npz(self, name: str, channels: int) -> dict[str, np.ndarray]:
        """``snapshots/NAME`` as ``{set: (n, h, w, channels) finite array}``."""
        path = self.dir / "snapshots" / name
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except FileNotFoundError:
            why = "missing"
        except (OSError, ValueError, EOFError, KeyError, TypeError, zipfile.BadZipFile,
                zlib.error) as err:
            why = f"{type(err).__name__}: {err}"
        else:
            why = _snapshot_problem(arrays, channels)
            if why is None:
                return arrays
        raise _damaged(path, "a snapshot file", why, _train_again(self.dir))

    def snapshot_inputs(self) -> dict[str, np.ndarray]:
        """The fixed snapshot images, ``{set: uint8 (n, h, w, 3)}``."""
        return self._npz("inputs.npz", 3)

    def snapshot_epochs(self) -> list[int]:
        names = (re.fullmatch(r"epoch_(\d+)\.npz", p.name)
                 for p in (self.dir / "snapshots").glob("epoch_*.npz"))
        return sorted(int(m[1]) for m in names if m)

    def snapshot(self, epoch: int) -> dict[str, np.ndarray]:
        """Predicted ab (float32) of each snapshot set at ``epoch``, one an input image."""
        name = f"epoch_{epoch:03d}.npz"
        predicted, inputs = self._npz(name, 2), self.snapshot_inputs()
        if sorted(predicted) != sorted(inputs):
            why = f"its sets {sorted(predicted)} are not those of inputs.npz, {sorted(inputs)}"
        else:
            why = next((f"{k}: {v.shape[:3]} predictions for {inputs[k].shape[:3]} images"
                        for k, v in predicted.items() if v.shape[:3] != inputs[k].shape[:3]),
                       None)
        if why:
            raise _damaged(self.dir / "snapshots" / name, "a snapshot file", why,
                           _train_again(self.dir))
        return {k: v.astype(np.float32) for k, v in predicted.items()}

    def snapshot_rgb(self, epoch: int) -> dict[str, np.ndarray]:
        """The snapshot images recoloured: true L joined with the predicted ab, RGB [0, 1]."""
        inputs = self.snapshot_inputs()
        return {k: color.recolor(color.split_lab(color.rgb_uint8_to_lab(inputs[k]))[0], ab)
                for k, ab in self.snapshot(epoch).items()}


def _snapshot_problem(arrays: dict[str, np.ndarray], channels: int) -> str | None:
    """Why ``arrays`` are not snapshot arrays of ``channels`` channels, or ``None``."""
    for key, value in arrays.items():
        if value.ndim != 4 or value.shape[-1] != channels:
            return f"{key}: an array of shape {value.shape}, not (n, h, w, {channels})"
        if value.dtype.kind not in "iuf":
            return f"{key}: {value.dtype} values, not numbers"
        if not np.isfinite(value).all():
            return f"{key}: not finite numbers"
    return None


def is_disk_full(err: BaseException) -> bool:
    """True for "no space left", "quota exceeded" and "file too large" errors."""
    while err is not None:
        if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return True
        if any(s in str(err) for s in ("No space left", "Disk quota", "File too large")):
            return True
        err = err.__cause__ or err.__context__
    return False


class RunBusyError(RuntimeError):
    """Another process (``holder``: its id, or ``""``) is training into ``run_dir``."""

    def __init__(self, run_dir, holder: str = ""):
        self.run_dir, self.holder = Path(run_dir), holder
        super().__init__(
            f"{self.in_use}. Wait for it to finish (then the same command reuses or resumes "
            "the run), or train into another run directory (--out)")

    @property
    def in_use(self) -> str:
        """What is busy, and by whom: the first sentence of the message."""
        who = f" (process {self.holder})" if self.holder else ""
        return f"{self.run_dir} is in use: another training is writing into it{who}"


@contextlib.contextmanager
def lock_run_dir(run_dir) -> Iterator[None]:
    """Hold ``RUN_DIR/.lock`` (``flock``, released by the OS even when killed) while writing
    the run; a second holder gets :class:`RunBusyError` at once."""
    fd = os.open(Path(run_dir) / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise RunBusyError(run_dir, holder if holder.isdigit() else "") from None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def wait_for_run_dir(run_dir) -> None:
    """Block until no process holds ``RUN_DIR/.lock``."""
    with open(Path(run_dir) / ".lock", "a") as f:  # closing it releases the lock
        fcntl.flock(f, fcntl.LOCK_EX)


@dataclass
class BackupState:
    """One committed epoch: its number, ``weights`` file and ``history`` rows."""

    epoch: int
    weights: Path
    history: list[dict]


def read_backup(run_dir) -> list[BackupState]:
    """The committed states of ``RUN_DIR/backup``, newest first (the last two epochs); ``[]``
    when there is none; :class:`RunFileError` when ``state.json`` is damaged."""
    path = Path(run_dir) / "backup" / "state.json"
    if not path.exists():
        return []
    todo = FORCE_TODO.format(dir=run_dir)
    state = fileio.read_json(path, "a training backup", todo)
    try:
        rows = [dict(r) for r in state["history"]]
        out = []
        for entry in (state, state.get("previous")):
            if entry:
                epoch = int(entry["epoch"])
                if not 1 <= epoch <= len(rows):
                    raise ValueError(f"epoch {epoch} with {len(rows)} history rows")
                out.append(BackupState(epoch, path.parent / Path(entry["weights"]).name,
                                       rows[:epoch]))
        return out
    except (KeyError, TypeError, ValueError) as err:
        raise _damaged(path, "a training backup", f"{type(err).__name__}: {err}", todo) from None


def resume(run: Run, model, common_epoch: Callable[[int], int] | None = None):
    """Load the last committed epoch that can be read into ``model``, remove history rows and
    snapshots written after it, and return its :class:`BackupState` (``None``: none).

    ``common_epoch(epoch) -> epoch``, for a cluster: the epoch every worker can resume from,
    given this worker's; all load that one (loading is a collective), or none.
    """
    states = read_backup(run.dir)
    if common_epoch is not None:
        mine = states[0].epoch if states else 0
        target = int(common_epoch(mine))
        if target == 0 and mine:
            print(f"warning: another worker of the cluster has no completed epoch: {run.dir} "
                  f"starts again from epoch 0 with the rest of the cluster", file=sys.stderr)
        elif target != mine:
            print(f"another worker of the cluster holds epoch {target} only: {run.dir} "
                  f"resumes from epoch {target} too, not {mine}", file=sys.stderr)
        if target and target not in [s.epoch for s in states]:
            raise RunFileError(
                f"the workers of this cluster cannot resume from the same epoch: another "
                f"worker holds epoch {target}, this one ({run.dir}) keeps epochs "
                f"{[s.epoch for s in states]}. {_CLUSTER_TODO}")
        states = [s for s in states if s.epoch == target]
    if states and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    problems: list[str] = []
    state = None
    for candidate in states:
        try:
            if not candidate.weights.is_file():
                raise FileNotFoundError(f"missing file {candidate.weights}")
            model.load_weights(str(candidate.weights))
        except Exception as err:  # noqa: BLE001 - h5py and Keras raise many kinds
            why = f"{type(err).__name__}: {str(err)[:300]}"
            if common_epoch is not None:
                raise RunFileError(
                    f"{candidate.weights} (epoch {target}, the epoch every worker of the "
                    f"cluster resumes from) cannot be read ({why}). {_CLUSTER_TODO}") from None
            problems.append(f"{candidate.weights.name} (epoch {candidate.epoch}): {why}")
            continue
        state = candidate
        break
    if state is None and problems:
        raise RunFileError(
            f"the training backup in {run.dir / 'backup'} cannot be read: "
            f"{'; '.join(problems)}. Nothing older is left to resume from: "
            + FORCE_TODO.format(dir=run.dir))
    if problems:
        print(f"warning: {problems[0]} cannot be read; resuming {run.dir} from epoch "
              f"{state.epoch}, the previous good state", file=sys.stderr)
    _redo_after(run, state)
    return state


def _redo_after(run: Run, state) -> None:
    """history.csv and snapshots agree with ``state`` (the epoch resumed from, or none)."""
    epoch = state.epoch if state else 0
    write_history(run.dir, state.history if state else [])
    for snap in (run.dir / "snapshots").glob("epoch_*.npz"):
        m = re.fullmatch(r"epoch_(\d+)\.npz", snap.name)
        if m and int(m[1]) > epoch:
            snap.unlink(missing_ok=True)


def resumable(dataset, epochs_done: int):
    """``(dataset, steps_per_epoch)`` giving epoch ``epochs_done + 1`` the batches a run that
    never stopped would give it: a ``tf.data`` dataset is repeated and the epochs done
    skipped (the NumPy and JAX feeds start at their ``first_epoch`` already)."""
    if not hasattr(dataset, "element_spec"):
        return dataset, None
    steps = int(dataset.cardinality())
    if steps <= 0:  # unknown or infinite: leave it to Keras
        return dataset, None
    dataset = dataset.repeat()
    if epochs_done:
        dataset = dataset.skip(epochs_done * steps)
    return dataset, steps
