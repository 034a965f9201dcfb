"""The paper's evaluation suite and ablations (§4.2–4.4, tables 1–3).

- :mod:`~dancegen.evaluation.clips`: ground-truth / generated clips on disk, paired by name.
- :mod:`~dancegen.evaluation.scoring`: every metric over paired clips (:mod:`dancegen.metrics`), 2D-BeatAlign
  per clip (:mod:`~dancegen.evaluation.beats`, plotted by :mod:`~dancegen.evaluation.plots`).
- :mod:`~dancegen.evaluation.report`: ``metrics.json`` + ``report.html`` shaped like tables 1–3
  (rendered by :mod:`~dancegen.evaluation.html`).
- :mod:`~dancegen.evaluation.benchmark`: :func:`evaluate_model_on_split`, generating and scoring a model on a
  dataset split (shared by ``dancegen ablate`` and the pipeline's evaluation step).
- :mod:`~dancegen.evaluation.directories`: ``dancegen evaluate --real DIR --fake DIR``.
- :mod:`~dancegen.evaluation.ablation_plan`, :mod:`~dancegen.evaluation.ablation`,
  :mod:`~dancegen.evaluation.train_worker`: ``dancegen ablate``.
- :mod:`~dancegen.evaluation.commands`: the two typer commands.

Names are imported on first use, so ``import dancegen.evaluation.commands`` (the CLI) stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "AblationSettings": "dancegen.evaluation.ablation_plan",
    "ClipPair": "dancegen.evaluation.clips",
    "EvalClip": "dancegen.evaluation.clips",
    "Evaluation": "dancegen.evaluation.scoring",
    "EvaluationError": "dancegen.evaluation.errors",
    "ModelResult": "dancegen.evaluation.report",
    "benchmark_report": "dancegen.evaluation.benchmark",
    "evaluate_directories": "dancegen.evaluation.directories",
    "evaluate_model_on_split": "dancegen.evaluation.benchmark",
    "load_ablation_settings": "dancegen.evaluation.ablation_plan",
    "load_metrics_config": "dancegen.evaluation.directories",
    "load_pairs": "dancegen.evaluation.clips",
    "run_ablation": "dancegen.evaluation.ablation",
    "score_pairs": "dancegen.evaluation.scoring",
    "write_report": "dancegen.evaluation.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dancegen.evaluation' has no attribute {name!r}")
