"""AV-Align (Yariv et al. 2024): agreement of audio onsets and motion peaks (paper §4.2, table 2).

- audio peaks: ``librosa.onset.onset_detect`` on the onset-strength envelope computed with a hop of
  ``sr / fps`` samples, so that envelope frames are video frames (librosa's 30 ms peak-picking windows
  round to 0 frames at video rates, so a peak must beat the frame before and after it and peaks are at
  least one frame apart);
- video peaks: strict local maxima of the mean Farneback optical-flow magnitude between consecutive
  grayscale frames (frames optionally downscaled so the short side is 256); the magnitude of frame i is the
  flow from frame i−1 to i, and frame 0 repeats frame 1's value so indices stay aligned;
- score: an audio peak is a hit when a video peak lies within ±1 frame;
  ``AV-Align = hits / (audio peaks + video peaks − hits)`` (an intersection over union). Each video peak
  serves one audio peak (matched in time order), so the score stays in [0, 1]; Yariv et al.'s loop lets
  two audio peaks share a video peak, which differs only when two onsets lie within 2 frames.
"""

from __future__ import annotations

import cv2
import librosa
import numpy as np

from dancegen.errors import ImageError
from dancegen.metrics.inputs import check_audio, check_frames
from dancegen.metrics.report import MetricResult

# cv2.calcOpticalFlowFarneback(prev, next, flow, pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags)
FARNEBACK = (0.5, 3, 15, 3, 5, 1.2, 0)


def audio_peaks(audio: np.ndarray, sr: int, fps: float) -> np.ndarray:
    """Onset positions of ``audio (T,)`` as sorted unique video frame indices ``(A,)`` int64."""
    audio = check_audio(audio, sr)
    hop = max(1, int(round(sr / fps)))
    envelope = librosa.onset.onset_strength(y=audio, sr=sr, hop_length=hop)
    window = max(1, round(0.03 * fps))  # librosa's 30 ms pre-max and wait, at least one frame
    onsets = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=sr, hop_length=hop, units="frames", pre_max=window, post_max=1, wait=window
    )
    return np.unique(np.round(np.asarray(onsets) * hop * fps / sr).astype(np.int64))


def flow_magnitudes(frames: np.ndarray, size: int | None = 256) -> np.ndarray:
    """Mean optical-flow magnitude ``(F,)`` of ``frames (F, H, W, 3)`` uint8 RGB (F ≥ 2).

    size: the short side frames are downscaled to before the flow (None or larger than the frames: as is).
    """
    frames = check_frames(frames, "video frames", min_size=8)
    if len(frames) < 2:
        raise ImageError(f"optical flow needs at least 2 video frames, got {len(frames)}")
    h, w = frames.shape[1:3]
    scale = size / min(h, w) if size and min(h, w) > size else 1.0
    target = (max(8, round(w * scale)), max(8, round(h * scale)))
    gray = []
    for frame in frames:
        g = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        gray.append(cv2.resize(g, target, interpolation=cv2.INTER_AREA) if scale != 1.0 else g)
    magnitudes = np.empty(len(frames), dtype=np.float64)
    for i in range(1, len(frames)):
        flow = cv2.calcOpticalFlowFarneback(gray[i - 1], gray[i], None, *FARNEBACK)  # (h, w, 2) pixels
        magnitudes[i] = float(np.sqrt((flow.astype(np.float64) ** 2).sum(axis=-1)).mean())
    magnitudes[0] = magnitudes[1]
    return magnitudes


def video_peaks(magnitudes: np.ndarray) -> np.ndarray:
    """Indices ``(P,)`` of strict local maxima of ``magnitudes (F,)`` (end frames excluded)."""
    m = np.asarray(magnitudes, dtype=np.float64)
    inner = (m[1:-1] > m[:-2]) & (m[1:-1] > m[2:])
    return np.flatnonzero(inner).astype(np.int64) + 1


def av_align_score(audio_peak_frames: np.ndarray, video_peak_frames: np.ndarray, tolerance: int = 1) -> float | None:
    """Intersection over union of the two peak sets; None when both are empty (undefined)."""
    audio = np.asarray(audio_peak_frames, dtype=np.int64).ravel()
    video = np.asarray(video_peak_frames, dtype=np.int64).ravel()
    if audio.size + video.size == 0:
        return None
    hits, free = 0, np.ones(video.size, dtype=bool)
    for peak in np.sort(audio):
        candidates = np.flatnonzero(free & (np.abs(video - peak) <= tolerance))
        if candidates.size:
            free[candidates[np.argmin(np.abs(video[candidates] - peak))]] = False
            hits += 1
    return hits / (audio.size + video.size - hits)


def av_align_metric(
    frames: np.ndarray, audio: np.ndarray, sr: int, fps: float, flow_size: int | None = 256
) -> MetricResult:
    """AV-Align of one clip: ``frames (F, H, W, 3)`` uint8 against its music ``audio (T,)`` at ``sr``.

    Audio onsets past the last frame are ignored. "unavailable" when neither stream has a peak.
    """
    frames = check_frames(frames, "video frames", min_size=8)
    audio_frames = audio_peaks(audio, sr, fps)
    audio_frames = audio_frames[audio_frames < len(frames)]
    motion_frames = video_peaks(flow_magnitudes(frames, flow_size))
    details = {"audio_peaks": int(audio_frames.size), "video_peaks": int(motion_frames.size), "tolerance_frames": 1}
    score = av_align_score(audio_frames, motion_frames)
    if score is None:
        return MetricResult.unavailable("av_align", "neither the audio nor the video has a peak", **details)
    return MetricResult.ok("av_align", score, **details)
