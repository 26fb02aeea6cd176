"""``make reproduce``: execute every numbered notebook headless, then write the report.

Notebooks run in order with papermill into ``reports/notebooks/``, each receiving the
``profile`` parameter. A notebook that finished with the same profile is skipped on the next
call (its executed copy is the record, also exported as HTML); the first failure stops
everything, naming the notebook and the cell. ``reports/index.html`` then gathers the date,
commit, machine, backend, profile and data used, every figure, the executed notebooks' HTML and
the results table (``reports/results.json``, which the notebooks append to through
:func:`colorization.study.report.record`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import keras

from colorization.core import fileio, paths, runtime
from colorization.data import datasets
from colorization.study import experiments, report
from colorization.study.experiments import PROFILES


def gpu_available() -> bool:
    try:
        if keras.backend.backend() == "jax":
            import jax

            return any(d.platform == "gpu" for d in jax.devices())
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    except Exception:  # noqa: BLE001 - no accelerator stack is the same as no GPU
        return False


def choose_profile(requested: str) -> tuple[str, str]:
    """The profile to run and why."""
    if requested in PROFILES:
        return requested, "as requested"
    if requested != "auto":
        raise ValueError(f"PROFILE must be auto, {', '.join(PROFILES)}; got {requested!r}")
    real = datasets.resolve("fruits") == "fruits" and datasets.resolve("animals") == "animals"
    gpu = gpu_available()
    if gpu and real:
        return "paper", "a GPU and the Kaggle datasets are present"
    missing = [what for what, ok in (("GPU", gpu), ("Kaggle datasets", real)) if not ok]
    return "quick", f"no {' and no '.join(missing)} here; the paper profile needs both"


def notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))


def _read_state(path: Path) -> dict:
    """Which notebooks finished with which profile; ``{}`` when absent or unreadable."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(path: Path, state: dict) -> None:
    fileio.write_json(path, state)


def _digest(path: Path) -> str:
    """A digest of a notebook's cells (their kind and source; not their outputs), so that a
    notebook whose outputs were replaced by :func:`publish` still counts as executed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    text = "\n\x00".join(f"{c.cell_type}\x01{c.source}" for c in _own_cells(nb))
    return hashlib.sha256(text.encode()).hexdigest()


def _own_cells(nb) -> list:
    """The notebook's cells without papermill's injected-parameters cell."""
    return [c for c in nb.cells
            if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]


def _stream_notebook_output() -> None:
    """Show what the notebooks print (one line per epoch, tables) on this terminal."""
    logger = logging.getLogger("papermill")
    if not any(getattr(h, "_colorization", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("      %(message)s"))
        handler._colorization = True
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def run(profile: str = "auto", only: list[str] | None = None) -> int:
    import papermill  # a development dependency (requirements-dev), needed only here

    _stream_notebook_output()

    root = paths.project_root()
    chosen, why = choose_profile(profile)
    print(f"make reproduce: profile {chosen!r} ({why})", flush=True)
    try:  # the paper profile stops here, before any training, without the Kaggle data
        experiments.check_paper_data(chosen)
    except experiments.MissingPaperDataError as err:
        print(f"make reproduce: {err}", file=sys.stderr)
        return 2
    out_dir = paths.reports_dir() / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    state_path = paths.reports_dir() / "reproduce-state.json"
    state = _read_state(state_path)
    env_before = os.environ.get("COLORIZATION_PROFILE")
    os.environ["COLORIZATION_PROFILE"] = chosen
    os.environ.setdefault("COLORIZATION_VERBOSE", "2")  # one line per epoch in the log
    try:
        for nb in notebooks(root / "notebooks"):
            if only and not any(nb.name.startswith(o) for o in only):
                continue
            key = f"{nb.name}:{chosen}"
            done = state.get(key)
            target = out_dir / nb.name
            if done and target.exists() and done.get("sha256") == _digest(nb):
                print(f"  {nb.name}: already executed with profile {chosen}, skipped", flush=True)
                continue
            print(f"  {nb.name}: running ...", flush=True)
            start = time.perf_counter()
            tmp = target.with_name(target.stem + ".partial.ipynb")
            try:
                papermill.execute_notebook(
                    str(nb), str(tmp), parameters={"profile": chosen}, cwd=str(nb.parent),
                    progress_bar=False, log_output=True, kernel_name="python3",
                )
            except papermill.PapermillExecutionError as exc:
                print(f"\nFAILED: {nb.name}, cell {exc.exec_count}: {exc.ename}: {exc.evalue}\n"
                      f"The partly executed notebook is {tmp}.", file=sys.stderr)
                return 1
            except Exception as exc:  # noqa: BLE001 - a dead kernel, a timeout, a bad file
                print(f"\nFAILED: {nb.name}: {type(exc).__name__}: {exc}\n"
                      f"The partly executed notebook (if any) is {tmp}.", file=sys.stderr)
                return 1
            # The executed copy and the state entry are each written whole (temporary name,
            # then rename): a kill at any moment leaves the notebook either finished or to run.
            fileio.write_bytes(target, tmp.read_bytes())
            tmp.unlink()
            report.export_html(target)  # what index.html links: readable without Jupyter
            seconds = time.perf_counter() - start
            state[key] = {"sha256": _digest(nb), "seconds": round(seconds, 1)}
            _write_state(state_path, state)
            print(f"  {nb.name}: done in {seconds:.0f} s", flush=True)
    finally:
        if env_before is None:
            os.environ.pop("COLORIZATION_PROFILE", None)
        else:
            os.environ["COLORIZATION_PROFILE"] = env_before
    index = report.write_index(chosen)
    print(f"report: {index} (training curves: `{report.TENSORBOARD}`)")
    return 0


# The figures the README shows, copied by :func:`publish` (``reports/figures/<name>.png`` ->
# ``docs/results/<profile>-<name>.png``).
PUBLISHED_FIGURES = ("03-cnn-fruits", "06-ae-fruits", "05-cnn-animals-mse",
                     "07-ae-animals-losses", "12-results")


def publish(profile: str) -> list[Path]:
    """Make the executed notebooks of the last ``make reproduce`` the committed ones.

    Every numbered notebook must have been executed with ``profile`` from its current source
    (``reports/reproduce-state.json``); each executed copy replaces ``notebooks/<name>.ipynb``,
    outputs kept, without papermill's injected-parameters cell and metadata (the run set the
    profile through ``COLORIZATION_PROFILE``, which the parameters cell reads). Then
    ``reports/results.json`` and the README's figures (:data:`PUBLISHED_FIGURES`) are copied
    to ``docs/results/``. Returns the files written."""
    import nbformat

    root = paths.project_root()
    state = _read_state(paths.reports_dir() / "reproduce-state.json")
    sources = notebooks(root / "notebooks")
    stale = [nb.name for nb in sources
             if (state.get(f"{nb.name}:{profile}") or {}).get("sha256") != _digest(nb)
             or not (paths.reports_dir() / "notebooks" / nb.name).is_file()]
    if stale:
        raise RuntimeError(f"not executed with profile {profile!r} from their current source: "
                           f"{', '.join(stale)}; run `make reproduce PROFILE={profile}` first")
    written = []
    for nb_path in sources:
        nb = nbformat.read(paths.reports_dir() / "notebooks" / nb_path.name, as_version=4)
        nb.cells = _own_cells(nb)
        nb.metadata.pop("papermill", None)
        for cell in nb.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
        fileio.write_text(nb_path, nbformat.writes(nb) + "\n")
        written.append(nb_path)
    out = root / "docs" / "results"
    out.mkdir(parents=True, exist_ok=True)
    written.append(fileio.write_bytes(out / "results.json", report.results_path().read_bytes()))
    for name in PUBLISHED_FIGURES:
        figure = paths.figures_dir() / f"{name}.png"
        written.append(fileio.write_bytes(out / f"{profile}-{name}.png", figure.read_bytes()))
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m colorization.study.reproduce", description=__doc__)
    p.add_argument("--profile", default="auto", choices=("auto",) + PROFILES)
    p.add_argument("--only", nargs="*", help="run only notebooks whose names start so")
    p.add_argument("--publish", action="store_true",
                   help="after a finished run, make its executed notebooks the committed ones "
                        "and copy results.json and the README's figures to docs/results/")
    p.add_argument("--allow-embedded-data", action="store_true",
                   help="let the paper profile train on the embedded data (real fruit sample, "
                        "generated animals) when the Kaggle datasets are missing")
    args = p.parse_args(argv)
    if args.allow_embedded_data:
        os.environ[experiments.ALLOW_EMBEDDED_ENV] = "1"
    runtime.prepare_tensorflow()
    try:
        code = run(args.profile, args.only)
        if code == 0 and args.publish:
            chosen, _ = choose_profile(args.profile)
            for path in publish(chosen):
                print(f"published {path.relative_to(paths.project_root())}")
        return code
    except KeyboardInterrupt:
        print("interrupted: finished notebooks are kept; run again to continue from the "
              "first unfinished one", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
