"""The HTML of ``reports/index.html``: how the results were made, every experiment once with
its scale, the claims linking to the experiments they were decided on, the executed notebooks
and the figures. It fits a 1300 px window: wide tables wrap or scroll in their own box."""

from __future__ import annotations

import html
import os
from pathlib import Path

from colorization.core import fileio
from colorization.study import stats
from colorization.study.tables import scale_text, tally

esc = html.escape
TENSORBOARD = "tensorboard --logdir runs"
#: the metrics of the experiment table: (key, its gray baseline's key or None)
PAGE_METRICS = (("psnr", "psnr_gray"), ("ciede2000", "ciede2000_gray"),
                ("ab_mae", "ab_mae_gray"), ("hue_error", None), ("spread_ratio", None),
                ("chroma_ratio", None))
_COLOURS = {stats.REPRODUCED: "#d7f0d7", stats.NOT_REPRODUCED: "#f6d5d5",
            stats.INCONCLUSIVE: "#fbf0c8", stats.INDICATIVE: "#dde7f6",
            stats.NOT_TESTABLE: "#eeeeee", stats.NOT_TESTABLE_SCALE: "#eeeeee",
            stats.FRAGILE: "#f3e3f6", stats.BY_CONSTRUCTION: "#e3e3f3"}
PAGE_STYLE = (
    "body{font-family:sans-serif;line-height:1.4;max-width:1200px;margin:1em auto;padding:0 1em;"
    "box-sizing:border-box}.wide{max-width:100%;overflow-x:auto}"
    "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:3px 6px;"
    "vertical-align:top;text-align:left;overflow-wrap:anywhere}"
    "td.num{text-align:right;white-space:nowrap}table.experiments th{white-space:nowrap}"
    "td.scale{min-width:16em}.gray{color:#666}table.claims{table-layout:fixed;width:100%}"
    ".c-id{width:15%}.c-says{width:25%}.c-on{width:14%}.c-measured{width:34%}"
    ".c-verdict{width:12%}.why{color:#555;margin-top:0.3em}"
    "img{max-width:100%;height:auto;margin:1em 0}")


def export_html(notebook: str | os.PathLike) -> Path:
    """Write an executed notebook as a self-contained HTML page beside it (``.html``)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = Path(notebook)
    body, _resources = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    return fileio.write_text(notebook.with_suffix(".html"), body)


def _anchor(name: str) -> str:
    return "exp-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in str(name))


def reason_html(reason: str, short: int = 160) -> str:
    """Why a claim got its verdict: whole when short, else its words up to the first bracket
    (or ``short`` characters) with the rest folded."""
    if not reason:
        return ""
    if len(reason) <= short:
        return f"<div class='why'>why: {esc(reason)}</div>"
    cut = reason.find(" (")
    cut = cut if 0 < cut <= short else reason.rfind(" ", 0, short)
    cut = cut if cut > 0 else short
    return (f"<details class='why'><summary>why: {esc(reason[:cut])} ...</summary>"
            f"{esc(reason[cut:].strip())}</details>")


def format_claims_html(claims: list[dict], experiments: dict | None = None) -> str:
    """The claims as an HTML table, then the tally: what the paper says, where, the
    experiments it was decided on (links to their rows among ``experiments``), what was
    measured with the reason for the verdict, and the verdict."""
    experiments = experiments or {}
    parts = ["<div class='wide'><table class='claims'><colgroup><col class='c-id'>"
             "<col class='c-says'><col class='c-on'><col class='c-measured'>"
             "<col class='c-verdict'></colgroup><tr><th>claim</th><th>paper says</th>"
             "<th>decided on</th><th>measured</th><th>verdict</th></tr>"]
    for r in claims:
        names = [e for e in r.get("experiments") or [] if isinstance(e, str)]
        on = "<br>".join(f"<a href='#{_anchor(e)}'>{esc(e)}</a>" if e in experiments
                         else esc(e) for e in names) or esc(scale_text(r))
        if names and r.get("kind"):
            kind = "real photos" if r["kind"] == "real" else str(r["kind"])
            on += f"<br><span class='gray'>({esc(kind)})</span>"
        parts.append(
            f"<tr><td><b>{esc(r['id'])}</b><br><span class='gray'>{esc(r['where'])}</span></td>"
            f"<td>{esc(r['says'])}</td><td>{on}</td><td>{esc(r['measured'])}"
            f"{reason_html(r.get('reason') or '')}</td>"
            f"<td style='background:{_COLOURS.get(r['verdict'], '#fff')}'>"
            f"<b>{esc(r['verdict'])}</b></td></tr>")
    parts.append(f"</table></div><p>{esc(tally(claims))}</p>")
    return "".join(parts)


def _environment_html(env: dict) -> str:
    m = env["machine"]
    runs = "".join(f"<li>{esc(run)}: {esc(d)} ({esc(src)})</li>"
                   for run, (d, src) in sorted(env["runs"].items()))
    rows = [("date", env["date"]), ("commit", env["commit"]),
            ("machine", f"{m['cpu']} ({m['cores']} cores), GPU: {', '.join(m['gpu']) or 'none'}"
                        f"; {m['system']}, Python {m['python']}"),
            ("backend", env["backend"]), ("profile", env["profile"]),
            ("data", ", ".join(env["datasets"]) or "no finished run found")]
    return ("<h2>How this report was made</h2><table class='env'>"
            + "".join(f"<tr><th>{k}</th><td>{esc(str(v))}</td></tr>" for k, v in rows)
            + "</table>"
            + (f"<details><summary>data of each run</summary><ul>{runs}</ul></details>"
               if runs else "")
            + f"<p>Training curves: run <code>{TENSORBOARD}</code> in the project folder and "
            "open the address it prints.</p>")


def _scale_html(row: dict) -> str:
    """An experiment's network and scale in one sentence."""
    def count(key):
        value = row.get(key)
        return f"{value:,}" if isinstance(value, int) else esc(str(value or "?"))

    seeds, size = row.get("seeds", 1), row.get("image_size", "?")
    return esc(f"{row.get('model', '?')}, {row.get('loss', '?')}; {row.get('data', '?')} "
               f"({row.get('kind', '?')}), {size}x{size}, ") + (
        f"{count('train_images')} images x {count('epochs')} epochs = "
        f"{count('optimizer_steps')} steps, {seeds} seed{'s' * (seeds != 1)}")


def _experiments_html(rows: dict) -> str:
    """Every experiment once: its scale, then its metrics (mean ± sd over seeds, the gray
    baseline's in brackets), each row with the anchor the claims link to."""
    metrics = [(k, g) for k, g in PAGE_METRICS
               if any(k in r.get("mean", {}) for r in rows.values())]
    head = "".join(f"<th>{esc(k)}{' (gray)' if g else ''}</th>" for k, g in metrics)
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
        parts.append(f"<tr id='{_anchor(name)}'><th>{esc(name)}</th>"
                     f"<td class='scale'>{_scale_html(row)}</td>{''.join(cells)}</tr>")
    parts.append("</table></div><p>Mean ± standard deviation over seeds; in brackets the "
                 "gray baseline's (a = b = 0). psnr in dB on RGB; ciede2000 (CIEDE2000 colour "
                 "difference) and ab_mae in their units; hue_error in degrees on the truly "
                 "coloured pixels; spread_ratio and chroma_ratio: the prediction's over the "
                 "truth's (1 = as colourful).</p>")
    return "".join(parts)


def index_html(env: dict, rows: dict, claims: list[dict], notebooks: list[Path],
               figures: list[Path]) -> str:
    """The whole page: ``notebooks`` are the executed notebooks' HTML pages, linked
    relatively; ``figures`` the PNGs under ``figures/``."""
    parts = ["<!doctype html><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             "<title>Colorization results</title>", f"<style>{PAGE_STYLE}</style>",
             "<h1>Image colorization: results</h1>", _environment_html(env)]
    if rows:
        parts.append(_experiments_html(rows))
    if claims:
        parts.append("<h2>The paper's claims</h2>" + format_claims_html(claims, rows))
    if notebooks:
        parts.append("<h2>Executed notebooks</h2><ul>" + "".join(
            f"<li><a href='notebooks/{esc(p.name)}'>{esc(p.stem)}</a></li>" for p in notebooks)
            + "</ul>")
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [f"<h3>{esc(f.stem)}</h3><img src='figures/{esc(f.name)}' alt='{esc(f.stem)}'>"
                  for f in figures]
    return "\n".join(parts) + "\n"
