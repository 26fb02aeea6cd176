"""What ``make reproduce`` prints while the notebooks run: a line as each training starts
and ends, its progress, a heartbeat for a quiet notebook, and a failed notebook's last output."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
from pathlib import Path

#: with nothing printed for this long while a notebook runs, a line says it still runs
HEARTBEAT_SECONDS = 60
#: output lines of a failed notebook shown with its error
FAILED_TAIL_LINES = 20


def duration(seconds: float) -> str:
    """``"45 s"``, ``"2 min 05 s"``, ``"12 min"``, ``"3 h 20 min"``, ``"2 days 5 h"``."""
    seconds = max(float(seconds), 0.0)
    if round(seconds) < 60:
        return f"{seconds:.0f} s"
    if round(seconds) < 600:
        return f"{round(seconds) // 60} min {round(seconds) % 60:02d} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours, minutes = divmod(round(minutes), 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h"


class Console:
    """Where everything ``make reproduce`` prints goes (flushed; the time of the last line
    is kept for the heartbeat)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def say(self, text: str = "") -> None:
        with self.lock:
            print(text, file=self.stream, flush=True)
            self.last = time.monotonic()


def event_line(event: dict) -> str | None:
    """The console line of one progress event of a training
    (:class:`colorization.runs.callbacks.ProgressEvents`), or ``None``."""
    run, kind = event.get("run", "?"), event.get("event")
    if kind == "start":
        first = int(event.get("epoch", 0))
        return (f"    run {run}: {event.get('images', 0):,} images x {event.get('epochs')} "
                f"epochs, {event.get('steps', 0):,} steps an epoch"
                + (f", from epoch {first + 1}" if first else ""))
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
            if self.notebook and time.monotonic() - self.console.last >= HEARTBEAT_SECONDS:
                self.console.say(f"    ... {self.notebook} still running "
                                 f"({duration(time.monotonic() - self.started)} so far)")

    def drain(self) -> None:
        """Print the events written since the last call (a line being written waits)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                f.seek(self.offset)
                text = f.read()
        except OSError:
            return
        complete = text[: text.rfind("\n") + 1]
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


def show_failure(console: Console, notebook: Path) -> None:
    """The last output lines of a partly executed notebook (its printed text and the error's
    traceback, without colour codes), and where it is."""
    import nbformat

    lines: list[str] = []
    with contextlib.suppress(OSError, ValueError):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", []):
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    lines += str(out.get("text", "")).splitlines()
                elif out.get("output_type") == "error":
                    lines += re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "",
                                    "\n".join(out.get("traceback", []))).splitlines()
                elif "text/plain" in out.get("data", {}):
                    lines += str(out["data"]["text/plain"]).splitlines()
    tail = [line for line in lines if line.strip()][-FAILED_TAIL_LINES:]
    if tail:
        console.say("The notebook's last output lines:")
        for line in tail:
            console.say(f"  | {line}")
    console.say(f"The partly executed notebook is {notebook}." if notebook.exists() else
                "No partly executed notebook was written.")
