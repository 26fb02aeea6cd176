"""Run directories: the reader of everything one run produced, the lock and per-epoch commits a
training keeps while it writes one, and resuming an interrupted run.

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
      metrics*.json      evaluation results, cached by :mod:`colorization.runs.evaluate`
      .lock              held (``flock``) by the training that writes the folder; the
                         operating system releases it when that process ends, even killed

Every file is written atomically (:mod:`colorization.core.fileio`). Each epoch ends with one
commit point, ``backup/state.json``: its snapshot and weights are written first, then the
commit, then ``history.csv`` (rewritten from the commit). A run killed at any instant resumes
from the last committed epoch, and anything written past it is redone, so history,
snapshots and backup always agree.

Evaluation, figures and experiments read runs through :class:`Run`; only
:mod:`colorization.runs.train` writes them.

While a training writes the folder it holds its lock (:func:`lock_run_dir`), and
``backup/`` keeps the per-epoch commits (:func:`read_backup`) that :func:`resume` loads into
the model, removing what was written after the epoch resumed from. With several machines
(``TF_CONFIG``) every worker keeps its own backup (the chief in the run directory, the others
in a temporary folder); the workers first agree on the newest epoch they all hold
(:func:`colorization.runs.accelerate.common_epoch`), so that a worker stopped between its
commit and another worker's never resumes from another epoch than the rest of the cluster.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import math
import os
import re
import shutil
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
from colorization.runs.config import RunConfig, is_number


def save_npz(path, **arrays) -> None:
    """Compressed ``.npz`` written atomically (a reader never sees half a file)."""
    with fileio.atomic_write(path, "wb") as f:
        np.savez_compressed(f, **arrays)


RunFileError = fileio.DamagedFileError
"""A file of a run directory that cannot be read; the message names it and what to do."""


def train_again(run_dir) -> str:
    """What to do about a damaged file of the run ``run_dir``."""
    return (f"delete the run directory {run_dir} and train again, or train again with "
            "--force (force=True), which replaces it")


def run_file_error(path: Path, what: str, why: str, todo: str | None = None) -> RunFileError:
    return fileio.damaged(path, what, why, todo or train_again(path.parent))


def read_json_object(path, what: str, todo: str | None = None) -> dict:
    """``path`` as a JSON object (:func:`colorization.core.fileio.read_json`):
    :class:`RunFileError` naming the file and ``todo`` (default: train again) for a missing
    file, garbage, a cut-short file or another JSON type (``[]``, a number)."""
    path = Path(path)
    return fileio.read_json(path, what, todo or train_again(path.parent))


def _history_cell(key, text, line: int) -> float | None:
    """Cell ``key`` of history.csv as a float: ``None`` when empty or not finite (``nan``,
    ``inf``: a missing value); ``ValueError`` naming the line and column for anything else
    that is not a number its column can hold (epochs are whole, losses, times and speeds
    never negative)."""
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
    if key == "epoch":
        problem = fileio.number_problem(value, 0, whole=True)
    elif key in ("seconds", "images_per_second") or key.endswith("loss"):
        problem = fileio.number_problem(value, 0)
    else:
        problem = None
    if problem:
        raise ValueError(f"line {line}, {key}: {problem}")
    return value


def read_history(run_dir) -> list[dict]:
    """history.csv as a list of dicts of floats, ``None`` for a missing value (an empty or
    non-finite cell); :class:`RunFileError` naming the line and column of a cell that is not
    a number its column can hold."""
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            return [{k: _history_cell(k, v, reader.line_num) for k, v in row.items()}
                    for row in reader]
    except (UnicodeDecodeError, csv.Error, ValueError) as err:
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
        """``config.json``, checked as a training checks its settings (:meth:`RunConfig.
        validate`): :class:`RunFileError` for one that is missing, damaged or cannot train."""
        path = self.dir / "config.json"
        d = read_json_object(path, "a run config")
        try:
            config = RunConfig.from_dict(d)
            config.validate()
        except (TypeError, ValueError) as err:
            raise run_file_error(path, "a run config", str(err)) from None
        return config

    def stored_config(self) -> dict | None:
        """``config.json`` with today's defaults for fields added since it was written
        (``None`` when there is none)."""
        path = self.dir / "config.json"
        return self.config.to_dict() if path.exists() else None

    @property
    def status(self) -> dict:
        """``status.json`` (``{"state": "incomplete"}`` when there is none); its counts
        whole numbers, its seconds and loss finite and never negative, or missing."""
        path = self.dir / "status.json"
        if not path.exists():
            return {"state": "incomplete"}
        todo = (f"delete {path} and run the same training command again (it resumes from the "
                "backup, or saves the model again), or train again with --force")
        status = read_json_object(path, "a run status", todo)
        for key, whole in _STATUS_NUMBERS.items():
            problem = key in status and status[key] is not None and fileio.number_problem(
                status[key], 0, whole=whole)
            if problem:
                raise run_file_error(path, "a run status", f"{key}: {problem}", todo)
        return status

    @property
    def finished(self) -> bool:
        return self.status.get("state") == "finished" and (self.dir / "model.keras").exists()

    def history(self) -> list[dict]:
        return read_history(self.dir)

    def model(self) -> Colorizer:
        """The trained colorizer; :class:`RunFileError` for a missing, damaged or refused
        ``model.keras``, or one built for another image size than the run's."""
        path = self.dir / "model.keras"
        try:
            model = registry.load_colorizer(path)
        except FileNotFoundError:
            raise run_file_error(path, "a model file", "missing") from None
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
        """``snapshots/NAME`` as ``{set: (n, h, w, channels) array of finite numbers}``;
        :class:`RunFileError` for a missing, damaged or malformed file."""
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
        raise run_file_error(path, "a snapshot file", why, train_again(self.dir))

    def snapshot_inputs(self) -> dict[str, np.ndarray]:
        """The fixed snapshot images, ``{set: uint8 (n, h, w, 3)}``."""
        return self._npz("inputs.npz", 3)

    def snapshot_epochs(self) -> list[int]:
        names = (re.fullmatch(r"epoch_(\d+)\.npz", p.name)
                 for p in (self.dir / "snapshots").glob("epoch_*.npz"))
        return sorted(int(m[1]) for m in names if m)

    def snapshot(self, epoch: int) -> dict[str, np.ndarray]:
        """Predicted ab (float32 ab units) of each snapshot set at ``epoch``: one for each
        image of :meth:`snapshot_inputs` (:class:`RunFileError` when they differ)."""
        name = f"epoch_{epoch:03d}.npz"
        predicted, inputs = self._npz(name, 2), self.snapshot_inputs()
        if sorted(predicted) != sorted(inputs):
            why = f"its sets {sorted(predicted)} are not those of inputs.npz, {sorted(inputs)}"
        else:
            why = next((f"{k}: {v.shape[:3]} predictions for {inputs[k].shape[:3]} images"
                        for k, v in predicted.items() if v.shape[:3] != inputs[k].shape[:3]),
                       None)
        if why:
            raise run_file_error(self.dir / "snapshots" / name, "a snapshot file", why,
                                 train_again(self.dir))
        return {k: v.astype(np.float32) for k, v in predicted.items()}

    def snapshot_rgb(self, epoch: int) -> dict[str, np.ndarray]:
        """The snapshot images recoloured: true L joined with the predicted ab, RGB [0, 1]."""
        inputs = self.snapshot_inputs()
        return {k: color.recolor(color.split_lab(color.rgb_uint8_to_lab(inputs[k]))[0], ab)
                for k, ab in self.snapshot(epoch).items()}


# status.json's numbers: whether each is a whole number (all are at least 0)
_STATUS_NUMBERS = {"epochs": True, "train_images": True, "steps_per_epoch": True,
                   "optimizer_steps": True, "replicas": True, "batch_size": True,
                   "parameters": True, "last_session_seconds": False, "final_loss": False}


def _snapshot_problem(arrays: dict[str, np.ndarray], channels: int) -> str | None:
    """Why ``arrays`` are not snapshot arrays of ``channels`` channels, or ``None``."""
    for key, value in arrays.items():
        if value.ndim != 4 or value.shape[-1] != channels:
            return f"{key}: an array of shape {value.shape}, not (n, h, w, {channels})"
        if not (np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype,
                                                                         np.floating)):
            return f"{key}: {value.dtype} values, not numbers"
        if not np.isfinite(value).all():
            return f"{key}: not finite numbers"
    return None


def is_disk_full(err: BaseException) -> bool:
    """True for "no space left", "quota exceeded" and "file too large" errors."""
    codes = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
    while err is not None:
        if isinstance(err, OSError) and err.errno in codes:
            return True
        text = str(err)
        if "No space left" in text or "Disk quota" in text or "File too large" in text:
            return True
        err = err.__cause__ or err.__context__
    return False


class RunBusyError(RuntimeError):
    """Another process is training into the same run directory (``run_dir``; ``holder``: its
    process id as the lock file gives it, or ``""``)."""

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
    """Hold ``RUN_DIR/.lock`` (an OS lock: ``flock`` on POSIX) while writing the run.

    A second holder is refused at once with :class:`RunBusyError`. The operating system
    releases the lock when its process ends, even when killed, so a stale ``.lock`` file
    never blocks. The file holds the holder's process id for the message; it is the one file
    of the project written in place (it must stay the same file for the lock to hold).
    """
    path = Path(run_dir) / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            _os_lock(fd)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            except OSError:
                holder = ""
            raise RunBusyError(run_dir, holder if holder.isdigit() else "") from None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def wait_for_run_dir(run_dir) -> None:
    """Block until no process holds ``RUN_DIR/.lock`` (it is taken and released at once)."""
    fd = os.open(Path(run_dir) / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _os_lock(fd, wait=True)
    finally:
        os.close(fd)


def _os_lock(fd: int, wait: bool = False) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        while True:
            try:  # LK_LOCK tries for 10 seconds, then raises
                msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                if not wait:
                    raise BlockingIOError("locked") from None
    fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)


@dataclass
class BackupState:
    """One committed epoch of a training: ``epoch`` completed epochs, their ``history``
    rows, and the ``weights`` file (model and optimizer) to resume from."""

    epoch: int
    weights: Path
    history: list[dict]


FORCE_TODO = ("train again with --force (force=True) to start this run from epoch 0, or "
              "delete the run directory {dir}")


def read_backup(run_dir) -> list[BackupState]:
    """The committed states of ``RUN_DIR/backup``, newest first (the last completed epoch,
    then the one before it); ``[]`` when there is none.

    Also reads the backup of earlier versions of this project (Keras' ``BackupAndRestore``:
    ``latest.weights.h5`` + ``training_metadata.json``, with ``.bkp`` copies of the epoch
    before). Raises :class:`RunFileError` naming the file and what to do when the commit
    file itself is damaged; whether the weights files can be loaded is checked by the
    caller, which falls back to the older state.
    """
    run_dir = Path(run_dir)
    backup = run_dir / "backup"
    todo = FORCE_TODO.format(dir=run_dir)
    state_path = backup / "state.json"
    if state_path.exists():
        state = read_json_object(state_path, "a training backup", todo)
        try:
            rows = [dict(r) for r in state["history"]]
            out = []
            for entry in (state, state.get("previous")):
                if entry:
                    epoch = int(entry["epoch"])
                    if not 1 <= epoch <= len(rows):
                        raise ValueError(f"epoch {epoch} with {len(rows)} history rows")
                    out.append(BackupState(epoch, backup / Path(entry["weights"]).name,
                                           rows[:epoch]))
            return out
        except (KeyError, TypeError, ValueError) as err:
            raise run_file_error(state_path, "a training backup", f"{type(err).__name__}: {err}",
                           todo) from None
    # the layout of earlier versions: Keras BackupAndRestore
    out, problems = [], []
    for suffix in ("", ".bkp"):
        meta = backup / f"training_metadata.json{suffix}"
        weights = backup / f"latest.weights.h5{suffix}"
        if not meta.exists() and not weights.exists():
            continue
        try:
            epoch = int(read_json_object(meta, "a training backup", todo)["epoch"])
        except (OSError, KeyError, TypeError, ValueError) as err:
            problems.append(str(err) if isinstance(err, RunFileError) else
                            f"{meta}: {type(err).__name__}: {err}")
            continue
        if epoch >= 1:
            history = [r for r in read_history(run_dir)
                       if is_number(r.get("epoch")) and int(r["epoch"]) < epoch]
            out.append(BackupState(epoch, weights, history))
    if not out and problems:
        raise RunFileError(f"the training backup in {backup} cannot be read "
                           f"({'; '.join(problems)}): {todo}")
    return out


def resume(run: Run, model, common_epoch: Callable[[int], int] | None = None):
    """Load the last committed epoch of ``run``'s backup into ``model`` (weights and
    optimizer) and return its :class:`~colorization.runs.rundir.BackupState`; ``None`` when
    there is none. A weights file that cannot be read falls back to the previous epoch's
    (with a warning); when none can be read, :class:`RunFileError` says what to do. History
    rows and snapshots past the epoch resumed from are removed: the epochs after it are
    trained, and written, again.

    ``common_epoch(epoch) -> epoch``, for a cluster of workers: given the epoch this worker
    can resume from, the one every worker can (the lowest). When it is older, this worker
    resumes from it too (its backup keeps the epoch before the last).
    """
    states = read_backup(run.dir)
    if common_epoch is not None:
        state = _resume_in_cluster(run, model, states, common_epoch)
        _redo_after(run, state)
        return state
    problems: list[str] = []
    state = None
    for candidate in states:
        try:
            _load_weights(model, candidate.weights)
        except Exception as err:  # noqa: BLE001 - h5py and Keras raise many kinds
            problems.append(f"{candidate.weights.name} (epoch {candidate.epoch}): "
                            f"{type(err).__name__}: {str(err)[:300]}")
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


def _resume_in_cluster(run: Run, model, states: list[BackupState], common_epoch):
    """The epoch every worker resumes from, agreed on before any weights are loaded: under
    ``MultiWorkerMirroredStrategy`` loading creates variables, a collective, so every worker
    loads exactly once (or not at all), the same epoch."""
    mine = states[0].epoch if states else 0
    target = int(common_epoch(mine))
    if target == 0:
        if mine:
            print(f"warning: another worker of the cluster has no completed epoch: {run.dir} "
                  f"starts again from epoch 0 with the rest of the cluster", file=sys.stderr)
        return None
    chosen = next((s for s in states if s.epoch == target), None)
    if chosen is None:
        raise RunFileError(
            f"the workers of this cluster cannot resume from the same epoch: another worker "
            f"holds epoch {target}, this one ({run.dir}) keeps epochs "
            f"{[s.epoch for s in states]}. Start every worker again with --force "
            f"(force=True) to train from the start.")
    try:
        _load_weights(model, chosen.weights)
    except Exception as err:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise RunFileError(
            f"{chosen.weights} (epoch {target}, the epoch every worker of the cluster resumes "
            f"from) cannot be read ({type(err).__name__}: {str(err)[:300]}). Start every "
            f"worker again with --force (force=True) to train from the start.") from None
    if target != mine:
        print(f"another worker of the cluster holds epoch {target} only: {run.dir} resumes "
              f"from epoch {target} too, not {mine}", file=sys.stderr)
    return chosen


def _load_weights(model, path: Path) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"missing file {path}")
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    if path.name.endswith(".weights.h5"):
        model.load_weights(str(path))
        return
    with fileio.atomic_path(path.with_name("legacy.weights.h5"), suffix=".weights.h5") as tmp:
        shutil.copyfile(path, tmp)  # Keras reads weights only from a *.weights.h5 name
        model.load_weights(str(tmp))


def _redo_after(run: Run, state) -> None:
    """history.csv and snapshots agree with ``state`` (the epoch resumed from, or none)."""
    epoch = state.epoch if state else 0
    rows = state.history if state else []
    if state is not None or (run.dir / "history.csv").exists():
        write_history(run.dir, rows)
    for snap in (run.dir / "snapshots").glob("epoch_*.npz"):
        try:
            later = int(snap.stem.split("_")[1]) > epoch
        except (IndexError, ValueError):
            continue
        if later:
            snap.unlink(missing_ok=True)


def resumable(dataset, epochs_done: int):
    """``(dataset, steps_per_epoch)`` that gives epoch ``epochs_done + 1`` the batches (and
    batch order) a run that never stopped would give it, so a resumed run ends with the same
    weights.

    A reshuffling tf.data dataset draws each epoch's order when it is iterated, and Keras
    iterates a copy of it: it is repeated here (one repetition an epoch, each reshuffled)
    and the epochs already done are skipped through (in memory, no training: seconds for
    tens of epochs). The NumPy and JAX feeds take their order from the epoch count they were
    made with (``first_epoch``).
    """
    if not hasattr(dataset, "element_spec"):  # the NumPy and JAX feeds: first_epoch did it
        return dataset, None
    steps = int(dataset.cardinality())
    if steps <= 0:  # unknown or infinite: leave it to Keras
        return dataset, None
    dataset = dataset.repeat()
    if epochs_done:
        dataset = dataset.skip(epochs_done * steps)
    return dataset, steps
