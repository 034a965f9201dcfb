"""2D-BeatAlign per clip, with the curves behind it (for the report's plots).

The score is :func:`dancegen.metrics.beat_align_metric` (FACT's definition); this module only chooses the
keypoints and keeps the joint-speed curve, motion beats and music beats that the score is made from.

Keypoints of a clip come from, in order: DWPose (``metrics.dwpose_onnx``, the paper's choice, run on the
frames), the clip's own keypoints (a ``.keypoints.npz`` sidecar, or the SDGPip ground-truth joints), or the
M2PEnc heatmaps predicted with a generated clip. A clip with none of them has no 2D-BeatAlign ("unavailable"
with the reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.ndimage

from dancegen.errors import WeightsError
from dancegen.evaluation.clips import EvalClip
from dancegen.metrics import (
    MetricResult,
    MetricsConfig,
    beat_align_metric,
    extract_keypoints,
    joint_speed,
    motion_beats,
    music_beats,
)

NO_KEYPOINTS = (
    "no keypoints: metrics.dwpose_onnx is not set (DWPose ONNX file) and the clip has neither a "
    ".keypoints.npz sidecar nor M2PEnc heatmaps"
)


@dataclass
class BeatAnalysis:
    """One clip's 2D-BeatAlign and what it is made of.

    speed: (F-1,) mean joint speed in pixels/frame (smoothed as configured); entry i is the motion into
    frame i+1. motion_beats: (M,) and music_beats: (K,) frame indices; result: the score (or why not).
    """

    result: MetricResult
    speed: np.ndarray | None = None
    motion_beats: np.ndarray | None = None
    music_beats: np.ndarray | None = None
    keypoint_source: str | None = None


def clip_keypoints(clip: EvalClip, config: MetricsConfig) -> tuple[np.ndarray, str]:
    """Body keypoints ``(F, J, 2)`` of ``clip`` and their source (see the module docstring); WeightsError if none."""
    if config.dwpose_onnx:
        return extract_keypoints(clip.frames, None, config.dwpose_onnx)
    if clip.keypoints is not None:
        return clip.keypoints, clip.keypoint_source or "given keypoints"
    if clip.heatmaps is not None:
        return extract_keypoints(clip.frames, clip.heatmaps, None)
    raise WeightsError(NO_KEYPOINTS)


def analyse_beats(clip: EvalClip, config: MetricsConfig, name: str = "beat_align") -> BeatAnalysis:
    """2D-BeatAlign of one clip against its own music, with the curves (``result.name`` is ``name``)."""
    try:
        keypoints, source = clip_keypoints(clip, config)
    except WeightsError as exc:
        return BeatAnalysis(MetricResult.unavailable(name, str(exc)))
    result = beat_align_metric(
        keypoints,
        clip.audio,
        clip.sample_rate,
        clip.fps,
        keypoint_source=source,
        sigma=config.beat_align_sigma,
        direction=config.beat_align_direction,
        smooth_sigma=config.beat_align_smooth_sigma,
    )
    speed = joint_speed(keypoints)
    if config.beat_align_smooth_sigma:
        speed = scipy.ndimage.gaussian_filter1d(speed, config.beat_align_smooth_sigma, mode="nearest")
    music = music_beats(clip.audio, clip.sample_rate, clip.fps)
    return BeatAnalysis(
        result=MetricResult(name, result.value, result.status, result.reason, result.details),
        speed=speed,
        motion_beats=motion_beats(keypoints, fps=clip.fps, smooth_sigma=config.beat_align_smooth_sigma),
        music_beats=music[music < len(keypoints)],
        keypoint_source=source,
    )


def mean_beat_align(name: str, analyses: Sequence[BeatAnalysis]) -> MetricResult:
    """The clips' mean 2D-BeatAlign; "unavailable" (with the first clip's reason) when no clip has one."""
    ok = [a.result for a in analyses if a.result.available]
    if not ok:
        reason = analyses[0].result.reason if analyses else "no clips"
        return MetricResult.unavailable(name, reason, clips=len(analyses))
    sources = sorted({r.details.get("keypoints", "") for r in ok})
    return MetricResult.ok(
        name,
        float(np.mean([r.value for r in ok])),
        clips=len(ok),
        clips_unavailable=len(analyses) - len(ok),
        keypoints=sources[0] if len(sources) == 1 else sources,
        sigma_frames=ok[0].details.get("sigma_frames"),
        direction=ok[0].details.get("direction"),
    )
