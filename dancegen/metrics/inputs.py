"""Checks shared by the metrics: every bad input becomes a one-line DancegenError naming the fix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dancegen.errors import AudioError, ImageError, MotionError


def check_frames(frames: object, name: str, min_size: int = 1) -> np.ndarray:
    """``frames`` as ``(N, H, W, 3) uint8`` RGB with N ≥ 1 and H, W ≥ ``min_size``; ImageError otherwise."""
    if not isinstance(frames, np.ndarray):
        raise ImageError(f"{name} must be a numpy array (N, H, W, 3) uint8, got {type(frames).__name__}")
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ImageError(f"{name} must be (N, H, W, 3) uint8 RGB frames, got {frames.shape} {frames.dtype}")
    n, h, w, _ = frames.shape
    if n < 1:
        raise ImageError(f"{name} has no frames")
    if h < min_size or w < min_size:
        raise ImageError(f"{name} frames are {w}x{h}; this metric needs at least {min_size}x{min_size}")
    return frames


def check_frame_pair(generated: object, reference: object, min_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Both frame stacks valid and of the same shape (frame i of one is compared with frame i of the other)."""
    generated = check_frames(generated, "generated frames", min_size)
    reference = check_frames(reference, "reference frames", min_size)
    if generated.shape != reference.shape:
        raise ImageError(
            f"generated frames {generated.shape} and reference frames {reference.shape} differ in shape; "
            "resize/crop them to the same (N, H, W, 3) first"
        )
    return generated, reference


def check_clip_pairs(
    generated: np.ndarray | Sequence[np.ndarray], reference: np.ndarray | Sequence[np.ndarray], min_size: int = 1
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One ``(N, H, W, 3)`` pair, or paired lists of clips (sizes may differ between clips), as checked pairs."""
    if isinstance(generated, np.ndarray) and isinstance(reference, np.ndarray):
        return [check_frame_pair(generated, reference, min_size)]
    generated, reference = list(generated), list(reference)
    if len(generated) != len(reference) or not generated:
        raise ImageError(
            f"need the same non-zero number of generated and reference clips, got {len(generated)} and {len(reference)}"
        )
    return [check_frame_pair(g, r, min_size) for g, r in zip(generated, reference, strict=True)]


def check_audio(audio: object, sr: int) -> np.ndarray:
    """Mono ``(T,)`` finite float audio that is not silent, as float32; AudioError otherwise."""
    if sr <= 0:
        raise AudioError(f"sample rate must be positive, got {sr}")
    audio = np.asarray(audio)
    if audio.ndim != 1 or not np.issubdtype(audio.dtype, np.floating):
        raise AudioError(f"audio must be mono (T,) float samples, got {audio.shape} {audio.dtype}")
    if audio.size < sr // 10:
        raise AudioError(f"audio is {audio.size} samples at {sr} Hz; at least 0.1 s is needed")
    if not np.all(np.isfinite(audio)):
        raise AudioError("audio contains NaN or inf samples")
    if float(np.max(np.abs(audio))) == 0.0:
        raise AudioError("audio is silent (all zeros); pass the music track the video was made for")
    return audio.astype(np.float32, copy=False)


def check_keypoints(keypoints: object) -> np.ndarray:
    """``(F, J, 2)`` finite keypoints with F ≥ 3 frames, as float64; MotionError otherwise."""
    keypoints = np.asarray(keypoints)
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2 or not np.issubdtype(keypoints.dtype, np.number):
        raise MotionError(f"keypoints must be (F, J, 2) x/y pixel coordinates, got {keypoints.shape}")
    if keypoints.shape[0] < 3 or keypoints.shape[1] < 1:
        raise MotionError(f"keypoints need at least 3 frames and 1 joint, got {keypoints.shape}")
    if not np.all(np.isfinite(keypoints)):
        raise MotionError("keypoints contain NaN or inf; drop or interpolate missing joints first")
    return keypoints.astype(np.float64, copy=False)
