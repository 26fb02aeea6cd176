"""``make reproduce``: execute every numbered notebook headless, then write the report.

It prints the profile and why, a plan with an estimate per notebook (:mod:`.plan`), a line as
each notebook and run starts and ends with progress at least every 30 s, then a summary. A
long run on a machine without a GPU says what it will cost and asks first (``--yes`` goes on;
with ``CI`` set it stops). Notebooks run with papermill into ``reports/notebooks/``; one that
finished with the same profile and source is skipped next time; the first failure stops
everything, naming the notebook, cell and error. ``reports/index.html`` comes last.
Nothing here imports Keras at import time: :func:`main` quiets TensorFlow's start-up first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from colorization.core import fileio, paths, runtime
from colorization.study.console import (
    FAILED_TAIL_LINES,
    Console,
    Watcher,
    duration,
    show_failure,
)
from colorization.study.published import (
    digest,
    is_executed,
    notebooks,
    own_cells,
    read_state,
    write_state,
)

#: a run longer than this (seconds) on a machine without a GPU asks before it starts
ASK_ABOVE_SECONDS = 3600
#: what a GPU is assumed to achieve on these networks, for the cost message only
GPU_TFLOPS = 10.0


def kernel_settings(profile: str, progress: Path, allow_embedded: bool = False):
    """A context in which the environment holds the settings the notebook kernels read
    (:func:`colorization.study.notebook.apply_environment`): the profile, the progress-events
    file, one line per epoch unless ``COLORIZATION_VERBOSE`` is set, and the paper profile on
    the embedded data when allowed. The environment is restored after."""
    settings = {"COLORIZATION_PROFILE": profile, "COLORIZATION_PROGRESS": str(progress),
                "COLORIZATION_VERBOSE": os.environ.get("COLORIZATION_VERBOSE", "2")}
    if allow_embedded:
        settings["COLORIZATION_ALLOW_EMBEDDED"] = "1"
    return mock.patch.dict(os.environ, settings)


def _ci() -> bool:
    """Whether ``CI`` is set (a long run then stops instead of asking)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def gpu_available() -> bool:
    try:
        from colorization.runs import device_data

        return device_data.accelerator() is not None
    except Exception:  # noqa: BLE001 - no accelerator stack is the same as no GPU
        return False


def choose_profile(requested: str) -> tuple[str, str]:
    """The profile to run and why."""
    from colorization.data import datasets
    from colorization.study.experiments import PROFILES

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


# ------------------------------------------------------------------ the kernels


def _kernel_manager():
    """jupyter_client's kernel manager, but a finished kernel is asked to stop without an
    interrupt first (an idle ipykernel would log "KeyboardInterrupt caught in kernel")."""
    from jupyter_client.manager import AsyncKernelManager

    class KernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return KernelManager


def _stream_notebook_output() -> None:
    """``--verbose``: show papermill's cell log and what the notebooks print."""
    logger = logging.getLogger("papermill")
    if not any(getattr(h, "_colorization", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("      %(message)s"))
        handler._colorization = True
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


# ------------------------------------------------------------------ the cost


def confirm_cost(console: Console, chosen: str, total: float, flops: float, seconds: float,
                 *, gpu: bool, yes: bool, ask=input) -> bool:
    """Whether to go on. Without a GPU, the ``paper`` profile or a run over
    :data:`ASK_ABOVE_SECONDS` says what it costs and what a GPU changes, then goes on with
    ``yes``, stops when ``CI`` is set or nobody can answer, else asks."""
    if gpu or (chosen != "paper" and total <= ASK_ABOVE_SECONDS):
        return True
    rate = flops / seconds / 1e12 if seconds > 0 else 0.0
    console.say(
        f"cost: this is about {duration(total)} on this machine, which has no GPU: "
        f"{flops / 1e15:,.1f} PFLOP of training at the {rate:.2f} TFLOP/s measured here.")
    console.say(
        f"  On a GPU that achieves {GPU_TFLOPS:.0f} TFLOP/s on these networks the training "
        f"takes about {duration(flops / (GPU_TFLOPS * 1e12))}. Kaggle Notebooks give a free "
        "GPU with both datasets attached: docs/kaggle-and-colab.md says how. PROFILE=quick "
        "runs the whole suite on the embedded data in well under an hour on a CPU.")
    again = "Pass --yes (make reproduce YES=1) to run it anyway."
    if yes:
        console.say("  --yes (YES=1) given: going on.")
        return True
    if _ci():
        console.say(f"  CI is set: stopping before any training. {again}")
        return False
    if not sys.stdin or not sys.stdin.isatty():
        console.say(f"  Nobody to ask (no terminal): stopping before any training. {again}")
        return False
    try:
        answer = ask("  Go on? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return True
    console.say("  Stopped before any training.")
    return False


# ------------------------------------------------------------------ the run


def prepare_attached(console: Console) -> bool:
    """Prepare the Kaggle datasets attached to this Kaggle Notebook that are not prepared yet
    (``colorization data``: no login, no download). False, after its output, if it failed."""
    from colorization.data import datasets

    if datasets.data_mode() == "embedded":
        return True
    found = {n: datasets.attached(n) for n in datasets.KAGGLE_IDS if not datasets.is_prepared(n)}
    found = {n: folder for n, folder in found.items() if folder is not None}
    if not found:
        return True
    console.say("data: preparing the datasets attached to this Kaggle Notebook: "
                + ", ".join(f"{n} ({folder})" for n, folder in found.items()) + " ...")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "colorization", "data", *found],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        console.say(f"data: `colorization data {' '.join(found)}` failed:")
        for line in (done.stdout + done.stderr).strip().splitlines()[-FAILED_TAIL_LINES:]:
            console.say(f"  | {line}")
        return False
    console.say(f"data: prepared in {time.monotonic() - started:.0f} s")
    return True


def _execute(nb: Path, target: Path, chosen: str, verbose: bool, config) -> str | None:
    """Run one notebook into ``target``, written whole (a kill leaves it finished or absent);
    returns what failed (``None``: nothing), the partly executed copy left beside it."""
    import papermill

    partial = target.with_name(target.stem + ".partial.ipynb")
    try:
        papermill.execute_notebook(str(nb), str(partial), parameters={"profile": chosen},
                                   cwd=str(nb.parent), progress_bar=False,
                                   log_output=verbose, kernel_name="python3", config=config)
    except papermill.PapermillExecutionError as exc:
        first = (exc.source or "").strip().splitlines()[:1]
        return (f"\nFAILED: {nb.name}, cell In [{exc.exec_count}]"
                + (f" ({first[0][:60]})" if first else "") + f": {exc.ename}: {exc.evalue}")
    except Exception as exc:  # noqa: BLE001 - a dead kernel, a timeout, a bad file
        return f"\nFAILED: {nb.name}: {type(exc).__name__}: {exc}"
    fileio.write_bytes(target, partial.read_bytes())
    partial.unlink()
    return None


def run(profile: str = "auto", only: list[str] | None = None, *, verbose: bool = False,
        yes: bool = False, console: Console | None = None, import_seconds: float = 0.0,
        allow_embedded: bool = False) -> int:
    """Execute the notebooks (see the module docstring); returns the exit code: 0 done, 1 a
    notebook failed, 2 the data is missing or could not be prepared, 3 stopped before
    training (the cost). ``import_seconds``: how long importing TensorFlow took."""
    from traitlets.config import Config

    from colorization.study import experiments, page, plan, report

    console = console or Console()
    wall = time.monotonic()
    if verbose:
        _stream_notebook_output()
    root = paths.project_root()
    if not prepare_attached(console):
        return 2
    chosen, why = choose_profile(profile)
    console.say(f"make reproduce: profile {chosen} ({why})")
    try:  # the paper profile stops here, before any training, without the Kaggle data
        experiments.check_paper_data(chosen, allow_embedded=allow_embedded or None)
    except experiments.MissingPaperDataError as err:
        console.say(f"make reproduce: {err}")
        return 2
    out_dir = paths.reports_dir() / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    state_path = paths.reports_dir() / "reproduce-state.json"
    # a damaged results.json set aside: every notebook records its rows again
    state = {} if report.set_aside_if_damaged() else read_state(state_path)
    chosen_nbs = [nb for nb in notebooks(root / "notebooks")
                  if not only or any(nb.name.startswith(o) for o in only)]
    plans = plan.make_plan(chosen, chosen_nbs,
                           {nb.name for nb in chosen_nbs if is_executed(state, nb, chosen)})
    wanted = plan.networks(plans)
    if wanted:
        console.say(f"timing {len(wanted)} network{'s' * (len(wanted) != 1)} on this machine "
                    "(a few training steps each) ...")
    started = time.monotonic()
    timings = plan.time_networks(wanted, say=console.say if verbose else lambda _m: None)
    if wanted:
        console.say(f"  timed in {time.monotonic() - started:.0f} s (kept in "
                    f"{_shown(plan.cache_path(), root)} for the next run)")
    total = plan.estimate(plans, timings, import_seconds)
    for line in plan.summary(plans, chosen, total):
        console.say(line)
    flops, seconds = plan.cost(plans, timings)
    if not confirm_cost(console, chosen, total, flops, seconds, gpu=gpu_available(), yes=yes):
        return 3

    scratch = Path(tempfile.mkdtemp(prefix="colorization-reproduce-"))
    events = scratch / "progress.jsonl"
    events.touch()
    # The kernels talk over local sockets (not TCP ports), kept in the scratch folder.
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(scratch / "kernel")},
                     "NotebookClient": {"kernel_manager_class": _kernel_manager()}})
    watcher = Watcher(console, events)
    watcher.start()
    todo = [p for p in plans if not p.skipped]
    done = estimated = 0.0
    remaining = sum(p.seconds for p in todo)
    try:
        with kernel_settings(chosen, events, allow_embedded):
            for p in todo:
                nb, target = root / "notebooks" / p.name, out_dir / p.name
                console.say(f"{nb.stem}: running (estimate {duration(p.seconds)}) ...")
                watcher.notebook, watcher.started = nb.stem, time.monotonic()
                start = time.perf_counter()
                failed = _execute(nb, target, chosen, verbose, config)
                watcher.notebook = None
                if failed:
                    watcher.stop()
                    console.say(failed)
                    show_failure(console, target.with_name(target.stem + ".partial.ipynb"))
                    return 1
                page.export_html(target)  # what index.html links: readable without Jupyter
                took = time.perf_counter() - start
                state[f"{nb.name}:{chosen}"] = {"sha256": digest(nb), "seconds": round(took, 1)}
                write_state(state_path, state)
                watcher.drain()
                done, estimated = done + took, estimated + p.seconds
                remaining -= p.seconds
                pace = min(max(done / estimated, 0.5), 3.0) if estimated > 0 else 1.0
                left = (f"; about {duration(remaining * pace)} left" if remaining > 0
                        else "")
                console.say(f"{nb.stem}: done in {duration(took)} (estimate "
                            f"{duration(p.seconds)}){left}")
    finally:
        watcher.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    index = report.write_index(chosen)
    claims = json.loads(report.results_path().read_text()).get("claims") or []
    trained, executed = len(watcher.runs), len(todo)
    console.say(f"summary: {executed} notebook{'s' * (executed != 1)} executed, "
                f"{trained} run{'s' * (trained != 1)} trained, in "
                f"{duration(time.monotonic() - wall)} (estimate {duration(total)})")
    console.say(f"  claims: {report.tally(claims) or 'none decided'}")
    console.say(f"  report: {_shown(index, root)} (executed notebooks: "
                f"{_shown(out_dir, root)}/; training curves: `{page.TENSORBOARD}`)")
    return 0


def _shown(path: Path, root: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(root))
    return str(path)


def main(argv=None) -> int:
    started = time.perf_counter()
    runtime.prepare_tensorflow()  # before Keras loads: TensorFlow's start-up stays quiet
    import_seconds = time.perf_counter() - started
    from colorization.study.experiments import PROFILES
    from colorization.study.notebook import apply_environment

    p = argparse.ArgumentParser(prog="python -m colorization.study.reproduce",
                                description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="auto", choices=("auto",) + PROFILES)
    p.add_argument("--only", nargs="*", help="run only notebooks whose names start so")
    p.add_argument("--verbose", action="store_true",
                   help="also show every notebook's own output, cell by cell")
    p.add_argument("--yes", action="store_true",
                   help="go on without asking when the run is long on a machine without a GPU")
    p.add_argument("--publish", action="store_true",
                   help="after a finished run, make its executed notebooks the committed ones "
                        "and copy results.json and the README's figures to docs/results/")
    p.add_argument("--allow-embedded-data", action="store_true",
                   help="let the paper profile train on the embedded data (real fruit sample, "
                        "pet sample) when the Kaggle datasets are missing")
    args = p.parse_args(argv)
    apply_environment()  # COLORIZATION_DATA and the other settings, for this process
    try:
        code = run(args.profile, args.only, verbose=args.verbose, yes=args.yes,
                   import_seconds=import_seconds, allow_embedded=args.allow_embedded_data)
        if code == 0 and args.publish:
            for path in publish(choose_profile(args.profile)[0]):
                print(f"published {path.relative_to(paths.project_root())}")
        return code
    except KeyboardInterrupt:
        print("interrupted: finished notebooks are kept; run again to continue from the "
              "first unfinished one", file=sys.stderr)
        return 130



def publish(profile: str) -> list[Path]:
    """Make the executed notebooks of the last ``make reproduce`` the committed ones, then
    copy ``reports/results.json`` and the figures of
    :func:`colorization.study.catalog.published_figures` to ``docs/results/`` and
    :func:`write` the pages; returns the files written.

    Every numbered notebook must have been executed with ``profile`` from its current source;
    its executed copy, outputs kept, replaces ``notebooks/<name>.ipynb`` without papermill's
    injected cell and metadata."""
    import nbformat

    from colorization.study import catalog, published, report

    root, reports = paths.project_root(), paths.reports_dir()
    state = read_state(reports / "reproduce-state.json")
    sources = notebooks(root / "notebooks")
    stale = [nb.name for nb in sources if not is_executed(state, nb, profile)]
    if stale:
        raise RuntimeError(f"not executed with profile {profile!r} from their current source: "
                           f"{', '.join(stale)}; run `make reproduce PROFILE={profile}` first")
    written = []
    for source in sources:
        nb = nbformat.read(reports / "notebooks" / source.name, as_version=4)
        nb.cells = own_cells(nb)
        for meta in [nb.metadata] + [cell.metadata for cell in nb.cells]:
            meta.pop("papermill", None)
            meta.pop("execution", None)
        written.append(fileio.write_text(source, nbformat.writes(nb) + "\n"))
    out = published.results_json().parent
    out.mkdir(parents=True, exist_ok=True)
    written.append(fileio.write_bytes(out / "results.json", report.results_path().read_bytes()))
    for name in catalog.published_figures():
        figure = paths.figures_dir() / f"{name}.png"
        written.append(fileio.write_bytes(out / f"{profile}-{name}.png", figure.read_bytes()))
    return written + published.write()


if __name__ == "__main__":
    sys.exit(main())
