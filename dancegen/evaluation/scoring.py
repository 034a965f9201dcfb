"""Scoring paired clips with the paper's metrics (§4.2): one call gives the tables' numbers and the per-clip curves.

FVD, LPIPS, PSNR, SSIM and AV-Align (generated and ground truth) come from :func:`dancegen.metrics.evaluate`;
2D-BeatAlign is computed per clip here (:mod:`.beats`) so that the report can plot each clip's joint speed
with its motion and music beats, and so that keypoints given with a clip (sidecars, SDGPip joints) are used.
Metrics that need pretrained networks that are not configured are "unavailable" with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from dancegen.evaluation.beats import BeatAnalysis, analyse_beats, mean_beat_align
from dancegen.evaluation.clips import ClipPair
from dancegen.evaluation.errors import EvaluationError
from dancegen.metrics import MetricResult, MetricsConfig, evaluate

METRIC_NAMES = (
    "ssim",
    "psnr",
    "lpips",
    "fvd",
    "beat_align",
    "beat_align_ground_truth",
    "av_align",
    "av_align_ground_truth",
)
"""Every metric an evaluation reports, in this order."""


@dataclass
class ClipScore:
    """One pair's per-clip results: 2D-BeatAlign of the generated and the ground-truth clip, and notes."""

    name: str
    fake_beats: BeatAnalysis
    real_beats: BeatAnalysis
    notes: list[str] = field(default_factory=list)


@dataclass
class Evaluation:
    """All metrics of one set of generated clips against their ground truth (:data:`METRIC_NAMES`)."""

    metrics: list[MetricResult]
    clips: list[ClipScore]

    def metric(self, name: str) -> MetricResult:
        for result in self.metrics:
            if result.name == name:
                return result
        raise KeyError(name)


def _short_clips_fvd(pairs: Sequence[ClipPair], config: MetricsConfig) -> MetricResult | None:
    """An "unavailable" FVD when some clip is shorter than the I3D clip length FVD is defined on, else None."""
    shortest = min(len(pair.fake.frames) for pair in pairs)
    if not config.fvd_clip_frames or shortest >= config.fvd_clip_frames:
        return None
    reason = (
        f"the shortest clip has {shortest} frames but FVD compares {config.fvd_clip_frames}-frame clips "
        "(metrics.fvd_clip_frames); evaluate longer clips"
    )
    if not config.i3d_torchscript:
        reason += ", and metrics.i3d_torchscript (the I3D TorchScript file) is not set"
    return MetricResult.unavailable("fvd", reason, clip_frames=config.fvd_clip_frames)


def score_pairs(pairs: Sequence[ClipPair], config: MetricsConfig, progress: bool = True) -> Evaluation:
    """Every paper metric over ``pairs`` (generated vs ground truth), with per-clip 2D-BeatAlign."""
    if not pairs:
        raise EvaluationError("no clips to evaluate; give at least one pair of real and generated clips")
    # the suite's own BeatAlign is replaced by the per-clip one below: without keypoint sources it returns
    # "unavailable" at once instead of running DWPose a second time
    suite_config = config.model_copy(update={"dwpose_onnx": None})
    short_fvd = _short_clips_fvd(pairs, config)
    if short_fvd is not None:  # the suite would refuse the clips outright: no FVD, every other metric
        suite_config = suite_config.model_copy(update={"i3d_torchscript": None, "fvd_clip_frames": None})
    generated = [pair.fake.metric_clip(with_heatmaps=False) for pair in pairs]
    reference = [pair.real.metric_clip(with_heatmaps=False) for pair in pairs]
    suite = {result.name: result for result in evaluate(generated, reference, suite_config)}
    if short_fvd is not None:
        suite["fvd"] = short_fvd
    clips = []
    for pair in tqdm(pairs, desc="beat alignment", unit="clip", disable=not progress):
        clips.append(
            ClipScore(
                pair.name,
                fake_beats=analyse_beats(pair.fake, config, "beat_align"),
                real_beats=analyse_beats(pair.real, config, "beat_align_ground_truth"),
                notes=list(pair.notes),
            )
        )
    suite["beat_align"] = mean_beat_align("beat_align", [c.fake_beats for c in clips])
    suite["beat_align_ground_truth"] = mean_beat_align("beat_align_ground_truth", [c.real_beats for c in clips])
    return Evaluation([suite[name] for name in METRIC_NAMES], clips)
