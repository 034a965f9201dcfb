"""Evaluation metrics of the paper (§4.2): FVD, SSIM, PSNR, LPIPS, 2D-BeatAlign, AV-Align.

Every metric returns a :class:`MetricResult`; one that cannot be computed here (pretrained weights not
configured) is "unavailable" with the reason, never a made-up number.
"""

from dancegen.metrics.av_align import audio_peaks, av_align_metric, av_align_score, flow_magnitudes, video_peaks
from dancegen.metrics.beat_align import (
    beat_align_metric,
    beat_align_score,
    joint_speed,
    motion_beats,
    music_beats,
)
from dancegen.metrics.config import MetricsConfig
from dancegen.metrics.fvd import (
    frechet_distance,
    frechet_distance_from_stats,
    fvd_metric,
    gaussian_stats,
    i3d_features,
    load_i3d,
    preprocess_videos,
)
from dancegen.metrics.image_quality import psnr, ssim, ssim_psnr, ssim_psnr_metrics
from dancegen.metrics.keypoints import DWPose, extract_keypoints, keypoints_from_heatmaps
from dancegen.metrics.lpips import LPIPS, lpips_distances, lpips_metric
from dancegen.metrics.report import MetricResult, to_json
from dancegen.metrics.suite import Clip, evaluate

__all__ = [
    "LPIPS",
    "Clip",
    "DWPose",
    "MetricResult",
    "MetricsConfig",
    "audio_peaks",
    "av_align_metric",
    "av_align_score",
    "beat_align_metric",
    "beat_align_score",
    "evaluate",
    "extract_keypoints",
    "flow_magnitudes",
    "frechet_distance",
    "frechet_distance_from_stats",
    "fvd_metric",
    "gaussian_stats",
    "i3d_features",
    "joint_speed",
    "keypoints_from_heatmaps",
    "load_i3d",
    "lpips_distances",
    "lpips_metric",
    "motion_beats",
    "music_beats",
    "preprocess_videos",
    "psnr",
    "ssim",
    "ssim_psnr",
    "ssim_psnr_metrics",
    "to_json",
    "video_peaks",
]
