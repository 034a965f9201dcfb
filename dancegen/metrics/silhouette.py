"""Pose following without a pose detector: the IoU between a frame's foreground and the body's silhouette.

SDGPip renders the body's 24-part semantic map on a black background, so the silhouette of the pose a frame
should show is exact: every pixel whose semantic colour is not black. The foreground of a frame (generated
or real) is found without knowing its background: SDGPip backgrounds are a wall and a floor that change
down the image but hardly across it, and the body covers less than half of every row, so each row's
median colour is the background there, and a pixel whose colours differ from it by more than ``threshold``
(summed over R, G, B, 0–255 scale) is foreground. This works for a generated frame whatever background
colour it got. On SDGPip's own frames the foreground/silhouette IoU is 0.75–0.95 (the ceiling: clothes
close to the background colour are missed); a frame of noise scores about the body's share of the image.
"""

from __future__ import annotations

import numpy as np

FOREGROUND_THRESHOLD = 40.0  # summed |RGB − row median| on a 0–255 scale
SILHOUETTE_THRESHOLD = 40  # semantic-map channel maximum above which a pixel is body (H.264 leaves noise near 0)


def _frames(images: np.ndarray, name: str) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"{name} must be (H, W, 3) or (N, H, W, 3) RGB, got shape {images.shape}")
    return images


def foreground_mask(frames: np.ndarray, threshold: float = FOREGROUND_THRESHOLD) -> np.ndarray:
    """(N, H, W, 3) or (H, W, 3) uint8 RGB → (N, H, W) bool: pixels unlike their row's median colour."""
    frames = _frames(frames, "frames").astype(np.float32)
    background = np.median(frames, axis=2, keepdims=True)  # (N, H, 1, 3): one colour per row
    return np.abs(frames - background).sum(-1) > threshold


def silhouette_mask(semantic: np.ndarray, threshold: int = SILHOUETTE_THRESHOLD) -> np.ndarray:
    """(N, H, W, 3) or (H, W, 3) uint8 SDGPip semantic maps → (N, H, W) bool body silhouettes."""
    return _frames(semantic, "semantic").max(-1) > threshold


def mask_iou(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(N, H, W) bool masks → (N,) float64 intersection over union (1 where both are empty)."""
    if predicted.shape != target.shape:
        raise ValueError(f"mask shapes differ: {predicted.shape} vs {target.shape}")
    axes = tuple(range(1, predicted.ndim))
    union = (predicted | target).sum(axes)
    inter = (predicted & target).sum(axes)
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def silhouette_iou(frames: np.ndarray, semantic: np.ndarray, threshold: float = FOREGROUND_THRESHOLD) -> np.ndarray:
    """(N,) IoU of each frame's foreground with the silhouette of its semantic map (same size)."""
    return mask_iou(foreground_mask(frames, threshold), silhouette_mask(semantic))
