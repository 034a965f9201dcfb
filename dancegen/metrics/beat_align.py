"""2D-BeatAlign: how well the dancer's kinematic beats meet the music's beats (paper §4.2, table 2).

FACT's definition (Li et al. 2021), applied to 2D keypoints of the video frames:

- motion beats: strict local minima of the mean joint speed ``v[t] = mean_j ‖p[t, j] − p[t−1, j]‖``
  (optionally Gaussian-smoothed over time), found with ``scipy.signal.argrelextrema(v, np.less, order)``;
  FACT's ``order = 10`` at 60 fps is scaled to the video rate (``round(10·fps/60)``, at least 1);
- music beats: librosa's beat tracker, converted to video frame indices;
- score: mean over motion beats of ``exp(−d² / (2σ²))`` with ``d`` the distance in frames to the nearest
  music beat and σ = 3 frames.

``direction="music-to-motion"`` gives Bailando's reversed variant: the mean over music beats of the same
kernel of the distance to the nearest motion beat. The keypoint source (DWPose or M2PEnc heatmaps) is
recorded with the score.
"""

from __future__ import annotations

from typing import Literal

import librosa
import numpy as np
import scipy.ndimage
import scipy.signal

from dancegen.errors import ConfigError
from dancegen.metrics.inputs import check_audio, check_keypoints
from dancegen.metrics.report import MetricResult

Direction = Literal["motion-to-music", "music-to-motion"]
DEFAULT_SIGMA = 3.0  # frames


def music_beats(audio: np.ndarray, sr: int, fps: float, hop_length: int = 512) -> np.ndarray:
    """Beat positions of ``audio (T,)`` as sorted unique video frame indices ``(K,)`` int64 at ``fps``."""
    audio = check_audio(audio, sr)
    _, beat_times = librosa.beat.beat_track(y=audio, sr=sr, hop_length=hop_length, units="time")
    return np.unique(np.round(np.asarray(beat_times) * fps).astype(np.int64))


def joint_speed(keypoints: np.ndarray) -> np.ndarray:
    """Mean joint speed ``(F−1,)`` (pixels/frame) of ``keypoints (F, J, 2)``; entry i is frame i+1's motion."""
    keypoints = check_keypoints(keypoints)
    return np.linalg.norm(np.diff(keypoints, axis=0), axis=-1).mean(axis=1)


def motion_beats(
    keypoints: np.ndarray, fps: float = 30.0, order: int | None = None, smooth_sigma: float | None = None
) -> np.ndarray:
    """Frame indices ``(M,)`` of the kinematic beats (speed minima) of ``keypoints (F, J, 2)``.

    order: frames on each side that must be slower; default FACT's 10 at 60 fps scaled to ``fps``.
    smooth_sigma: Gaussian smoothing of the speed curve in frames (None: FACT's raw curve).
    """
    speed = joint_speed(keypoints)
    if smooth_sigma:
        speed = scipy.ndimage.gaussian_filter1d(speed, smooth_sigma, mode="nearest")
    order = order if order is not None else max(1, round(10 * fps / 60))
    minima = scipy.signal.argrelextrema(speed, np.less, order=order)[0]
    return minima.astype(np.int64) + 1  # speed[i] is the motion into frame i+1


def beat_align_score(
    motion_beat_frames: np.ndarray,
    music_beat_frames: np.ndarray,
    sigma: float = DEFAULT_SIGMA,
    direction: Direction = "motion-to-music",
) -> float | None:
    """BeatAlign in [0, 1] from two beat lists (frame indices); None when either list is empty."""
    if direction not in ("motion-to-music", "music-to-motion"):
        raise ConfigError(f"beat-align direction must be motion-to-music or music-to-motion, got {direction!r}")
    motion = np.asarray(motion_beat_frames, dtype=np.float64).ravel()
    music = np.asarray(music_beat_frames, dtype=np.float64).ravel()
    source, target = (motion, music) if direction == "motion-to-music" else (music, motion)
    if source.size == 0 or target.size == 0:
        return None
    nearest = np.abs(source[:, None] - target[None, :]).min(axis=1)
    return float(np.exp(-(nearest**2) / (2.0 * sigma**2)).mean())


def beat_align_metric(
    keypoints: np.ndarray,
    audio: np.ndarray,
    sr: int,
    fps: float,
    keypoint_source: str,
    sigma: float = DEFAULT_SIGMA,
    direction: Direction = "motion-to-music",
    smooth_sigma: float | None = None,
) -> MetricResult:
    """2D-BeatAlign of one clip: ``keypoints (F, J, 2)`` against the music ``audio (T,)`` at ``sr``.

    Music beats past the last video frame are ignored. "unavailable" when the clip has no motion or no
    music beats (the score is undefined then).
    """
    keypoints = check_keypoints(keypoints)
    details = {"keypoints": keypoint_source, "sigma_frames": sigma, "direction": direction}
    music = music_beats(audio, sr, fps)
    music = music[music < len(keypoints)]
    motion = motion_beats(keypoints, fps=fps, smooth_sigma=smooth_sigma)
    details |= {"motion_beats": int(motion.size), "music_beats": int(music.size)}
    score = beat_align_score(motion, music, sigma=sigma, direction=direction)
    if score is None:
        empty = "motion" if motion.size == 0 else "music"
        return MetricResult.unavailable("beat_align", f"the clip has no {empty} beats", **details)
    return MetricResult.ok("beat_align", score, **details)
