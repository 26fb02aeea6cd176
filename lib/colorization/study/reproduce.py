"""``make reproduce``: execute every numbered notebook headless, then write the report.

It prints, in turn: the profile and why; a plan (per notebook the runs it trains: seeds,
images, epochs, optimizer steps) with an estimate of each notebook's time and of the whole
from a few timed training steps of each network on this machine (:mod:`.plan`); then one
line as each notebook and each run starts and ends (time, images/s), a progress line at
least every 30 seconds within an epoch with the run's ETA, and at the end the claims'
verdicts, the report's path and the wall time. A run that would take over an hour (or the
``paper`` profile) on a machine without a GPU first says what it will cost and asks before
it starts (``--yes`` goes on; with ``CI`` set it stops there). ``--verbose`` also streams
every notebook's own output, cell by cell.

Notebooks run in order with papermill into ``reports/notebooks/``, each receiving the
``profile`` parameter. A notebook that finished with the same profile is skipped on the next
call (its executed copy is the record, also exported as HTML); the first failure stops
everything, naming the notebook, the cell and the error, with the notebook's last output
lines. ``reports/index.html`` then gathers the date, commit, machine, backend, profile and
data used, every figure, the executed notebooks' HTML and the results table
(``reports/results.json``, which the notebooks append to through
:func:`colorization.study.report.record`).

Nothing here imports Keras at import time: :func:`main` quiets TensorFlow's start-up first.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from colorization.core import fileio, paths, runtime

#: a run longer than this (seconds) on a machine without a GPU asks before it starts
ASK_ABOVE_SECONDS = 3600
#: with nothing printed for this long while a notebook runs, a line says it still runs
HEARTBEAT_SECONDS = 60
#: output lines of a failed notebook shown with its error
FAILED_TAIL_LINES = 20
#: what a GPU is assumed to achieve on these networks, for the cost message only
GPU_TFLOPS = 10.0


def gpu_available() -> bool:
    try:
        import keras

        if keras.backend.backend() == "jax":
            import jax

            return any(d.platform == "gpu" for d in jax.devices())
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
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


# ------------------------------------------------------------------ the console


class Console:
    """Everything ``make reproduce`` prints goes through :meth:`say` (one place, flushed, and
    the time of the last line kept for the heartbeat)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def say(self, text: str = "") -> None:
        with self.lock:
            print(text, file=self.stream, flush=True)
            self.last = time.monotonic()


def _kernel_manager():
    """The notebooks' kernel manager: jupyter_client's, but its shutdown of a kernel that
    has finished asks it to stop without interrupting it first (an idle ipykernel logs the
    interrupt, "KeyboardInterrupt caught in kernel", on the terminal); a kernel that does not
    stop in time is killed, as before."""
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


def event_line(event: dict) -> str | None:
    """The console line of one progress event of a training
    (:class:`colorization.runs.callbacks.ProgressEvents`), or ``None``."""
    from colorization.study.plan import duration

    run, kind = event.get("run", "?"), event.get("event")
    if kind == "start":
        first = int(event.get("epoch", 0))
        since = f", from epoch {first + 1}" if first else ""
        return (f"    run {run}: {event.get('images', 0):,} images x {event.get('epochs')} "
                f"epochs, {event.get('steps', 0):,} steps an epoch{since}")
    if kind == "progress":
        return (f"      {run} epoch {event.get('epoch')}/{event.get('epochs')}, step "
                f"{event.get('step'):,}/{event.get('steps'):,}: "
                f"{event.get('images_per_second', 0):,.1f} images/s, run ETA "
                f"{duration(event.get('eta_seconds', 0))}")
    if kind == "end":
        return (f"    done {run}: {event.get('epochs')} epochs in "
                f"{duration(event.get('seconds', 0))} (last epoch "
                f"{event.get('images_per_second', 0):,.1f} images/s)")
    return None


class Watcher(threading.Thread):
    """Prints the progress events the notebooks' trainings append to ``path``, and a line
    when a notebook has printed nothing for :data:`HEARTBEAT_SECONDS`."""

    def __init__(self, console: Console, path: Path, poll: float = 1.0):
        super().__init__(daemon=True)
        self.console, self.path, self.poll = console, path, poll
        self.offset, self.runs = 0, []
        self.notebook, self.started = None, 0.0
        self.halt = threading.Event()

    def run(self):
        while not self.halt.wait(self.poll):
            self.drain()
            quiet = time.monotonic() - self.console.last
            if self.notebook and quiet >= HEARTBEAT_SECONDS:
                from colorization.study.plan import duration

                self.console.say(f"    ... {self.notebook} still running "
                                 f"({duration(time.monotonic() - self.started)} so far)")

    def drain(self) -> None:
        """Print the events written since the last call."""
        try:
            with open(self.path, encoding="utf-8") as f:
                f.seek(self.offset)
                text = f.read()
        except OSError:
            return
        complete = text[: text.rfind("\n") + 1]  # a line being written waits
        self.offset += len(complete.encode("utf-8"))
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "end":
                self.runs.append(event)
            shown = event_line(event)
            if shown:
                self.console.say(shown)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=5)
        self.drain()


def _failure_tail(notebook: Path, n: int = FAILED_TAIL_LINES) -> list[str]:
    """The last ``n`` output lines of a (partly) executed notebook: its printed text and the
    error's traceback, without colour codes."""
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError):
        return []
    ansi = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
    lines: list[str] = []
    for cell in nb.cells:
        if "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                lines += str(out.get("text", "")).splitlines()
            elif out.get("output_type") == "error":
                lines += ansi.sub("", "\n".join(out.get("traceback", []))).splitlines()
            elif "text/plain" in out.get("data", {}):
                lines += str(out["data"]["text/plain"]).splitlines()
    return [line for line in lines if line.strip()][-n:]


# ------------------------------------------------------------------ the plan


def _print_plan(console: Console, chosen: str, plans, total: float) -> None:
    from colorization.study.plan import duration

    todo = [p for p in plans if not p.skipped]
    runs = sum(len(p.runs) for p in todo)
    width = max([len(p.name) - 6 for p in plans] + [8])
    console.say(f"plan: {len(todo)} notebook{'s' * (len(todo) != 1)} to execute, {runs} "
                f"run{'s' * (runs != 1)} to train (experiment: seeds x training images x "
                "epochs = optimizer steps)")
    for p in plans:
        stem = p.name[:-6]
        if p.skipped:
            console.say(f"  {stem:{width}s}       done  (executed with profile {chosen}; "
                        "skipped)")
            continue
        groups: dict[str, list] = {}
        for r in p.runs:
            groups.setdefault(r.experiment, []).append(r)
        what = "; ".join(
            f"{name}: {len(rs)} x {rs[0].images:,} x {rs[0].epochs - rs[0].done} = "
            f"{sum(r.optimizer_steps for r in rs):,}" for name, rs in groups.items())
        console.say(f"  {stem:{width}s} {duration(p.seconds):>10s}  "
                    f"{what or 'no training'}")
    finish = time.strftime("%a %H:%M" if total > 20 * 3600 else "%H:%M",
                           time.localtime(time.time() + total))
    console.say(f"  {'in all':{width}s} {duration(total):>10s}  (estimate on this machine; "
                f"ETA {finish})")


def _cost(plans, timings) -> tuple[float, float]:
    """``(training FLOPs, seconds of training steps)`` of every run to train."""
    flops = seconds = 0.0
    for p in plans:
        if p.skipped:
            continue
        for r in p.runs:
            t = timings[(r.model, r.image_size, r.batch_size)]
            images = r.optimizer_steps * r.batch_size
            flops += images * t.flops_image
            seconds += images * t.train_image
    return flops, seconds


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def confirm_cost(console: Console, chosen: str, total: float, flops: float, seconds: float,
                 *, gpu: bool, yes: bool, ask=input) -> bool:
    """Whether to go on. Without a GPU, the ``paper`` profile or anything over
    :data:`ASK_ABOVE_SECONDS` says what it will cost and what a GPU changes, then goes on
    with ``yes``, stops when ``CI`` is set or nobody can answer, else asks."""
    from colorization.study.plan import duration

    if gpu or (chosen != "paper" and total <= ASK_ABOVE_SECONDS):
        return True
    rate = flops / seconds / 1e12 if seconds > 0 else 0.0
    on_gpu = flops / (GPU_TFLOPS * 1e12)
    console.say(
        f"cost: this is about {duration(total)} on this machine, which has no GPU: "
        f"{flops / 1e15:,.1f} PFLOP of training at the {rate:.2f} TFLOP/s measured here.")
    console.say(
        f"  On a GPU that achieves {GPU_TFLOPS:.0f} TFLOP/s on these networks the training "
        f"takes about {duration(on_gpu)}. Kaggle Notebooks give a free GPU with both "
        "datasets attached: docs/kaggle-and-colab.md says how. PROFILE=quick runs the whole "
        "suite on the embedded data in well under an hour on a CPU.")
    if yes:
        console.say("  --yes (YES=1) given: going on.")
        return True
    if _ci():
        console.say("  CI is set: stopping before any training. Pass --yes (make reproduce "
                    "YES=1) to run it anyway.")
        return False
    if not sys.stdin or not sys.stdin.isatty():
        console.say("  Nobody to ask (no terminal): stopping before any training. Pass --yes "
                    "(make reproduce YES=1) to run it anyway.")
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
    """Prepare the Kaggle datasets attached to this Kaggle Notebook
    (:func:`colorization.data.datasets.attached`) that are not prepared yet, with
    ``colorization data`` (no login, no download; only ``data/prepared/`` is written).
    Returns False, after showing its output, when that command failed."""
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


def _verdicts() -> str:
    """The count of each claim verdict in ``reports/results.json``."""
    from colorization.study import report

    try:
        claims = json.loads(report.results_path().read_text()).get("claims") or []
    except (OSError, ValueError, AttributeError):
        return "no claim decided (reports/results.json has none)"
    counts: dict[str, int] = {}
    for row in claims:
        if isinstance(row, dict) and row.get("verdict"):
            counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    if not counts:
        return "no claim decided (reports/results.json has none)"
    return f"{sum(counts.values())} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items())


def run(profile: str = "auto", only: list[str] | None = None, *, verbose: bool = False,
        yes: bool = False, console: Console | None = None, import_seconds: float = 0.0) -> int:
    """Execute the notebooks (see the module docstring); returns the exit code: 0 done, 1 a
    notebook failed, 2 the data is missing or could not be prepared, 3 stopped before
    training (the cost). ``import_seconds``: how long importing TensorFlow took (for the
    estimate)."""
    import papermill  # needed only here
    from traitlets.config import Config

    from colorization.study import experiments, plan, report

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
        experiments.check_paper_data(chosen)
    except experiments.MissingPaperDataError as err:
        console.say(f"make reproduce: {err}")
        return 2
    out_dir = paths.reports_dir() / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    state_path = paths.reports_dir() / "reproduce-state.json"
    state = _read_state(state_path)
    had_results = report.results_path().exists()
    if had_results and not report.results() and not report.results_path().exists():
        state = {}  # a damaged results.json was set aside: every notebook records its rows again
    chosen_nbs = [nb for nb in notebooks(root / "notebooks")
                  if not only or any(nb.name.startswith(o) for o in only)]
    skipped = {nb.name for nb in chosen_nbs
               if (state.get(f"{nb.name}:{chosen}") or {}).get("sha256") == _digest(nb)
               and (out_dir / nb.name).exists()}
    plans = plan.make_plan(chosen, chosen_nbs, skipped)
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
    _print_plan(console, chosen, plans, total)
    flops, seconds = _cost(plans, timings)
    if not confirm_cost(console, chosen, total, flops, seconds, gpu=gpu_available(), yes=yes):
        return 3

    scratch = Path(tempfile.mkdtemp(prefix="colorization-reproduce-"))
    events = scratch / "progress.jsonl"
    events.touch()
    saved = {k: os.environ.get(k) for k in ("COLORIZATION_PROFILE", "COLORIZATION_PROGRESS")}
    os.environ["COLORIZATION_PROFILE"] = chosen
    os.environ["COLORIZATION_PROGRESS"] = str(events)
    os.environ.setdefault("COLORIZATION_VERBOSE", "2")  # one line per epoch in the notebooks
    # The kernels talk over local sockets (not TCP ports), kept in the scratch folder.
    kernel = Config({"KernelManager": {"transport": "ipc", "ip": str(scratch / "kernel")},
                     "NotebookClient": {"kernel_manager_class": _kernel_manager()}})
    watcher = Watcher(console, events)
    watcher.start()
    done = estimated = 0.0
    remaining = sum(p.seconds for p in plans if not p.skipped)
    try:
        for p in plans:
            nb = root / "notebooks" / p.name
            if p.skipped:
                continue
            target = out_dir / nb.name
            console.say(f"{nb.stem}: running (estimate {plan.duration(p.seconds)}) ...")
            watcher.notebook, watcher.started = nb.stem, time.monotonic()
            start = time.perf_counter()
            tmp = target.with_name(target.stem + ".partial.ipynb")
            try:
                papermill.execute_notebook(
                    str(nb), str(tmp), parameters={"profile": chosen}, cwd=str(nb.parent),
                    progress_bar=False, log_output=verbose, kernel_name="python3",
                    config=kernel)
            except papermill.PapermillExecutionError as exc:
                watcher.stop()
                first = (exc.source or "").strip().splitlines()[:1]
                console.say(f"\nFAILED: {nb.name}, cell In [{exc.exec_count}]"
                            + (f" ({first[0][:60]})" if first else "")
                            + f": {exc.ename}: {exc.evalue}")
                _show_tail(console, tmp)
                return 1
            except Exception as exc:  # noqa: BLE001 - a dead kernel, a timeout, a bad file
                watcher.stop()
                console.say(f"\nFAILED: {nb.name}: {type(exc).__name__}: {exc}")
                _show_tail(console, tmp)
                return 1
            finally:
                watcher.notebook = None
            # The executed copy and the state entry are each written whole (temporary name,
            # then rename): a kill at any moment leaves the notebook either finished or to run.
            fileio.write_bytes(target, tmp.read_bytes())
            tmp.unlink()
            report.export_html(target)  # what index.html links: readable without Jupyter
            took = time.perf_counter() - start
            state[f"{nb.name}:{chosen}"] = {"sha256": _digest(nb), "seconds": round(took, 1)}
            _write_state(state_path, state)
            watcher.drain()
            done, estimated = done + took, estimated + p.seconds
            remaining -= p.seconds
            pace = min(max(done / estimated, 0.5), 3.0) if estimated > 0 else 1.0
            left = (f"; about {plan.duration(remaining * pace)} left" if remaining > 0
                    else "")
            console.say(f"{nb.stem}: done in {plan.duration(took)} (estimate "
                        f"{plan.duration(p.seconds)}){left}")
    finally:
        watcher.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(scratch, ignore_errors=True)
    index = report.write_index(chosen)
    trained = len(watcher.runs)
    executed = len([p for p in plans if not p.skipped])
    console.say(f"summary: {executed} notebook{'s' * (executed != 1)} executed, "
                f"{trained} run{'s' * (trained != 1)} trained, in "
                f"{plan.duration(time.monotonic() - wall)} (estimate {plan.duration(total)})")
    console.say(f"  {_verdicts()}")
    console.say(f"  report: {_shown(index, root)} (executed notebooks: "
                f"{_shown(out_dir, root)}/; training curves: `{report.TENSORBOARD}`)")
    return 0


def _shown(path: Path, root: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(root))
    return str(path)


def _show_tail(console: Console, notebook: Path) -> None:
    tail = _failure_tail(notebook) if notebook.exists() else []
    if tail:
        console.say("The notebook's last output lines:")
        for line in tail:
            console.say(f"  | {line}")
    console.say(f"The partly executed notebook is {notebook}." if notebook.exists() else
                "No partly executed notebook was written.")


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

    from colorization.study import report

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
    from colorization.study import published

    written += published.write()  # RESULTS.md and the README's results, from results.json
    return written


def main(argv=None) -> int:
    started = time.perf_counter()
    runtime.prepare_tensorflow()  # before Keras loads: TensorFlow's start-up stays quiet
    import_seconds = time.perf_counter() - started
    from colorization.study.experiments import ALLOW_EMBEDDED_ENV, PROFILES

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
    if args.allow_embedded_data:
        os.environ[ALLOW_EMBEDDED_ENV] = "1"
    try:
        code = run(args.profile, args.only, verbose=args.verbose, yes=args.yes,
                   import_seconds=import_seconds)
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
