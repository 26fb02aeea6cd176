"""Results that outlive a notebook: figures under ``reports/figures/``, metric rows in
``reports/results.json``, and the HTML report ``reports/index.html`` gathering both."""

from __future__ import annotations

import html
import json
from pathlib import Path

from colorization import fileio, paths

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
    path = paths.reports_dir() / "results.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return html.escape(str(v))


def write_index() -> Path:
    """Write ``reports/index.html``: the results table, then every figure."""
    root = paths.reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    rows = {k: v for k, v in results().items() if k != "claims"}  # claims: a list, below
    cols = sorted({k for r in rows.values() for k in r}, key=lambda k: (
        k not in ("model", "data", "loss", "epochs"), TABLE_KEYS.index(k) if k in TABLE_KEYS
        else -1, k))
    parts = ["<!doctype html><meta charset='utf-8'><title>Colorization results</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "img{max-width:100%;margin:1em 0}</style>",
             "<h1>Image colorization: results</h1>"]
    if rows:
        parts.append("<h2>Every experiment</h2><table><tr><th>experiment</th>"
                     + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr>")
        for name, row in sorted(rows.items()):
            parts.append(f"<tr><th>{html.escape(name)}</th>"
                         + "".join(f"<td>{_fmt(row.get(c, ''))}</td>" for c in cols) + "</tr>")
        parts.append("</table><p>psnr in dB on RGB; ab_mae in ab units; auc in percent; "
                     "*_gray: the same metric for a = b = 0.</p>")
    if results().get("claims"):
        from colorization import claims  # the paper's claims, decided (claims.write)

        parts.append("<h2>The paper's claims</h2>" + claims.format_html(results()["claims"]))
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    if notebooks:
        parts.append("<h2>Executed notebooks</h2><ul>" + "".join(
            f"<li><a href='notebooks/{html.escape(p.name)}'>{html.escape(p.name)}</a></li>"
            for p in notebooks) + "</ul>")
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
