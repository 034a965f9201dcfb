"""``dancegen evaluate``: score a directory of generated clips against a directory of ground-truth clips.

Clips pair by file name (:mod:`.clips`); the metrics are the paper's (:mod:`.scoring`); the output is
``metrics.json`` + ``report.html`` with the three tables, per-clip beat plots and side-by-side videos
(:mod:`.report`). The generated set is one row of tables 1–2 (labelled ``name``) and, when its pose
guidance setup is given, of table 3.
"""

from __future__ import annotations

import os
from pathlib import Path

from dancegen.config import build_config, read_yaml
from dancegen.errors import ConfigError
from dancegen.evaluation.clips import load_pairs
from dancegen.evaluation.report import GUIDANCE_SETUPS, ModelResult, clip_figures, safe_key, write_report
from dancegen.evaluation.scoring import score_pairs
from dancegen.metrics import MetricsConfig


def load_metrics_config(path: str | os.PathLike | None = None, **overrides: str | None) -> MetricsConfig:
    """Metric settings: defaults, then the ``metrics:`` mapping of a YAML file, then non-None ``overrides``."""
    layer = {}
    if path is not None:
        layer = read_yaml(path).get("metrics", {})
        if not isinstance(layer, dict):
            raise ConfigError(f"{path}: 'metrics' must be a mapping of metric settings (see dancegen.metrics.config)")
    given = {key: value for key, value in overrides.items() if value is not None}
    return build_config(MetricsConfig, layer, given, what="metrics config")


def evaluate_directories(
    real: str | os.PathLike,
    fake: str | os.PathLike,
    out: str | os.PathLike,
    metrics: MetricsConfig | None = None,
    name: str | None = None,
    guidance_setup: str | None = None,
    max_videos: int = 3,
    progress: bool = True,
) -> tuple[ModelResult, Path, Path]:
    """Score ``fake``'s clips against ``real``'s; write the report into ``out``; return (model, json, html)."""
    if guidance_setup is not None and guidance_setup not in GUIDANCE_SETUPS:
        raise ConfigError(f"--guidance-setup {guidance_setup!r} must be one of {', '.join(GUIDANCE_SETUPS)}")
    config = metrics or MetricsConfig()
    pairs = load_pairs(real, fake)
    evaluation = score_pairs(pairs, config, progress=progress)
    name = name or Path(fake).resolve().name
    model = ModelResult(safe_key(name), name, evaluation.metrics, guidance_setup)
    model.details = {"generated clips": str(fake), "ground-truth clips": str(real), "clips": len(pairs)}
    model.clips = clip_figures(model.key, evaluation, pairs, out, max_videos)
    settings = {
        "real": str(real),
        "fake": str(fake),
        "clips": len(pairs),
        "LPIPS weights": config.lpips_weights or "not set",
        "I3D (FVD) weights": config.i3d_torchscript or "not set",
        "DWPose weights": config.dwpose_onnx or "not set",
    }
    metrics_path, html_path = write_report(out, f"dancegen evaluation: {name}", [model], settings)
    return model, metrics_path, html_path
