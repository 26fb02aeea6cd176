"""Results that outlive a notebook: figures under ``reports/figures/``, metric rows and claims
in ``reports/results.json``, the executed notebooks as HTML, and the report
``reports/index.html`` gathering them with where and how they were made (date, commit, machine,
backend, profile, the data the runs used).

Every experiment's row holds each seed's metrics, their mean and standard deviation, and its
scale (data, real or generated, image size, training images, epochs, optimizer steps, seeds).
The claims table is rendered here from its stored rows (:func:`format_claims_text`,
:func:`format_claims_markdown`, :func:`format_claims_html`), so the report needs no run.
"""

from __future__ import annotations

import datetime as _dt
import html
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
from colorization.study import stats

TENSORBOARD = "tensorboard --logdir runs"

# Metrics stored per experiment, in the order tables show them.
TABLE_KEYS = ("psnr", "psnr_gray", "psnr_tint", "ssim", "ab_mae", "ab_mae_gray", "ab_mae_tint",
              "delta_e", "ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error",
              "class_hue_error", "class_hue_error_max",
              "spread_ratio", "chroma_ratio", "colorfulness_diff", "auc", "gray_stain",
              "green_share", "green_share_true", "mean_a", "ab_error_under_128", "n_images")
# The columns the notebooks print (every stored key is in results.json).
TABLE_KEYS_SHORT = ("psnr", "psnr_gray", "ciede2000", "ciede2000_gray", "ciede2000_tint",
                    "hue_error", "spread_ratio", "chroma_ratio", "ab_mae", "ab_mae_gray")


def results_path() -> Path:
    return paths.reports_dir() / "results.json"


CLAIM_KEYS = ("id", "where", "says", "measured", "verdict")  # text every claim row holds


def _results_problem(results: dict) -> str | None:
    """What is wrong with the rows of ``results.json``, or ``None``: every experiment row an
    object whose ``mean`` and ``sd`` hold finite numbers (``null``: missing) and
    ``per_seed`` lists of them; ``claims`` a list of rows with the texts of
    :data:`CLAIM_KEYS`."""
    for name, row in results.items():
        if name == "claims":
            if not isinstance(row, list) or not all(
                    isinstance(r, dict) and all(isinstance(r.get(k), str) for k in CLAIM_KEYS)
                    for r in row):
                return "claims: not a list of claim rows"
            continue
        if name.startswith("_"):
            continue
        if not isinstance(row, dict):
            return f"{name}: not an experiment row"
        parts = {"mean": row.get("mean", {}), "sd": row.get("sd", {}),
                 "per_seed": row.get("per_seed", {})}
        for part, values in parts.items():
            if not isinstance(values, dict):
                return f"{name}: {part} is not an object"
            for key, value in values.items():
                for v in value if part == "per_seed" and isinstance(value, list) else [value]:
                    problem = v is not None and fileio.number_problem(
                        v, 0.0 if part == "sd" else -math.inf)
                    if problem:
                        return f"{name}: {part} {key}: {problem}"
    return None


def _read_results() -> dict:
    """``reports/results.json`` (``{}`` when there is none). A damaged one (cut short,
    garbage, a row that is not one, a number that is not finite) is set aside as
    ``results.json.damaged-<date>T<time>``, with a note, and a new one is started."""
    path = results_path()
    if not path.exists():
        return {}
    what, todo = "a results store", "delete it and run `make reproduce` again"
    try:
        results = fileio.read_json(path, what, todo)
        why = _results_problem(results)
        if why is None:
            return results
    except fileio.DamagedFileError as err:
        why = err.why
    try:
        aside = fileio.set_aside(path)
    except FileNotFoundError:  # set aside by another process meanwhile
        return {}
    print(f"note: {path} is not {what} ({why}): set aside as {aside}; a new one is started "
          "(`make reproduce` runs every notebook again to fill it)", file=sys.stderr)
    return {}


def _write_results(results: dict) -> None:
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fileio.write_json(path, results)


def save_figure(fig, name: str) -> Path:
    """Save a matplotlib figure as ``reports/figures/<name>.png``: lossless RGB (no alpha, no
    palette), and return the path."""
    from PIL import Image

    folder = paths.figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", facecolor="white")
    buffer.seek(0)
    with Image.open(buffer) as im, fileio.atomic_write(path, "wb") as f:
        im.convert("RGB").save(f, format="PNG", optimize=True)
    return path


def spread(per_seed: list[dict], key: str) -> stats.Values | None:
    """``key`` of every seed as :class:`~colorization.study.stats.Values` (``None`` when a
    seed lacks it)."""
    values = [m.get(key) for m in per_seed]
    if not values or any(fileio.number_problem(v) for v in values):  # NaN, None, text
        return None
    return stats.Values.of(values)


def record(experiment: str, per_seed: list[dict], **info) -> None:
    """Add or replace one experiment's row in ``reports/results.json``: ``info`` (its model,
    loss, scale, ...), then ``mean`` and ``sd`` over seeds and each seed's value of every
    metric of :data:`TABLE_KEYS`."""
    results = _read_results()
    keys = [k for k in TABLE_KEYS if any(k in m for m in per_seed)]
    row = {**info, "seeds": len(per_seed), "mean": {}, "sd": {}, "per_seed": {}}
    for key in keys:
        values = spread(per_seed, key)
        if values is None:
            continue
        row["mean"][key], row["sd"][key] = values.mean, values.sd
        row["per_seed"][key] = list(values.values)
    results[experiment] = row
    _write_results(results)


def results() -> dict:
    """The experiment rows of ``reports/results.json`` (its ``_environment`` and ``claims``
    entries aside)."""
    return _experiment_rows(_read_results())


def _experiment_rows(stored: dict) -> dict:
    return {k: v for k, v in stored.items() if not k.startswith("_") and k != "claims"}


def export_html(notebook: str | os.PathLike) -> Path:
    """Write an executed notebook as a self-contained HTML page beside it (``.html``)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = Path(notebook)
    body, _resources = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    return fileio.write_text(notebook.with_suffix(".html"), body)


def git_commit(root: Path, short: bool = False) -> str:
    """The commit of the checkout at ``root`` (``" (with uncommitted changes)"`` appended
    when tracked files differ from it), or ``"unknown"`` without git or a repository."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        res = subprocess.run([git, "rev-parse", *(["--short"] if short else []), "HEAD"],
                             cwd=root, capture_output=True, text=True, timeout=10)
        commit = res.stdout.strip()
        if res.returncode != 0 or not commit:
            return "unknown"
        dirty = subprocess.run([git, "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


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
    """``{run: [dataset, data source]}`` from every finished run's ``status.json`` under
    ``runs/`` (only ``runs/<profile>/`` when a profile is given)."""
    out = {}
    root = paths.runs_dir()
    base = root / profile if profile else root
    found = sorted(base.glob("**/status.json")) if base.is_dir() else []
    for status in found:
        try:
            value = json.loads(status.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(value, dict) and value.get("dataset"):
            name = status.parent.relative_to(base).as_posix()
            out[name] = [str(value["dataset"]), str(value.get("data_source", ""))]
    return out


def environment(profile: str | None = None) -> dict:
    """Where and how the report was made: date, commit, machine, backend, profile, data."""
    used = data_used(profile)
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(paths.project_root()),
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
    return _store_environment(profile)[0]


def _store_environment(profile: str | None) -> tuple[dict, dict]:
    """:func:`record_environment`, also returning ``reports/results.json`` as now stored
    (non-finite numbers as ``None``, as it reads back)."""
    results = _read_results()
    env = environment(profile)
    results["_environment"] = env
    _write_results(results)
    return env, fileio.finite_json(results)


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


#: the metrics of the report's experiment table: (key, its gray baseline's key or None)
PAGE_METRICS = (("psnr", "psnr_gray"), ("ciede2000", "ciede2000_gray"),
                ("ab_mae", "ab_mae_gray"), ("hue_error", None), ("spread_ratio", None),
                ("chroma_ratio", None))


def _anchor(name: str) -> str:
    return "exp-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in str(name))


def _scale_html(row: dict) -> str:
    """An experiment's network and scale in one sentence (stated once in the report)."""
    def number(key):
        value = row.get(key)
        return f"{value:,}" if isinstance(value, int) else html.escape(str(value or "?"))

    seeds = row.get("seeds", 1)
    return html.escape(f"{row.get('model', '?')}, {row.get('loss', '?')}; "
                       f"{row.get('data', '?')} ({row.get('kind', '?')}), "
                       f"{row.get('image_size', '?')}x{row.get('image_size', '?')}, ") + (
        f"{number('train_images')} images x {number('epochs')} epochs = "
        f"{number('optimizer_steps')} steps, {seeds} seed{'s' * (seeds != 1)}")


def _experiments_html(rows: dict) -> str:
    """Every experiment once: its scale, then its metrics (mean ± sd over seeds, the gray
    baseline's in brackets); each row has an anchor the claims link to."""
    metrics = [(k, g) for k, g in PAGE_METRICS
               if any(k in r.get("mean", {}) for r in rows.values())]
    head = "".join(f"<th>{html.escape(k)}{' (gray)' if g else ''}</th>" for k, g in metrics)
    parts = ["<h2>Every experiment</h2><div class='wide'><table class='experiments'>"
             f"<tr><th>experiment</th><th>network and scale</th>{head}</tr>"]
    for name, row in sorted(rows.items()):
        mean, sd, n = row.get("mean", {}), row.get("sd", {}), row.get("seeds", 1)
        cells = []
        for k, g in metrics:
            if mean.get(k) is None:
                cells.append("<td></td>")
                continue
            text = stats.mean_sd(mean[k], sd.get(k) or 0.0, with_sd=n > 1)
            if g and mean.get(g) is not None:
                text += f" <span class='gray'>({mean[g]:.2f})</span>"
            cells.append(f"<td class='num'>{text}</td>")
        parts.append(f"<tr id='{_anchor(name)}'><th>{html.escape(name)}</th>"
                     f"<td class='scale'>{_scale_html(row)}</td>{''.join(cells)}</tr>")
    parts.append("</table></div><p>Mean ± standard deviation over seeds; in brackets the "
                 "gray baseline's (a = b = 0). psnr in dB on RGB; ciede2000 (CIEDE2000 colour "
                 "difference) and ab_mae in their units; hue_error in degrees on the truly "
                 "coloured pixels; spread_ratio and chroma_ratio: the prediction's over the "
                 "truth's (1 = as colourful).</p>")
    return "".join(parts)


def _claims_page_html(claims: list[dict], rows: dict) -> str:
    """The claims for the report page: what the paper says, where, the experiments it was
    decided on (links to their row, where their scale is stated), what was measured with
    the reason for the verdict (a long reason folded after its first words), and the
    verdict; then the tally."""
    esc = html.escape
    parts = ["<div class='wide'><table class='claims'><colgroup><col class='c-id'>"
             "<col class='c-says'><col class='c-on'><col class='c-measured'>"
             "<col class='c-verdict'></colgroup><tr><th>claim</th><th>paper says</th>"
             "<th>decided on</th><th>measured</th><th>verdict</th></tr>"]
    for r in claims:
        names = [e for e in r.get("experiments") or [] if isinstance(e, str)]
        on = "<br>".join(f"<a href='#{_anchor(e)}'>{esc(e)}</a>" if e in rows else esc(e)
                         for e in names) or esc(_scale_text(r))
        if names and r.get("kind"):
            kind = "real photos" if r["kind"] == "real" else str(r["kind"])
            on += f"<br><span class='gray'>({esc(kind)})</span>"
        parts.append(
            f"<tr><td><b>{esc(r['id'])}</b><br><span class='gray'>{esc(r['where'])}</span></td>"
            f"<td>{esc(r['says'])}</td><td>{on}</td><td>{esc(r['measured'])}"
            f"{_reason_html(r.get('reason') or '')}</td>"
            f"<td style='background:{_COLOURS.get(r['verdict'], '#fff')}'>"
            f"<b>{esc(r['verdict'])}</b></td></tr>")
    parts.append(f"</table></div><p>{esc(tally(claims))}</p>")
    return "".join(parts)


def _reason_html(reason: str, short: int = 160) -> str:
    """Why a claim got its verdict, under what was measured: whole when short, else its
    words up to the first bracket (or ``short`` characters) with the rest folded."""
    if not reason:
        return ""
    esc = html.escape
    if len(reason) <= short:
        return f"<div class='why'>why: {esc(reason)}</div>"
    cut = reason.find(" (")
    cut = cut if 0 < cut <= short else reason.rfind(" ", 0, short)
    cut = cut if cut > 0 else short
    return (f"<details class='why'><summary>why: {esc(reason[:cut])} ...</summary>"
            f"{esc(reason[cut:].strip())}</details>")


#: the report's style: one column at most 1200 px wide; wide tables wrap their text or
#: scroll inside their own box, never the page
PAGE_STYLE = (
    "body{font-family:sans-serif;line-height:1.4;max-width:1200px;margin:1em auto;"
    "padding:0 1em;box-sizing:border-box}"
    ".wide{max-width:100%;overflow-x:auto}"
    "table{border-collapse:collapse;font-size:0.9em}"
    "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left;"
    "overflow-wrap:anywhere}"
    "td.num{text-align:right;white-space:nowrap}"
    "table.experiments th{white-space:nowrap}td.scale{min-width:16em}.gray{color:#666}"
    "table.claims{table-layout:fixed;width:100%}"
    ".c-id{width:15%}.c-says{width:25%}.c-on{width:14%}.c-measured{width:34%}"
    ".c-verdict{width:12%}.why{color:#555;margin-top:0.3em}"
    "img{max-width:100%;height:auto;margin:1em 0}"
)


def write_index(profile: str | None = None) -> Path:
    """Write ``reports/index.html``: how it was made, the results table (each experiment's
    scale stated once), the claims (linking to the experiments they were decided on), the
    executed notebooks (as HTML), then every figure. It fits a 1300 px window: wide tables
    wrap or scroll in their own box (:data:`PAGE_STYLE`). The environment is also stored in
    ``reports/results.json`` (``_environment``)."""
    root = paths.reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    env, stored = _store_environment(profile)
    rows = _experiment_rows(stored)
    parts = ["<!doctype html><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             "<title>Colorization results</title>", f"<style>{PAGE_STYLE}</style>",
             "<h1>Image colorization: results</h1>", _environment_html(env)]
    if rows:
        parts.append(_experiments_html(rows))
    claims = stored.get("claims")
    if claims:
        parts.append("<h2>The paper's claims</h2>" + _claims_page_html(claims, rows))
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


# ------------------------------------------------------------------ tables


def format_table(rows: dict, keys=TABLE_KEYS_SHORT, digits: int = 2) -> str:
    """A plain-text table of ``{label: metrics}``, values rounded (so notebooks compare)."""
    return format_spread_table({label: [m] for label, m in rows.items()}, keys, digits)


def format_spread_table(per_seed: dict[str, list[dict]], keys=TABLE_KEYS_SHORT,
                        digits: int = 2) -> str:
    """A plain-text table of ``{label: [metrics of each seed]}``: each cell the mean ± the
    standard deviation over seeds (the value alone for one seed), rounded; a column ``n`` gives
    the seeds."""
    cells = {}
    for label, runs in per_seed.items():
        row = []
        for k in keys:
            values = spread(runs, k)
            row.append("-" if values is None else
                       stats.mean_sd(values.mean, values.sd, digits, with_sd=values.n != 1))
        cells[label] = (len(runs), row)
    widths = [max([len(k)] + [len(c[1][i]) for c in cells.values()]) for i, k in enumerate(keys)]
    width = max([len("experiment")] + [len(k) for k in cells])
    lines = [f"{'':{width}s}  n " + " ".join(f"{k:>{w}s}" for k, w in zip(keys, widths,
                                                                          strict=True))]
    for label, (n, row) in cells.items():
        lines.append(f"{label:{width}s} {n:2d} " + " ".join(
            f"{c:>{w}s}" for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def format_results_markdown(rows: dict, keys=("psnr", "ciede2000", "hue_error", "spread_ratio",
                                              "chroma_ratio")) -> str:
    """A Markdown table of stored experiment rows (:func:`results`): each experiment's data
    (real or generated), image size, training images, epochs, optimizer steps and seeds, then
    ``keys`` as mean ± sd over the seeds, with the gray baseline's beside where there is one.
    What the README's results section shows, rendered from ``results.json``."""
    head = ["experiment", "data", "size", "images", "epochs (steps)", "seeds"]
    for k in keys:
        base = [b for b in ("gray", "tint") if any(f"{k}_{b}" in r.get("mean", {})
                                                   for r in rows.values())]
        head.append(k + (f" ({' / '.join(base)})" if base else ""))
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in rows.items():
        mean, sd, n = r.get("mean", {}), r.get("sd", {}), r.get("seeds", 1)
        cells = [f"`{name}`", f"{r.get('data', '')} ({r.get('kind', '')})",
                 f"{r.get('image_size', '')}", f"{r.get('train_images', '')}",
                 f"{r.get('epochs', '')} ({r.get('optimizer_steps', '')})", f"{n}"]
        for k in keys:
            if k not in mean:
                cells.append("-")
                continue
            text = stats.mean_sd(mean[k], sd.get(k) or 0.0, with_sd=n > 1)
            base = [f"{mean[f'{k}_{b}']:.2f}" for b in ("gray", "tint")
                    if _number(mean.get(f"{k}_{b}")) is not None]
            if base:
                text += f" ({' / '.join(base)})"
            cells.append(text)
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def verdict(m: dict) -> str:
    """One sentence reading a metrics dict against the gray baseline: how much of the gray
    baseline's colour difference (CIEDE2000) is left, whether hues are right, saturation."""
    def number(key):  # a finite number, or None (missing)
        return None if fileio.number_problem(m.get(key)) else float(m[key])

    ratio = next((number(k) / number(f"{k}_gray") for k in ("ciede2000", "ab_mae")
                  if number(k) is not None and number(f"{k}_gray")), None)
    hue = number("hue_error")
    hue_text = f", hue error {hue:.0f} degrees" if hue is not None else ""
    if ratio is None:
        colours = "cannot be compared with the gray baseline (its colour error is missing)"
    elif ratio < 0.8:
        colours = f"colours: its CIEDE2000 is {ratio:.2f}x the gray baseline's{hue_text}"
    elif ratio < 1.0:
        colours = f"barely beats gray: its CIEDE2000 is {ratio:.2f}x the gray baseline's{hue_text}"
    else:
        colours = (f"does worse than leaving the image gray (CIEDE2000 {ratio:.2f}x the "
                   f"baseline's{hue_text})")
    chroma = number("chroma_ratio")
    if chroma is None:
        sat = "its saturation is unknown (chroma ratio missing)"
    elif chroma < 0.5:
        sat = f"strongly desaturated (chroma ratio {chroma:.2f})"
    elif chroma < 0.85:
        sat = f"desaturated (chroma ratio {chroma:.2f})"
    elif chroma <= 1.15:
        sat = f"about as saturated as the truth (chroma ratio {chroma:.2f})"
    else:
        sat = f"more saturated than the truth (chroma ratio {chroma:.2f})"
    return f"The model {colours}; {sat}."


# ------------------------------------------------------------------ the claims table


_COLOURS = {stats.REPRODUCED: "#d7f0d7", stats.NOT_REPRODUCED: "#f6d5d5",
            stats.INCONCLUSIVE: "#fbf0c8", stats.INDICATIVE: "#dde7f6",
            stats.NOT_TESTABLE: "#eeeeee", stats.NOT_TESTABLE_SCALE: "#eeeeee",
            stats.FRAGILE: "#f3e3f6", stats.BY_CONSTRUCTION: "#e3e3f3"}


def _verdict_text(row) -> str:
    return row["verdict"] + (f" ({row['reason']})" if row.get("reason") else "")


def _number(value) -> float | None:
    return None if fileio.number_problem(value) else float(value)


def statistics_text(row: dict) -> str:
    """A claim row's deciding statistics in one line: ``effect 0.39, 95 % CI [0.37, 0.41];
    one-sample t ..., 5 seeds; p = 0.0003 (Holm 0.004)``; empty when nothing was tested."""
    effect, low, high = (_number(row.get(k)) for k in ("effect", "low", "high"))
    if effect is None:
        return ""
    text = f"effect {effect:.3g}"
    if low is not None and high is not None:
        text += f", 95 % CI [{low:.3g}, {high:.3g}]"
    if row.get("test"):
        text += f"; {row['test']}"
    if row.get("seeds"):
        text += f", {row['seeds']} seeds"
    p, holm = _number(row.get("p")), _number(row.get("p_holm"))
    if p is not None:
        text += f"; p = {p:.2g}" + (f" (Holm {holm:.2g})" if holm is not None else "")
    return text


def _scale_text(row: dict) -> str:
    scale = row.get("scale") or {}
    if isinstance(scale, dict):
        return "; ".join(f"{name}: {text}" for name, text in scale.items())
    return str(scale)


def tally(rows: list[dict]) -> str:
    """The count of each verdict: the decided ones on real photos, then apart those never
    counted (fragile, by construction, on generated data) and the claims not testable."""
    def counted(chosen, verdicts):
        counts = {v: sum(r["verdict"] == v for r in chosen) for v in verdicts}
        return ", ".join(f"{n} {v}" for v, n in counts.items() if n)

    decided = (stats.REPRODUCED, stats.NOT_REPRODUCED, stats.INCONCLUSIVE)
    parts = []
    real = [r for r in rows if r["verdict"] in decided and r.get("kind") == "real"]
    if real:
        parts.append("on real photos: " + counted(real, decided))
    apart = counted(rows, (stats.FRAGILE, stats.BY_CONSTRUCTION))
    if apart:
        parts.append(apart + " (never counted)")
    generated = [r for r in rows if r["verdict"] == stats.INDICATIVE]
    if generated:
        parts.append(f"on generated data: {len(generated)} {stats.INDICATIVE} (never counted)")
    untested = counted(rows, (stats.NOT_TESTABLE_SCALE, stats.NOT_TESTABLE))
    if untested:
        parts.append(untested)
    return "; ".join(parts)


def format_claims_text(rows: list[dict]) -> str:
    """Plain text: one block per claim (what the paper says, the rule, the data and scale it
    was decided on, what was measured, the statistics, the verdict), then the tally."""
    if not rows:
        return "no claim of the paper is decided here"
    lines = []
    for r in rows:
        lines += [f"[{r['verdict']}] {r['id']} ({r['where']})",
                  f"    paper says: \"{r['says']}\""]
        if r.get("rule"):
            lines.append(f"    rule:       {r['rule']}")
        if r.get("scale"):
            lines.append(f"    decided on: {_scale_text(r)}")
        if r.get("domains"):
            lines.append(f"    domains:    {r['domains']}")
        lines.append(f"    measured:   {r['measured']}")
        if statistics_text(r):
            lines.append(f"    statistics: {statistics_text(r)}")
        if r.get("reason"):
            lines.append(f"    why:        {r['reason']}")
    lines.append(tally(rows))
    return "\n".join(lines)


def format_claims_markdown(rows: list[dict]) -> str:
    """A Markdown table: claim, where, paper says, verdict, effect with its 95 % interval,
    test and p (Holm-adjusted), seeds, and why (or what was measured)."""
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    def num(row, key):
        value = _number(row.get(key))
        return "-" if value is None else f"{value:.3g}"

    out = ["| claim | where | paper says | verdict | effect [95 % CI] | test | p (Holm) | "
           "seeds | why / measured |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        interval = (f"{num(r, 'effect')} [{num(r, 'low')}, {num(r, 'high')}]"
                    if _number(r.get("effect")) is not None else "-")
        p = (f"{num(r, 'p')} ({num(r, 'p_holm')})" if _number(r.get("p")) is not None
             else "-")
        out.append(f"| {cell(r['id'])} | {cell(r['where'])} | {cell(r['says'])} | "
                   f"**{cell(r['verdict'])}** | {interval} | {cell(r.get('test') or '-')} | "
                   f"{p} | {r.get('seeds') or '-'} | {cell(r.get('reason') or r['measured'])} |")
    return "\n".join(out)


def format_claims_html(rows: list[dict]) -> str:
    """An HTML table (for ``reports/index.html`` and notebook display), then the tally."""
    esc = html.escape
    parts = ["<table class='claims'><tr><th>claim</th><th>where</th><th>paper says</th>"
             "<th>decided on</th><th>measured</th><th>verdict</th></tr>"]
    for r in rows:
        parts.append(
            f"<tr><td>{esc(r['id'])}</td><td>{esc(r['where'])}</td><td>{esc(r['says'])}</td>"
            f"<td>{esc(_scale_text(r))}</td><td>{esc(r['measured'])}</td>"
            f"<td style='background:{_COLOURS.get(r['verdict'], '#fff')}'>"
            f"{esc(_verdict_text(r))}</td></tr>")
    parts.append(f"</table><p>{esc(tally(rows))}</p>")
    return "".join(parts)


def store_claims(rows: list[dict], order: list[str] | None = None) -> None:
    """Store ``rows`` in ``reports/results.json`` under ``"claims"`` (replacing rows of the
    same claim id, keeping the others), sorted by ``order`` (claim ids) where given."""
    results = _read_results()
    stored = {r["id"]: r for r in results.get("claims", [])}
    stored.update({r["id"]: r for r in rows})
    order = order or []
    results["claims"] = sorted(stored.values(), key=lambda r: (
        order.index(r["id"]) if r["id"] in order else len(order), r["id"]))
    _write_results(results)
