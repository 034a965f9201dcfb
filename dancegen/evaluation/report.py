"""The evaluation report: ``metrics.json`` and a self-contained ``report.html`` shaped like the paper's tables.

- Table 1 (quantitative evaluation): FVD ↓, LPIPS ↓, PSNR ↑, SSIM ↑ per model;
- Table 2 (alignment): 2D-BeatAlign ↑ and AV-Align ↑, with the ground truth's own scores as the first row;
- Table 3 (pose guidance setups): FVD, LPIPS, PSNR, SSIM for DNS, P and PDNS.

Every model is a :class:`ModelResult` (one row). A cell whose metric could not be computed is shown as
"n/a" with the reason as a tooltip and a numbered footnote; a whole model that could not be trained or
evaluated (an ablation without data) fills its row with that reason. Beside the HTML: ``plots/`` (each
clip's beat-alignment PNG, also embedded in the HTML) and ``videos/`` (ground truth | generated mp4s with
the music, linked from the HTML).

The JSON (:data:`REPORT_FORMAT`) holds every model's full metric list, the three tables as cells
(``value``/``status``/``reason``), the per-clip results and the report's conclusions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.evaluation.clips import ClipPair
from dancegen.evaluation.scoring import Evaluation
from dancegen.metrics import MetricResult
from dancegen.storage import atomic_write_bytes

REPORT_FORMAT = "dancegen-evaluation-report"
REPORT_VERSION = 1
GUIDANCE_SETUPS = ("DNS", "P", "PDNS")
QUALITY_COLUMNS = (("fvd", "FVD ↓"), ("lpips", "LPIPS ↓"), ("psnr", "PSNR ↑"), ("ssim", "SSIM ↑"))
ALIGNMENT_COLUMNS = (("beat_align", "2D-BeatAlign ↑"), ("av_align", "AV-Align ↑"))
GROUND_TRUTH = "Ground-Truth"


@dataclass
class ClipFigure:
    """One clip in the report: its beat-alignment plot and (for the first few) the side-by-side video.

    plot: path of the PNG relative to the report directory; video: of the mp4, or None.
    """

    name: str
    plot: str
    png: bytes
    video: str | None
    notes: list[str]
    beat_align: dict[str, Any]
    beat_align_ground_truth: dict[str, Any]


@dataclass
class ModelResult:
    """One model (a table row).

    key: file-name-safe id; name: the row label ("Ours", "Simple Audio Encoder", …); metrics: every
    :data:`~dancegen.evaluation.scoring.METRIC_NAMES` result (empty when ``reason`` says why the model has none);
    guidance_setup: "DNS", "P" or "PDNS" when the model belongs in Table 3; in_main_tables: a row of tables 1–2.
    """

    key: str
    name: str
    metrics: list[MetricResult] = field(default_factory=list)
    guidance_setup: str | None = None
    in_main_tables: bool = True
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    clips: list[ClipFigure] = field(default_factory=list)

    def metric(self, name: str) -> MetricResult:
        """The named result; "unavailable" with the model's reason when the model has no results."""
        for result in self.metrics:
            if result.name == name:
                return result
        return MetricResult.unavailable(name, self.reason or f"{self.name} has no {name} result")


def safe_key(text: str) -> str:
    """``text`` as a file-name-safe key (``"Ours w/o X"`` → ``"ours-w-o-x"``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


def _cell(result: MetricResult) -> dict[str, Any]:
    return {"value": result.to_dict()["value"], "status": result.status, "reason": result.reason}


def _row(label: str, model: ModelResult, columns, suffix: str = "") -> dict[str, Any]:
    return {"label": label, "model": model.key, "cells": {m: _cell(model.metric(m + suffix)) for m, _ in columns}}


def _keypoint_notes(truth: ModelResult, models: Sequence[ModelResult]) -> list[str]:
    """Where each row's 2D-BeatAlign keypoints came from (rows scored from different sources differ in kind)."""
    rows = [(GROUND_TRUTH, truth.metric("beat_align_ground_truth"))]
    rows += [(m.name, m.metric("beat_align")) for m in models]
    sources = [f"{label}: {result.details['keypoints']}" for label, result in rows if "keypoints" in result.details]
    return [f"2D-BeatAlign keypoints — {'; '.join(sources)}"] if sources else []


def build_tables(models: Sequence[ModelResult]) -> dict[str, dict[str, Any]]:
    """The paper's three tables from ``models`` (see the module docstring), as JSON-able dicts."""
    main = [m for m in models if m.in_main_tables]
    columns1 = [{"metric": m, "header": h} for m, h in QUALITY_COLUMNS]
    columns2 = [{"metric": m, "header": h} for m, h in ALIGNMENT_COLUMNS]
    truth = next((m for m in main if m.metric("beat_align_ground_truth").available), None)
    truth = truth or next((m for m in main if m.metric("av_align_ground_truth").available), None)
    truth = truth or (main[0] if main else ModelResult("ground-truth", GROUND_TRUTH, reason="no model was evaluated"))
    table3 = []
    for setup in GUIDANCE_SETUPS:
        model = next((m for m in models if m.guidance_setup == setup), None)
        if model is None:
            reason = f"no model with guidance setup {setup} was evaluated (dancegen ablate trains all three)"
            model = ModelResult(safe_key(setup), setup, guidance_setup=setup, reason=reason)
        table3.append(_row(f"{setup} ({model.name})" if model.name != setup else setup, model, QUALITY_COLUMNS))
    return {
        "table1": {
            "title": "Table 1. Quantitative evaluation results",
            "columns": columns1,
            "rows": [_row(m.name, m, QUALITY_COLUMNS) for m in main],
        },
        "table2": {
            "title": "Table 2. Alignment results",
            "columns": columns2,
            "rows": [_row(GROUND_TRUTH, truth, ALIGNMENT_COLUMNS, "_ground_truth")]
            + [_row(m.name, m, ALIGNMENT_COLUMNS) for m in main],
            "notes": _keypoint_notes(truth, main),
        },
        "table3": {"title": "Table 3. Pose guidance setups", "columns": columns1, "rows": table3},
    }


def clip_figures(
    model_key: str, evaluation: Evaluation, pairs: Sequence[ClipPair], out_dir: str | os.PathLike, max_videos: int = 3
) -> list[ClipFigure]:
    """Write each clip's beat plot (``plots/<model>/<clip>.png``) and, for the first ``max_videos`` clips,
    ground truth | generated side by side with the music (``videos/<model>/<clip>.mp4``)."""
    from dancegen.evaluation.clips import EvalClip, write_clip
    from dancegen.evaluation.plots import beat_plot_png

    out_dir = Path(out_dir)
    figures = []
    for index, (score, pair) in enumerate(zip(evaluation.clips, pairs, strict=True)):
        png = beat_plot_png(pair.name, score.real_beats, score.fake_beats, pair.real.fps)
        plot = f"plots/{model_key}/{safe_key(pair.name)}.png"
        atomic_write_bytes(out_dir / plot, png)
        video = None
        if index < max_videos:
            side = EvalClip(
                safe_key(pair.name),
                np.concatenate([pair.real.frames, pair.fake.frames], axis=2),  # (F, H, 2W, 3)
                pair.real.fps,
                pair.real.audio,
                pair.real.sample_rate,
            )
            video = write_clip(out_dir / "videos" / model_key, side).relative_to(out_dir).as_posix()
        figures.append(
            ClipFigure(
                pair.name,
                plot,
                png,
                video,
                list(score.notes),
                score.fake_beats.result.to_dict(),
                score.real_beats.result.to_dict(),
            )
        )
    return figures


def report_payload(
    title: str, models: Sequence[ModelResult], settings: dict[str, Any], conclusions: Sequence[str] = ()
) -> dict[str, Any]:
    """The ``metrics.json`` content (see the module docstring)."""
    payload: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "title": title,
        "settings": settings,
        "conclusions": list(conclusions),
        "tables": build_tables(models),
        "models": [
            {
                "key": m.key,
                "name": m.name,
                "guidance_setup": m.guidance_setup,
                "status": "unavailable" if m.reason else "ok",
                "reason": m.reason,
                "details": m.details,
                "metrics": [r.to_dict() for r in m.metrics],
                "clips": [
                    {
                        "name": c.name,
                        "plot": c.plot,
                        "video": c.video,
                        "notes": c.notes,
                        "beat_align": c.beat_align,
                        "beat_align_ground_truth": c.beat_align_ground_truth,
                    }
                    for c in m.clips
                ],
            }
            for m in models
        ],
    }
    if len(models) == 1:
        payload["metrics"] = payload["models"][0]["metrics"]
    return payload


def write_report(
    out_dir: str | os.PathLike,
    title: str,
    models: Sequence[ModelResult],
    settings: dict[str, Any],
    conclusions: Sequence[str] = (),
    inline_videos: bool = False,
) -> tuple[Path, Path]:
    """Write ``metrics.json`` and ``report.html`` into ``out_dir``; return their paths.

    inline_videos: embed the side-by-side videos in the page (a single self-contained file) instead of linking.
    """
    from dancegen.evaluation.html import render_report

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = report_payload(title, models, settings, conclusions)
    metrics_path, html_path = out_dir / "metrics.json", out_dir / "report.html"
    text = json.dumps(payload, indent=2, allow_nan=False, default=str)
    atomic_write_bytes(metrics_path, text.encode())
    pngs = {c.plot: c.png for m in models for c in m.clips}
    videos = {c.video: (out_dir / c.video).read_bytes() for m in models for c in m.clips if c.video and inline_videos}
    atomic_write_bytes(html_path, render_report(payload, pngs, videos).encode())
    return metrics_path, html_path
