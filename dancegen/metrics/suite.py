"""The paper's evaluation suite (§4.2–4.4, tables 1–3) over a set of generated clips and their references.

Frame metrics (SSIM, PSNR, LPIPS) compare generated clip i with reference clip i frame by frame; FVD compares
the two sets; 2D-BeatAlign and AV-Align score each generated clip against its music and are averaged over
clips, and are also reported for the reference clips (the tables' "Ground-Truth" row) where computable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dancegen.errors import WeightsError
from dancegen.metrics.av_align import av_align_metric
from dancegen.metrics.beat_align import beat_align_metric
from dancegen.metrics.config import MetricsConfig
from dancegen.metrics.fvd import fvd_metric
from dancegen.metrics.image_quality import ssim_psnr_metrics
from dancegen.metrics.inputs import check_clip_pairs
from dancegen.metrics.keypoints import extract_keypoints
from dancegen.metrics.lpips import lpips_metric
from dancegen.metrics.report import MetricResult


@dataclass(frozen=True)
class Clip:
    """One evaluation clip.

    frames: (F, H, W, 3) uint8 RGB at ``fps``.
    audio: (T,) float mono music at ``sr`` that the clip was made for.
    heatmaps: (F, J, h, w) M2PEnc joint heatmaps predicted with the clip, or None (reference videos).
    """

    frames: np.ndarray
    audio: np.ndarray
    sr: int
    fps: float
    heatmaps: np.ndarray | None = None


def _mean_over_clips(name: str, results: list[MetricResult]) -> MetricResult:
    """Average the available per-clip results; "unavailable" (first reason) when none is available."""
    ok = [r for r in results if r.available]
    if not ok:
        return MetricResult.unavailable(name, results[0].reason if results else "no clips", clips=len(results))
    details = {"clips": len(ok), "clips_unavailable": len(results) - len(ok)}
    for key in ("keypoints", "sigma_frames", "direction"):
        values = sorted({r.details[key] for r in ok if key in r.details})
        if values:
            details[key] = values[0] if len(values) == 1 else values
    return MetricResult.ok(name, float(np.mean([r.value for r in ok])), **details)


def _beat_align(clip: Clip, config: MetricsConfig, name: str) -> MetricResult:
    try:
        keypoints, source = extract_keypoints(clip.frames, clip.heatmaps, config.dwpose_onnx)
    except WeightsError as exc:
        return MetricResult.unavailable(name, str(exc))
    result = beat_align_metric(
        keypoints,
        clip.audio,
        clip.sr,
        clip.fps,
        keypoint_source=source,
        sigma=config.beat_align_sigma,
        direction=config.beat_align_direction,
        smooth_sigma=config.beat_align_smooth_sigma,
    )
    return MetricResult(name, result.value, result.status, result.reason, result.details)


def evaluate(generated: Sequence[Clip], reference: Sequence[Clip], config: MetricsConfig) -> list[MetricResult]:
    """All paper metrics for paired clip lists → results named ssim, psnr, lpips, fvd, beat_align,
    beat_align_ground_truth, av_align, av_align_ground_truth."""
    gen_frames = [clip.frames for clip in generated]
    ref_frames = [clip.frames for clip in reference]
    check_clip_pairs(gen_frames, ref_frames)
    results = ssim_psnr_metrics(gen_frames, ref_frames)
    results.append(lpips_metric(gen_frames, ref_frames, config.lpips_weights))
    if len(generated) >= 2:
        results.append(
            fvd_metric(gen_frames, ref_frames, config.i3d_torchscript, config.fvd_convention, config.fvd_clip_frames)
        )
    else:
        results.append(MetricResult.unavailable("fvd", "FVD needs at least 2 clips (a covariance is estimated)"))
    results.append(_mean_over_clips("beat_align", [_beat_align(c, config, "beat_align") for c in generated]))
    results.append(
        _mean_over_clips(
            "beat_align_ground_truth", [_beat_align(c, config, "beat_align_ground_truth") for c in reference]
        )
    )
    for name, clips in (("av_align", generated), ("av_align_ground_truth", reference)):
        per_clip = [av_align_metric(c.frames, c.audio, c.sr, c.fps, config.av_align_flow_size) for c in clips]
        results.append(_mean_over_clips(name, per_clip))
    return results
