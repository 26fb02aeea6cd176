"""Resuming an interrupted run: the last committed epoch of ``backup/`` loaded into the model,
the files written after it removed, and the input order of the epochs still to train.

With several machines (``TF_CONFIG``), every worker keeps its own backup (the chief in the run
directory, the others in a temporary folder): the workers first agree on the newest epoch they
all hold, so that a worker stopped between its commit and another worker's never resumes from
another epoch than the rest of the cluster (:func:`colorization.accelerate.common_epoch`).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from colorization import fileio
from colorization.run_state import FORCE_TODO, BackupState, read_backup
from colorization.runs import Run, RunFileError, write_history


def resume(run: Run, model, common_epoch: Callable[[int], int] | None = None):
    """Load the last committed epoch of ``run``'s backup into ``model`` (weights and
    optimizer) and return its :class:`~colorization.run_state.BackupState`; ``None`` when
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
