"""Comparing two evaluations of the same held-out clips (the evaluation pipeline's last step).

A candidate is better when it beats the baseline strictly on every gate (``fvd=lower``,
``beat_align=higher``…), the rule the registry's promotion uses. Both evaluations must come from the same
dataset split and generation settings, and every gate metric must have been computed for both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from dancegen.errors import ConfigError
from dancegen.lifecycle.artifacts import ArtifactLike, log_scalars, parse_gates_text, read_json
from dancegen.lifecycle.errors import PipelineError


class Comparison(NamedTuple):
    """The ``compare_models`` step's outputs."""

    better: bool
    reason: str


def _gate_value(payload: dict[str, Any], metric: str, who: str) -> float:
    if metric in payload["scalars"]:
        return payload["scalars"][metric]
    entry = next((e for e in payload["metrics"] if e["name"] == metric), None)
    why = (entry.get("reason") or f"value {entry.get('value')}") if entry else "not computed by the metric suite"
    raise PipelineError(f"gate metric {metric!r} has no value for the {who} ({why}); drop the gate or fix the metric")


def compare_models(
    candidate: ArtifactLike,
    baseline: ArtifactLike,
    report: ArtifactLike,
    metrics: Any = None,
    gates: str = "fvd=lower,beat_align=higher",
) -> Comparison:
    """Compare the results JSONs of two ``evaluate`` steps gate by gate; write an HTML report.

    Args:
        candidate, baseline: results artifacts of the evaluate step (the version under test, the champion).
        report: output HTML file; metrics: optional KFP Metrics artifact (``candidate.<m>``, ``baseline.<m>``).
        gates: ``metric=lower|higher`` items separated by commas; at least one.
    """
    from dancegen.lifecycle.report import comparison_report
    from dancegen.tracking.registry import GateCheck

    mine = read_json(candidate.path, "candidate evaluation results")
    theirs = read_json(baseline.path, "baseline evaluation results")
    for key in ("data", "settings"):
        if mine.get(key) != theirs.get(key):
            raise PipelineError(
                f"the two evaluations differ in {key} ({mine.get(key)} vs {theirs.get(key)}); "
                "evaluate both models on the same dataset split with the same settings"
            )
    parsed = parse_gates_text(gates)
    if not parsed:
        raise ConfigError("compare_models needs at least one gate, e.g. gates='fvd=lower,beat_align=higher'")
    checks = [
        GateCheck(metric, direction, _gate_value(mine, metric, "candidate"), _gate_value(theirs, metric, "baseline"))
        for metric, direction in parsed.items()
    ]
    failed = [check for check in checks if not check.passed]
    shown = "; ".join(
        f"{c.metric} {c.candidate:g} vs {c.champion:g} ({c.direction} is better)" for c in (failed or checks)
    )
    better = not failed
    reason = f"candidate is better: {shown}" if better else f"candidate is not better: {shown}"
    Path(report.path).parent.mkdir(parents=True, exist_ok=True)
    Path(report.path).write_text(comparison_report(mine, theirs, checks, better, reason))
    if metrics is not None:
        pairs = (("candidate", mine), ("baseline", theirs))
        log_scalars(metrics, {f"{who}.{k}": v for who, payload in pairs for k, v in payload["scalars"].items()})
    return Comparison(better, reason)
