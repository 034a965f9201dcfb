"""Self-contained HTML report of the evaluation pipeline (shown by the KFP UI for ``HTML`` artifacts).

:func:`comparison_report`: two evaluations side by side with the promotion gates' verdict. (An evaluation's own
report is :mod:`dancegen.evaluation.report`'s.)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
th { background: #f3f3f3; }
.ok { color: #176f2c; } .unavailable { color: #8a5a00; } .fail { color: #a01818; }
figure { display: inline-block; margin: 0 1.5em 1.5em 0; } figcaption { font-size: 0.9em; }
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def _value(entry: dict[str, Any]) -> str:
    value = entry.get("value")
    if entry.get("status") != "ok":
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else html.escape(str(value))


def comparison_report(
    candidate: dict[str, Any], baseline: dict[str, Any], checks: Sequence[Any], better: bool, reason: str
) -> str:
    """Two results JSONs side by side, then each gate (GateCheck) and the verdict."""
    names = sorted({e["name"] for e in candidate["metrics"]} | {e["name"] for e in baseline["metrics"]})
    by_name = [{e["name"]: e for e in payload["metrics"]} for payload in (candidate, baseline)]
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_value(by_name[0].get(name, {}))}</td>"
        f"<td>{_value(by_name[1].get(name, {}))}</td></tr>"
        for name in names
    )
    table = f"<table><tr><th>metric</th><th>candidate</th><th>baseline</th></tr>{rows}</table>"
    gates = "".join(
        f"<tr><td>{html.escape(c.metric)}</td><td>{html.escape(c.direction)}</td><td>{c.candidate:.4g}</td>"
        f'<td>{c.champion:.4g}</td><td class="{"ok" if c.passed else "fail"}">{"pass" if c.passed else "fail"}</td>'
        "</tr>"
        for c in checks
    )
    gate_table = (
        f"<table><tr><th>gate</th><th>better is</th><th>candidate</th><th>baseline</th><th></th></tr>{gates}</table>"
        if checks
        else "<p>no gates configured</p>"
    )
    verdict = f'<p class="{"ok" if better else "fail"}"><strong>{html.escape(reason)}</strong></p>'
    return _page("dancegen comparison", "<h2>Metrics</h2>" + table + "<h2>Gates</h2>" + gate_table + verdict)
