"""Results that outlive a notebook: figures under ``reports/figures/``, metric rows and claims
in ``reports/results.json``, and ``reports/index.html`` gathering them with where and how they
were made (date, commit, machine, backend, profile, the data the runs used).

The tables are :mod:`colorization.study.tables`, the page :mod:`colorization.study.page`;
their public functions are also reachable from here.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import math
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from colorization.core import fileio, paths
from colorization.study import page
from colorization.study.page import export_html, format_claims_html  # noqa: F401
from colorization.study.tables import (  # noqa: F401 - the tables are also reachable here
    TABLE_KEYS_SHORT,
    format_claims_markdown,
    format_claims_text,
    format_spread_table,
    format_table,
    spread,
    tally,
    verdict,
)

#: the metrics stored per experiment, in the order tables show them
TABLE_KEYS = ("psnr", "psnr_gray", "psnr_tint", "ssim", "ab_mae", "ab_mae_gray", "ab_mae_tint",
              "delta_e", "ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error",
              "class_hue_error", "class_hue_error_max",
              "spread_ratio", "chroma_ratio", "colorfulness_diff", "auc", "gray_stain",
              "green_share", "green_share_true", "mean_a", "ab_error_under_128", "n_images")
#: the texts every claim row holds
CLAIM_KEYS = ("id", "where", "says", "measured", "verdict")


def results_path() -> Path:
    return paths.reports_dir() / "results.json"


def _results_problem(results: dict) -> str | None:
    """What is wrong with the rows of ``results.json``, or ``None``: experiment rows must hold
    finite numbers (``null``: missing) in ``mean``, ``sd`` and ``per_seed`` (lists), and
    ``claims`` must be a list of rows with the texts of :data:`CLAIM_KEYS`."""
    for name, row in results.items():
        if name == "claims":
            if not isinstance(row, list) or not all(
                    isinstance(r, dict) and all(isinstance(r.get(k), str) for k in CLAIM_KEYS)
                    for r in row):
                return "claims: not a list of claim rows"
        elif not name.startswith("_"):
            if not isinstance(row, dict):
                return f"{name}: not an experiment row"
            for part in ("mean", "sd", "per_seed"):
                values = row.get(part, {})
                if not isinstance(values, dict):
                    return f"{name}: {part} is not an object"
                for key, value in values.items():
                    for v in value if part == "per_seed" and isinstance(value, list) else [value]:
                        problem = v is not None and fileio.number_problem(
                            v, 0.0 if part == "sd" else -math.inf)
                        if problem:
                            return f"{name}: {part} {key}: {problem}"
    return None


def _load() -> tuple[dict, Path | None]:
    """``reports/results.json`` (``{}`` when there is none) and where a damaged one (cut
    short, garbage, a bad row or number) was set aside, with a note; ``None`` when none was."""
    path = results_path()
    if not path.exists():
        return {}, None
    what = "a results store"
    try:
        results = fileio.read_json(path, what, "delete it and run `make reproduce` again")
        why = _results_problem(results)
        if why is None:
            return results, None
    except fileio.DamagedFileError as err:
        why = err.why
    try:
        aside = fileio.set_aside(path)
    except FileNotFoundError:  # set aside by another process meanwhile
        return {}, None
    print(f"note: {path} is not {what} ({why}): set aside as {aside}; a new one is started "
          "(`make reproduce` runs every notebook again to fill it)", file=sys.stderr)
    return {}, aside


def set_aside_if_damaged() -> Path | None:
    """Set a damaged ``reports/results.json`` aside; returns where (``None``: it was sound or
    absent)."""
    return _load()[1]


def _write_results(results: dict) -> None:
    results_path().parent.mkdir(parents=True, exist_ok=True)
    fileio.write_json(results_path(), results)


def _experiment_rows(stored: dict) -> dict:
    return {k: v for k, v in stored.items() if not k.startswith("_") and k != "claims"}


def results() -> dict:
    """The experiment rows of ``reports/results.json`` (without ``_environment`` and
    ``claims``)."""
    return _experiment_rows(_load()[0])


def record(experiment: str, per_seed: list[dict], **info) -> None:
    """Add or replace one experiment's row in ``reports/results.json``: ``info`` (its model,
    loss, scale, ...), the seeds, and the mean, sd and each seed's value of every metric of
    :data:`TABLE_KEYS`."""
    stored = _load()[0]
    row = {**info, "seeds": len(per_seed), "mean": {}, "sd": {}, "per_seed": {}}
    for key in TABLE_KEYS:
        values = spread(per_seed, key) if any(key in m for m in per_seed) else None
        if values is not None:
            row["mean"][key], row["sd"][key] = values.mean, values.sd
            row["per_seed"][key] = list(values.values)
    stored[experiment] = row
    _write_results(stored)


def store_claims(rows: list[dict], order: list[str] | None = None) -> None:
    """Store claim ``rows`` in ``reports/results.json`` (replacing rows of the same id,
    keeping the others), sorted by ``order`` (claim ids) where given."""
    stored = _load()[0]
    claims = {r["id"]: r for r in stored.get("claims", [])}
    claims.update({r["id"]: r for r in rows})
    order = order or []
    stored["claims"] = sorted(claims.values(), key=lambda r: (
        order.index(r["id"]) if r["id"] in order else len(order), r["id"]))
    _write_results(stored)


def save_figure(fig, name: str) -> Path:
    """Save a matplotlib figure as ``reports/figures/<name>.png``, lossless RGB (no alpha, no
    palette); returns the path. ``name`` must be a notebook's figure
    (:mod:`colorization.study.catalog`)."""
    from colorization.study import catalog

    catalog.check_figure(name)
    from PIL import Image

    path = paths.figures_dir() / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", facecolor="white")
    buffer.seek(0)
    with Image.open(buffer) as im, fileio.atomic_write(path, "wb") as f:
        im.convert("RGB").save(f, format="PNG", optimize=True)
    return path


# ------------------------------------------------------------------ where and how


def git_commit(root: Path, short: bool = False) -> str:
    """The commit checked out at ``root`` (``" (with uncommitted changes)"`` appended when
    tracked files differ from it), or ``"unknown"`` without git or a repository."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        done = subprocess.run([git, "describe", "--always", "--exclude=*",
                               f"--abbrev={7 if short else 40}",
                               "--dirty= (with uncommitted changes)"],
                              cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def gpu_names() -> list[str]:
    """GPU names from the driver (``nvidia-smi``), else from a backend already loaded (none
    is started for this)."""
    smi = shutil.which("nvidia-smi")
    if smi:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"],
                                  capture_output=True, text=True, timeout=20)
            names = [n.strip() for n in done.stdout.splitlines() if n.strip()]
            if done.returncode == 0 and names:
                return names
    try:
        if "jax" in sys.modules:
            return [d.device_kind for d in sys.modules["jax"].devices() if d.platform == "gpu"]
        if "tensorflow" in sys.modules:
            tf = sys.modules["tensorflow"]
            return [tf.config.experimental.get_device_details(d).get("device_name", d.name)
                    for d in tf.config.list_physical_devices("GPU")]
    except Exception:  # noqa: BLE001 - no accelerator stack is the same as no GPU
        pass
    return []


def data_used(profile: str | None = None) -> dict[str, list[str]]:
    """``{run: [dataset, data source]}`` of every finished run's ``status.json`` under
    ``runs/`` (only ``runs/<profile>/`` when a profile is given)."""
    base = paths.runs_dir() / profile if profile else paths.runs_dir()
    out = {}
    for status in sorted(base.glob("**/status.json")) if base.is_dir() else []:
        try:
            value = json.loads(status.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(value, dict) and value.get("dataset"):
            name = status.parent.relative_to(base).as_posix()
            out[name] = [str(value["dataset"]), str(value.get("data_source", ""))]
    return out


def environment(profile: str | None = None) -> dict:
    """Where and how the results were made: date, commit, machine, Keras backend, profile
    (``"unknown"`` when not given) and the data of the runs."""
    import keras

    used = data_used(profile)
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(paths.project_root()),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "gpu": gpu_names(),
                    "system": f"{platform.system()} {platform.release()}",
                    "python": platform.python_version()},
        "backend": keras.backend.backend(),
        "profile": profile or "unknown",
        "datasets": sorted({d for d, _src in used.values()}),
        "runs": used,
    }


def write_index(profile: str | None = None) -> Path:
    """Store :func:`environment` as ``_environment`` in ``reports/results.json``, export the
    executed notebooks to HTML where needed, and write ``reports/index.html``
    (:mod:`colorization.study.page`); returns its path."""
    root = paths.reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    stored = _load()[0]
    stored["_environment"] = env = environment(profile)
    _write_results(stored)
    stored = fileio.finite_json(stored)  # as it reads back: non-finite numbers as None
    notebooks = []
    for nb in sorted(p for p in (root / "notebooks").glob("*.ipynb")
                     if not p.name.endswith(".partial.ipynb")):
        html = nb.with_suffix(".html")
        if not html.is_file() or html.stat().st_mtime < nb.stat().st_mtime:
            html = export_html(nb)
        notebooks.append(html)
    figures = [f for f in sorted(paths.figures_dir().glob("*.png")) if not f.name.startswith(".")]
    text = page.index_html(env, _experiment_rows(stored), stored.get("claims") or [], notebooks,
                           figures)
    return fileio.write_text(root / "index.html", text)
