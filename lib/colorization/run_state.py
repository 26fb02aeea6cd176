"""The state a training keeps while it writes a run directory (:mod:`colorization.runs` has the
layout): the lock that keeps a second training out, the per-epoch commits of ``backup/`` a
killed run resumes from, and the recognition of a full disk."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from colorization.runs import (
    RunFileError,
    is_number,
    read_history,
    read_json_object,
    run_file_error,
)


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
