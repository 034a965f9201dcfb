"""The preview video: generated frame | skeleton | keypoint heatmaps, side by side.

The skeleton is read from M2PEnc's heatmaps (paper §3.2): each joint sits at its heatmap's argmax, mapped
from heatmap pixels to image pixels with the inverse of SDGPip's heatmap alignment (pixel centres aligned,
``x = (q + 0.5) · S / h − 0.5``). Heatmap channels follow SDGPip's joint sets: 24 → SMPL joints, 18 →
OpenPose-18, 29 → all keypoints; those are drawn with :func:`dancegen.render.draw_skeleton` (OpenPose
colours; the nose falls back to SMPL's head joint, missing face points are left out). Any other channel
count is drawn as plain joint dots. The heatmap panel is the maximum over joints, colour-mapped; a frame whose
heatmaps exceed 1 (an untrained or diverging encoder) is scaled down to peak 1 so its structure stays visible.
"""

from __future__ import annotations

import cv2
import numpy as np

from dancegen.render import JOINT_SETS, KEYPOINT_NAMES, SKELETON_POINTS, draw_skeleton, heatmap_image

_JOINT_SETS_BY_CHANNELS = {len(names): names for names in (*JOINT_SETS.values(), KEYPOINT_NAMES)}
_FALLBACKS = {"nose": "head"}  # SMPL has no nose; its head joint is the nearest point


def heatmap_peaks(heatmaps: np.ndarray, image_size: int) -> np.ndarray:
    """(N, J, h, w) heatmaps → (N, J, 2) image-pixel (x, y) of each joint's argmax in a ``image_size`` frame."""
    n, joints, height, width = heatmaps.shape
    flat = heatmaps.reshape(n, joints, height * width).argmax(axis=2)  # (N, J)
    rows, cols = np.divmod(flat, width)
    x = (cols + 0.5) * image_size / width - 0.5
    y = (rows + 0.5) * image_size / height - 0.5
    return np.stack([x, y], axis=-1).astype(np.float64)


def skeleton_points(peaks: np.ndarray) -> np.ndarray | None:
    """(N, J, 2) joint positions → (N, len(SKELETON_POINTS), 2) for ``draw_skeleton`` (NaN = absent), or
    None when J matches no known joint set."""
    names = _JOINT_SETS_BY_CHANNELS.get(peaks.shape[1])
    if names is None:
        return None
    index = {name: i for i, name in enumerate(names)}
    points = np.full((len(peaks), len(SKELETON_POINTS), 2), np.nan)
    for k, name in enumerate(SKELETON_POINTS):
        source = name if name in index else _FALLBACKS.get(name)
        if source in index:
            points[:, k] = peaks[:, index[source]]
    return points


def skeleton_frames(heatmaps: np.ndarray, size: int) -> np.ndarray:
    """(N, J, h, w) heatmaps → (N, size, size, 3) uint8 skeleton drawings."""
    peaks = heatmap_peaks(heatmaps, size)
    points = skeleton_points(peaks)
    if points is not None:
        return draw_skeleton(points, size)
    frames = np.zeros((len(peaks), size, size, 3), np.uint8)
    radius = max(1, size // 64)
    for frame, joints in zip(frames, np.round(peaks).astype(int), strict=True):
        for x, y in joints:
            cv2.circle(frame, (int(x), int(y)), radius, (255, 255, 255), -1, cv2.LINE_AA)
    return frames


def preview_frames(frames: np.ndarray, heatmaps: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) video + (N, J, h, w) heatmaps → (N, S, 3·S, 3) uint8: video | skeleton | heatmaps."""
    size = frames.shape[1]
    skeleton = skeleton_frames(heatmaps, size)
    heat = np.stack([heatmap_image(maps / max(1.0, float(maps.max())), size) for maps in heatmaps])
    return np.concatenate([frames, skeleton, heat], axis=2)
