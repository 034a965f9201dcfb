"""HTML rendering of an evaluation report (:mod:`.report`): one self-contained page, inline CSS, no scripts.

"n/a" cells carry their reason as a tooltip (``title``) and a numbered footnote under the table; plots are
embedded as PNG data URIs; side-by-side videos are linked files beside the page, or embedded as MP4 data URIs
(``videos``) when the page must stand alone (the pipeline's HTML artifact).
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #bbb; padding: 4px 12px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f0; }
td.na { color: #8a5a00; background: #fff8e6; cursor: help; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3em; }
ol.notes { font-size: 0.85em; color: #555; margin-top: 0; }
p.remark { font-size: 0.85em; color: #555; margin-top: 0; }
p.conclusion { background: #eef4fb; border-left: 4px solid #1f5fa8; padding: 0.5em 0.8em; }
figure { margin: 1em 0 2em 0; } figcaption { font-size: 0.9em; color: #444; }
dl.settings { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; font-size: 0.9em; }
dl.settings dt { font-weight: 600; } dl.settings dd { margin: 0; }
details { margin: 0.5em 0; } summary { cursor: pointer; }
"""


def format_value(value: Any) -> str:
    """A table number: 3 decimals below 10, 2 above; "inf" (identical frames' PSNR) stays "inf"."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"
    return html.escape(str(value))


class _Footnotes:
    """Numbers each distinct reason once per table."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def number(self, reason: str) -> int:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self.reasons.index(reason) + 1

    def html(self) -> str:
        if not self.reasons:
            return ""
        items = "".join(f"<li>{html.escape(reason)}</li>" for reason in self.reasons)
        return f'<ol class="notes">{items}</ol>'


def render_table(table: dict[str, Any]) -> str:
    """One paper-style table with its footnotes."""
    notes = _Footnotes()
    head = "<th></th>" + "".join(f"<th>{html.escape(c['header'])}</th>" for c in table["columns"])
    rows = []
    for row in table["rows"]:
        cells = [f"<td>{html.escape(row['label'])}</td>"]
        for column in table["columns"]:
            cell = row["cells"][column["metric"]]
            if cell["status"] == "ok":
                cells.append(f"<td>{format_value(cell['value'])}</td>")
            else:
                number = notes.number(cell["reason"])
                cells.append(f'<td class="na" title="{html.escape(cell["reason"])}">n/a<sup>{number}</sup></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<caption>{html.escape(table['title'])}</caption>"
    remarks = "".join(f'<p class="remark">{html.escape(line)}</p>' for line in table.get("notes", []))
    return f"<table>{caption}<tr>{head}</tr>{''.join(rows)}</table>{notes.html()}{remarks}"


def _definitions(facts: dict[str, Any]) -> str:
    """``<dt>key</dt><dd>value</dd>`` pairs; a dict value reads ``a 1, b 2``."""

    def text(value: Any) -> str:
        return ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)

    return "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(text(v))}</dd>" for k, v in facts.items())


def _metric_details(model: dict[str, Any]) -> str:
    """Every metric of one model with its status and how it was computed, in a collapsed block."""
    if model["status"] != "ok":
        return f"<p><strong>{html.escape(model['name'])}</strong>: unavailable — {html.escape(model['reason'])}</p>"
    rows = []
    for entry in model["metrics"]:
        value = format_value(entry["value"]) if entry["status"] == "ok" else "n/a"
        note = entry["reason"] or ", ".join(f"{k}={v}" for k, v in sorted(entry["details"].items()))
        rows.append(
            f"<tr><td>{html.escape(entry['name'])}</td><td>{value}</td><td>{html.escape(entry['status'])}</td>"
            f'<td style="text-align:left">{html.escape(str(note))}</td></tr>'
        )
    facts = _definitions(model["details"])
    table = "<table><tr><th>metric</th><th>value</th><th>status</th><th>reason / details</th></tr>" + "".join(rows)
    return (
        f"<details><summary>{html.escape(model['name'])}: every metric</summary>"
        f'<dl class="settings">{facts}</dl>{table}</table></details>'
    )


def _video(path: str | None, videos: dict[str, bytes]) -> str:
    if not path:
        return ""
    if path in videos:
        data = base64.b64encode(videos[path]).decode()
        return f'<br><video controls src="data:video/mp4;base64,{data}"></video><br>ground truth | generated'
    return f' · <a href="{html.escape(path)}">ground truth | generated (mp4 with the music)</a>'


def _clips(model: dict[str, Any], pngs: dict[str, bytes], videos: dict[str, bytes]) -> str:
    parts = []
    for clip in model["clips"]:
        image = base64.b64encode(pngs[clip["plot"]]).decode() if clip["plot"] in pngs else ""
        img = f'<img alt="beat alignment of {html.escape(clip["name"])}" src="data:image/png;base64,{image}">'
        link = _video(clip["video"], videos)
        notes = "".join(f"<br>{html.escape(note)}" for note in clip["notes"])
        parts.append(
            f"<figure>{img}<figcaption>{html.escape(model['name'])} · {html.escape(clip['name'])}{link}{notes}"
            "</figcaption></figure>"
        )
    return "".join(parts)


def render_report(payload: dict[str, Any], pngs: dict[str, bytes], videos: dict[str, bytes] | None = None) -> str:
    """The whole page for a ``metrics.json`` payload; ``pngs`` maps each clip's plot path to its PNG bytes,
    ``videos`` each side-by-side video path to its MP4 bytes when they are embedded (default: linked)."""
    title = html.escape(payload["title"])
    body = [f"<h1>{title}</h1>", f'<dl class="settings">{_definitions(payload["settings"])}</dl>']
    if payload["conclusions"]:
        body.append("<h2>Findings</h2>")
        body += [f'<p class="conclusion">{html.escape(line)}</p>' for line in payload["conclusions"]]
    body.append("<h2>Tables</h2>")
    body += [render_table(payload["tables"][name]) for name in ("table1", "table2", "table3")]
    body.append("<h2>Metric details</h2>")
    body += [_metric_details(model) for model in payload["models"]]
    clips = [_clips(model, pngs, videos or {}) for model in payload["models"] if model["clips"]]
    if clips:
        body.append(
            "<h2>Beat alignment per clip</h2><p>Mean joint speed of the ground truth (top) and the generated "
            "video (bottom); dots are motion beats (speed minima), dashed lines are music beats.</p>"
        )
        body += clips
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
