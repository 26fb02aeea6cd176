"""Fault injection for the crash tests: SIGKILL this process at an exact instant of a training.

The library carries no test hook: :func:`install` wraps, in the process under test, the writes
the library makes (every one goes through ``colorization.core.fileio`` or the run folder's
helpers) and kills the process just before or after the chosen one. Instants are
``"stage:epoch"`` (epoch 1-based):

=================  ==========================================================================
``snapshot_write`` while the epoch's snapshot is being written (half a file, under its
                   temporary name)
``snapshot``       right after the epoch's snapshot is written
``weights_start``  before the epoch's backup weights are written
``weights``        right after they are written
``commit``         right after ``backup/state.json`` commits the epoch
``history``        right after ``history.csv`` is rewritten from that commit
``model``          right after ``model.keras`` is saved (the epoch is the last one)
``status``         right after ``status.json`` is written (the epoch is the last one)
=================  ==========================================================================
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

STAGES = ("snapshot_write", "snapshot", "weights_start", "weights", "commit", "history",
          "model", "status")


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(kill: str | None) -> None:
    """Kill this process at ``kill`` (``"stage:epoch"``); nothing when ``None`` or empty."""
    if not kill:
        return
    stage, epoch = kill.split(":")
    epoch = int(epoch)
    if stage not in STAGES:
        raise ValueError(f"unknown kill stage {stage!r}; expected one of {STAGES}")
    from colorization.core import fileio
    from colorization.runs import callbacks

    tag = f"epoch_{epoch:03d}"
    if stage in ("snapshot_write", "snapshot"):
        save_npz = callbacks.save_npz

        def killing_save_npz(path, **arrays):
            if Path(path).name != f"{tag}.npz":
                return save_npz(path, **arrays)
            if stage == "snapshot_write":
                with fileio.atomic_write(path, "wb") as f:
                    f.write(b"PK\x03\x04 half a snapshot")
                    f.flush()
                    _die()
            save_npz(path, **arrays)
            _die()

        callbacks.save_npz = killing_save_npz
    elif stage in ("weights_start", "weights", "model"):
        atomic_path = fileio.atomic_path
        target = "model.keras" if stage == "model" else f"{tag}.weights.h5"

        @contextlib.contextmanager
        def killing_atomic_path(path, suffix=None):
            if Path(path).name != target:
                with atomic_path(path, suffix) as tmp:
                    yield tmp
                return
            if stage == "weights_start":
                _die()
            with atomic_path(path, suffix) as tmp:
                yield tmp
            _die()

        fileio.atomic_path = killing_atomic_path
    elif stage in ("commit", "status"):
        write_json = fileio.write_json

        def killing_write_json(path, obj):
            written = write_json(path, obj)
            name = Path(path).name
            if (stage == "commit" and name == "state.json" and obj.get("epoch") == epoch) or (
                    stage == "status" and name == "status.json"):
                _die()
            return written

        fileio.write_json = killing_write_json
    else:  # history: the rewrite that follows the epoch's commit
        write_history = callbacks.write_history

        def killing_write_history(run_dir, rows):
            write_history(run_dir, rows)
            if len(rows) == epoch:
                _die()

        callbacks.write_history = killing_write_history
