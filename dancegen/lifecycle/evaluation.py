"""Evaluating a trained model on held-out clips (paper §4.2): the pipeline's ``evaluate`` step.

A thin adapter between KFP artifacts and :func:`dancegen.evaluation.benchmark_report`, which generates a
video for every clip of the split from its music and reference image (as a user would) and scores it with
the paper's metrics. Metrics that need pretrained networks not configured here are reported "unavailable"
with the reason, never as a number.

Outputs: a results JSON (:data:`RESULTS_FORMAT`: model identity, settings, every MetricResult and the
finite scalars the registry and the promotion gates read) and the evaluation report as one self-contained
HTML page (tables, beat-alignment plots, side-by-side videos with the music embedded).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from dancegen.lifecycle.artifacts import ArtifactLike, finite_scalars, log_scalars, model_dir, step_logger

log = step_logger(__name__)
RESULTS_FORMAT = "dancegen-evaluation"


def evaluate_model(
    model: ArtifactLike,
    data: ArtifactLike,
    results: ArtifactLike,
    report: ArtifactLike,
    metrics: Any = None,
    split: str = "test",
    steps: int = 25,
    guidance_scale: float = 3.5,
    seed: int = 0,
    max_clips: int = 0,
    lpips_weights: str = "",
    i3d_torchscript: str = "",
    dwpose_onnx: str = "",
) -> dict[str, float]:
    """Generate every clip of ``split`` with ``model`` and score it against the clip's target frames.

    Args:
        model: Model artifact (a run directory with ``model/``).
        data: Dataset artifact (SDGPip).
        results: output file for the results JSON; report: output file for the HTML report.
        metrics: optional KFP Metrics artifact: each finite scalar is logged with ``log_metric``.
        split: dataset split to evaluate ("test": tracks never seen in training).
        steps, guidance_scale, seed: DDIM steps, reference guidance scale and noise seed of generation.
        max_clips: evaluate at most this many clips (0 = all).
        lpips_weights, i3d_torchscript, dwpose_onnx: pretrained metric networks (local path or s3://);
            "" leaves LPIPS / FVD / keypoint-based BeatAlign "unavailable".

    Returns:
        ``{metric: value}`` of the metrics that could be computed (finite values only).
    """
    from dancegen.evaluation.benchmark import benchmark_report, training_details
    from dancegen.metrics import MetricsConfig
    from dancegen.sdgpip.generate import load_manifest, manifest_digest

    directory = model_dir(model.path)
    config = MetricsConfig(
        lpips_weights=lpips_weights or None, i3d_torchscript=i3d_torchscript or None, dwpose_onnx=dwpose_onnx or None
    )
    with tempfile.TemporaryDirectory(prefix="dancegen-evaluate-") as out:
        result, _, html_path = benchmark_report(
            directory,
            data.path,
            out,
            split,
            inline_videos=True,
            name="candidate",
            metrics=config,
            steps=steps,
            guidance_scale=guidance_scale,
            seed=seed,
            max_clips=max_clips,
            threads=1,  # tiny models on a shared CPU: one intra-op thread is fastest (see evaluate_model_on_split)
            progress=False,
        )
        Path(report.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(html_path, report.path)
    entries = [metric.to_dict() for metric in result.metrics]
    scalars = finite_scalars(entries)
    details = training_details(directory)
    payload = {
        "format": RESULTS_FORMAT,
        "model": {key: details[key] for key in ("stage", "step") if key in details},
        "data": {"digest": manifest_digest(load_manifest(data.path)), "split": split},
        "settings": {"steps": steps, "guidance_scale": guidance_scale, "seed": seed},
        "clips": [clip.name for clip in result.clips],
        "metrics": entries,
        "scalars": scalars,
    }
    if "trained on dataset" in details:  # the digest, not the path: results stay free of machine paths
        payload["model"]["dataset"] = {"digest": details["trained on dataset"]}
    Path(results.path).parent.mkdir(parents=True, exist_ok=True)
    Path(results.path).write_text(json.dumps(payload, indent=2, sort_keys=True))
    if metrics is not None:
        log_scalars(metrics, scalars)
    results.metadata.update({"split": split, "clips": len(payload["clips"])})
    log.info("evaluated %d %s clips: %s", len(payload["clips"]), split, scalars)
    return scalars
