"""Results that outlive a notebook: figures under ``reports/figures/``, metric rows in
``reports/results.json``, the executed notebooks as HTML, and the report
``reports/index.html`` gathering them with where and how they were made (date, commit, machine,
backend, profile, the data the runs used)."""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from colorization import claim_table, fileio, paths

TENSORBOARD = "tensorboard --logdir runs"

TABLE_KEYS = ("psnr", "psnr_gray", "ssim", "ab_mae", "ab_mae_gray", "delta_e", "chroma_ratio",
              "colorfulness_diff", "auc", "n_images")


def save_figure(fig, name: str) -> Path:
    """Save a matplotlib figure as ``reports/figures/<name>.png`` and return the path."""
    folder = paths.figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    with fileio.atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")
    return path


def record(experiment: str, metrics: dict, **info) -> None:
    """Add or replace one experiment's row in ``reports/results.json``."""
    path = paths.reports_dir() / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(path.read_text()) if path.exists() else {}
    rows[experiment] = {**info, **{k: metrics[k] for k in TABLE_KEYS if k in metrics}}
    fileio.write_json(path, rows)


def results() -> dict:
    """The experiment rows of ``reports/results.json`` (its ``_environment`` entry aside)."""
    path = paths.reports_dir() / "results.json"
    rows = json.loads(path.read_text()) if path.exists() else {}
    return {k: v for k, v in rows.items() if not k.startswith("_")}


def export_html(notebook: str | os.PathLike) -> Path:
    """Write an executed notebook as a self-contained HTML page beside it (``.html``)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = Path(notebook)
    body, _resources = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    return fileio.write_text(notebook.with_suffix(".html"), body)


def _git_commit(root: Path) -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        res = subprocess.run([git, "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = res.stdout.strip()
    if res.returncode != 0 or not commit:
        return "unknown"
    dirty = subprocess.run([git, "status", "--porcelain", "--untracked-files=no"], cwd=root,
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return commit + (" (with uncommitted changes)" if dirty else "")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _gpu_names() -> list[str]:
    """GPU names, asking the driver first (nothing initialised), else the loaded backend."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            res = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=20)
            names = [n.strip() for n in res.stdout.splitlines() if n.strip()]
            if res.returncode == 0 and names:
                return names
        except (OSError, subprocess.SubprocessError):
            pass
    try:  # only a backend the process has already loaded: never start one for this
        if "jax" in sys.modules:
            return [d.device_kind for d in sys.modules["jax"].devices() if d.platform == "gpu"]
        if "tensorflow" in sys.modules:
            tf = sys.modules["tensorflow"]
            return [tf.config.experimental.get_device_details(d).get("device_name", d.name)
                    for d in tf.config.list_physical_devices("GPU")]
    except Exception:  # noqa: BLE001 - no accelerator stack is the same as no GPU
        pass
    return []


def _backend() -> str:
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def data_used(profile: str | None = None) -> dict[str, list[str]]:
    """``{run name: [dataset, data source]}`` from every finished run's ``status.json``
    (runs directly under ``runs/``, and those of ``profile`` in ``runs/<profile>/``; every
    profile's when none is given)."""
    out = {}
    root = paths.runs_dir()
    patterns = ["*/status.json", f"{profile}/*/status.json" if profile else "*/*/status.json"]
    found = sorted({p for pattern in patterns for p in root.glob(pattern)}) if root.is_dir() else []
    for status in found:
        try:
            value = json.loads(status.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(value, dict) and value.get("dataset"):
            out[status.parent.name] = [str(value["dataset"]), str(value.get("data_source", ""))]
    return out


def environment(profile: str | None = None) -> dict:
    """Where and how the report was made: date, commit, machine, backend, profile, data."""
    used = data_used(profile)
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(paths.project_root()),
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "gpu": _gpu_names(),
                    "system": f"{platform.system()} {platform.release()}",
                    "python": platform.python_version()},
        "backend": _backend(),
        "profile": profile or os.environ.get("COLORIZATION_PROFILE") or "unknown",
        "datasets": sorted({d for d, _src in used.values()}),
        "runs": used,
    }


def record_environment(profile: str | None = None) -> dict:
    """Store :func:`environment` as the ``_environment`` entry of ``reports/results.json``."""
    path = paths.reports_dir() / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(path.read_text()) if path.exists() else {}
    env = environment(profile)
    rows["_environment"] = env
    fileio.write_json(path, rows)
    return env


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return html.escape(str(v))


def _environment_html(env: dict) -> str:
    m = env["machine"]
    gpu = ", ".join(m["gpu"]) or "none"
    runs = "".join(f"<li>{html.escape(run)}: {html.escape(d)} ({html.escape(src)})</li>"
                   for run, (d, src) in sorted(env["runs"].items()))
    rows = [("date", env["date"]), ("commit", env["commit"]),
            ("machine", f"{m['cpu']} ({m['cores']} cores), GPU: {gpu}; {m['system']}, "
                        f"Python {m['python']}"),
            ("backend", env["backend"]), ("profile", env["profile"]),
            ("data", ", ".join(env["datasets"]) or "no finished run found")]
    return ("<h2>How this report was made</h2><table class='env'>" + "".join(
        f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table>"
        + (f"<details><summary>data of each run</summary><ul>{runs}</ul></details>"
           if runs else "")
        + f"<p>Training curves: run <code>{TENSORBOARD}</code> in the project folder and "
        "open the address it prints.</p>")


def write_index(profile: str | None = None) -> Path:
    """Write ``reports/index.html``: how it was made, the results table, the executed
    notebooks (as HTML), then every figure. The environment is also stored in
    ``reports/results.json`` (``_environment``)."""
    root = paths.reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    env = record_environment(profile)
    rows = {k: v for k, v in results().items() if k != "claims"}  # claims: a list, below
    cols = sorted({k for r in rows.values() for k in r}, key=lambda k: (
        k not in ("model", "data", "loss", "epochs"), TABLE_KEYS.index(k) if k in TABLE_KEYS
        else -1, k))
    parts = ["<!doctype html><meta charset='utf-8'><title>Colorization results</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             ".env td{text-align:left}"
             "img{max-width:100%;margin:1em 0}</style>",
             "<h1>Image colorization: results</h1>", _environment_html(env)]
    if rows:
        parts.append("<h2>Every experiment</h2><table><tr><th>experiment</th>"
                     + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>")
        for name, row in sorted(rows.items()):
            parts.append(f"<tr><th>{html.escape(name)}</th>"
                         + "".join(f"<td>{_fmt(row.get(c, ''))}</td>" for c in cols) + "</tr>")
        parts.append("</table><p>psnr in dB on RGB; ab_mae in ab units; auc in percent; "
                     "*_gray: the same metric for a = b = 0.</p>")
    if results().get("claims"):
        parts.append("<h2>The paper's claims</h2>" + claim_table.format_html(results()["claims"]))
    notebooks = sorted(p for p in (root / "notebooks").glob("*.ipynb")
                       if not p.name.endswith(".partial.ipynb"))
    if notebooks:
        items = []
        for nb in notebooks:
            page = nb.with_suffix(".html")
            if not page.is_file() or page.stat().st_mtime < nb.stat().st_mtime:
                page = export_html(nb)
            items.append(f"<li><a href='notebooks/{html.escape(page.name)}'>"
                         f"{html.escape(nb.stem)}</a></li>")
        parts.append("<h2>Executed notebooks</h2><ul>" + "".join(items) + "</ul>")
    figures = sorted(paths.figures_dir().glob("*.png"))
    if figures:
        parts.append("<h2>Figures</h2>")
        for fig in figures:
            if fig.name.startswith("."):
                continue
            name, stem = html.escape(fig.name), html.escape(fig.stem)
            parts.append(f"<h3>{stem}</h3><img src='figures/{name}' alt='{stem}'>")
    index = root / "index.html"
    fileio.write_text(index, "\n".join(parts) + "\n")
    return index


def format_table(rows: dict, keys=("psnr", "psnr_gray", "ab_mae", "ab_mae_gray", "delta_e",
                                   "ssim", "chroma_ratio", "colorfulness_diff", "auc"),
                 digits: int = 2) -> str:
    """A plain-text table of ``{label: metrics}``, values rounded (so notebooks compare)."""
    width = max([len("experiment")] + [len(k) for k in rows])
    head = f"{'':{width}s} " + " ".join(f"{k:>17s}" if len(k) > 10 else f"{k:>10s}"
                                         for k in keys)
    lines = [head]
    for label, m in rows.items():
        cells = []
        for k in keys:
            v = m.get(k)
            text = "-" if v is None else f"{v:.{digits}f}"
            cells.append(f"{text:>17s}" if len(k) > 10 else f"{text:>10s}")
        lines.append(f"{label:{width}s} " + " ".join(cells))
    return "\n".join(lines)


def verdict(m: dict) -> str:
    """One sentence reading a metrics dict against the gray baseline."""
    ratio = m["ab_mae"] / m["ab_mae_gray"] if m["ab_mae_gray"] else float("nan")
    if ratio < 0.8:
        colours = f"colours: its ab error is {ratio:.2f}x the gray baseline's"
    elif ratio < 1.0:
        colours = f"barely beats gray: its ab error is {ratio:.2f}x the gray baseline's"
    else:
        colours = f"does worse than leaving the image gray (ab error {ratio:.2f}x the baseline's)"
    chroma = m["chroma_ratio"]
    if chroma < 0.5:
        sat = f"strongly desaturated (chroma ratio {chroma:.2f})"
    elif chroma < 0.85:
        sat = f"desaturated (chroma ratio {chroma:.2f})"
    elif chroma <= 1.15:
        sat = f"about as saturated as the truth (chroma ratio {chroma:.2f})"
    else:
        sat = f"more saturated than the truth (chroma ratio {chroma:.2f})"
    return f"The model {colours}; {sat}."
