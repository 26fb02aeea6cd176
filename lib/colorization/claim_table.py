"""Rendering and storing the claims table: the verdicts, text / Markdown / HTML renderers, and
``reports/results.json``'s ``"claims"`` list. Rows come from :func:`colorization.claims.table`;
this module knows nothing about experiments, so the report can render stored rows."""

from __future__ import annotations

import html
import json

from colorization import fileio, paths

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable at this scale"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE)


def _verdict_text(row) -> str:
    return row["verdict"] + (f" ({row['reason']})" if row["reason"] else "")


def format_text(rows: list[dict]) -> str:
    """Plain text: one block per claim (what the paper says, what was measured, verdict)."""
    lines = []
    for r in rows:
        lines += [f"[{r['verdict']}] {r['id']} ({r['where']})",
                  f"    paper says: \"{r['says']}\"",
                  f"    rule:       {r['rule']}",
                  f"    measured:   {r['measured']}"]
        if r["reason"]:
            lines.append(f"    why:        {r['reason']}")
    counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    return "\n".join(lines)


def format_markdown(rows: list[dict]) -> str:
    """A Markdown table: claim, where, paper says, measured, verdict."""
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    out = ["| claim | where | paper says | measured | verdict |", "|---|---|---|---|---|"]
    out += [f"| {cell(r['id'])} | {cell(r['where'])} | {cell(r['says'])} | "
            f"{cell(r['measured'])} | {cell(_verdict_text(r))} |" for r in rows]
    return "\n".join(out)


def format_html(rows: list[dict]) -> str:
    """An HTML table (for ``reports/index.html`` and notebook display)."""
    esc = html.escape
    colour = {REPRODUCED: "#d7f0d7", NOT_REPRODUCED: "#f6d5d5", NOT_TESTABLE: "#eeeeee"}
    parts = ["<table class='claims'><tr><th>claim</th><th>where</th><th>paper says</th>"
             "<th>measured</th><th>verdict</th></tr>"]
    for r in rows:
        parts.append(
            f"<tr><td>{esc(r['id'])}</td><td>{esc(r['where'])}</td><td>{esc(r['says'])}</td>"
            f"<td>{esc(r['measured'])}</td><td style='background:{colour[r['verdict']]}'>"
            f"{esc(_verdict_text(r))}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def write(rows: list[dict], order: list[str] | None = None) -> None:
    """Store ``rows`` in ``reports/results.json`` under ``"claims"`` (replacing rows of the
    same claim id, keeping the others), sorted by ``order`` (claim ids) where given."""
    path = paths.reports_dir() / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text()) if path.exists() else {}
    stored = {r["id"]: r for r in results.get("claims", [])}
    stored.update({r["id"]: r for r in rows})
    order = order or []
    results["claims"] = sorted(stored.values(), key=lambda r: (
        order.index(r["id"]) if r["id"] in order else len(order), r["id"]))
    fileio.write_json(path, results)
