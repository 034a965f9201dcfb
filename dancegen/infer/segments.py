"""How a long video is cut into the 5-second segments the model generates one at a time (paper §3.4).

A video of ``N`` frames at ``fps`` is generated as segments of ``segment_frames = round(segment_seconds · fps)``
frames (5 s in the paper: the length of the music clips M2PEnc is trained on). Consecutive segments share
``overlap`` frames: segment ``j`` covers frames ``[start_j, start_j + segment_frames)`` with
``start_j = j · (segment_frames − overlap)``, so its first ``overlap`` frames are the previous segment's
last ``overlap`` frames. Those frames are not generated again; they condition the new segment (see
:mod:`dancegen.infer.sampler`), and only the frames after them are new. The last segment is trimmed at
``N``, so the video is exactly ``N`` frames long::

    segment_frames = 10, overlap = 2, N = 24
    segment 0: frames [0, 10)   new [0, 10)
    segment 1: frames [8, 18)   new [10, 18)   conditioned on frames 8, 9
    segment 2: frames [16, 24)  new [18, 24)   conditioned on frames 16, 17 (trimmed to 8 frames)

A segment must fit the model's temporal range: the video U-Net's ``motion_max_seq_length`` (its temporal
position embedding) and, for M2PEnc, its ``max_frames``. When no fps is given, the default is the highest
whole frame rate at which a 5-s segment fits that range, capped at the SDGPip data rate of 15 fps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dancegen.errors import ConfigError

SEGMENT_SECONDS = 5.0  # paper §3.4
MAX_DEFAULT_FPS = 15  # SDGPip's clip frame rate (75 frames per 5-s clip, paper §4.1)
OVERLAP_FRACTION = 8  # default overlap = segment_frames // 8 (at least 1 frame)


@dataclass(frozen=True)
class Segment:
    """Frames ``[start, stop)`` of the video; the first ``overlap`` of them come from the previous segment."""

    index: int
    start: int
    stop: int
    overlap: int

    @property
    def frames(self) -> int:
        """Frames the denoiser sees for this segment (conditioning + new)."""
        return self.stop - self.start

    @property
    def new_start(self) -> int:
        """First frame this segment adds to the video."""
        return self.start + self.overlap


def temporal_capacity(unet_max_frames: int, music_max_frames: int | None) -> int:
    """Longest segment (frames) the model takes: the U-Net's and the music encoder's limits, whichever is less."""
    return min(unet_max_frames, music_max_frames) if music_max_frames else unet_max_frames


def default_fps(capacity: int, segment_seconds: float = SEGMENT_SECONDS) -> float:
    """The highest whole fps (≥ 1, ≤ 15) at which a ``segment_seconds`` segment fits ``capacity`` frames."""
    return float(max(1, min(MAX_DEFAULT_FPS, math.floor(capacity / segment_seconds))))


def default_overlap(segment_frames: int) -> int:
    """Overlap used when none is given: an eighth of a segment, at least one frame (none for 1-frame segments)."""
    return min(max(1, segment_frames // OVERLAP_FRACTION), segment_frames - 1)


def segment_length(segment_seconds: float, fps: float, capacity: int) -> int:
    """Frames per segment at ``fps``; ConfigError naming the fix when it exceeds the model's ``capacity``."""
    if not segment_seconds > 0:
        raise ConfigError(f"segment_seconds = {segment_seconds!r} must be > 0; the paper uses {SEGMENT_SECONDS}")
    frames = max(1, int(round(segment_seconds * fps)))
    if frames > capacity:
        raise ConfigError(
            f"a {segment_seconds:g}-s segment at {fps:g} fps is {frames} frames but the model takes at most "
            f"{capacity} (its temporal range); use --fps ≤ {capacity / segment_seconds:.4g} or shorter segments"
        )
    return frames


def plan_segments(total_frames: int, segment_frames: int, overlap: int) -> list[Segment]:
    """Cut ``total_frames`` into segments of ``segment_frames`` sharing ``overlap`` frames (module docstring)."""
    if total_frames < 1 or segment_frames < 1:
        raise ConfigError(f"cannot plan {total_frames} frames in segments of {segment_frames}; both must be ≥ 1")
    if not 0 <= overlap < segment_frames:
        raise ConfigError(
            f"overlap = {overlap} frames must be ≥ 0 and less than the segment length {segment_frames}; "
            f"pass a smaller --overlap"
        )
    stride = segment_frames - overlap
    segments = [Segment(0, 0, min(segment_frames, total_frames), 0)]
    while segments[-1].stop < total_frames:
        start = segments[-1].start + stride
        segments.append(Segment(len(segments), start, min(start + segment_frames, total_frames), overlap))
    return segments
