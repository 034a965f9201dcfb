"""Guidance maps as uint8 RGB images (for video streams and previews), and a side-by-side preview.

- semantic: a fixed colour per label (``SEMANTIC_COLORS``: background black, then the 24 SMPL parts in
  golden-ratio hue steps, so neighbouring labels and left/right parts differ);
- depth: grey, near = bright (CHAMP's convention), normalised per frame over the foreground to [55, 255]
  so the farthest body point stays distinguishable from the black background;
- normal: camera-space (n + 1) / 2 as RGB, background black;
- heatmaps: the maximum over joints, resized and colour-mapped (inferno).
"""

from __future__ import annotations

import colorsys
import functools

import cv2
import numpy as np

from dancegen.render.body_mesh import NUM_PARTS


def _semantic_palette() -> np.ndarray:
    colors = [(0, 0, 0)]
    for k in range(NUM_PARTS):
        hue = (k * 0.6180339887) % 1.0
        sat, val = (0.85, 0.95) if k % 2 == 0 else (0.6, 0.8)
        colors.append(tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue, sat, val)))
    return np.array(colors, np.uint8)


SEMANTIC_COLORS = _semantic_palette()  # (25, 3) uint8; row 0 = background, row 1 + p = SMPL part p


def colorize_semantic(labels: np.ndarray) -> np.ndarray:
    """(...,) uint8 labels (0 = background, 1..24 = SMPL part + 1) → (..., 3) uint8 RGB."""
    return np.take(SEMANTIC_COLORS, np.asarray(labels), axis=0)


def depth_image(depth: np.ndarray) -> np.ndarray:
    """(N, H, W) or (H, W) float32 metres (0 = background) → same + (3,) uint8 grey, near = bright."""
    depth = np.asarray(depth, np.float32)
    single = depth.ndim == 2
    frames = depth[None] if single else depth
    out = np.zeros((*frames.shape, 3), np.uint8)
    grey = np.empty(frames.shape[1:], np.uint8)
    for frame, image in zip(frames, out, strict=True):
        if depth_grey(frame, out=grey):
            cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB, dst=image)
    return out[0] if single else out


def depth_grey(frame: np.ndarray, out: np.ndarray) -> bool:
    """One (H, W) float32 depth frame → ``out`` (H, W) uint8, the grey level of :func:`depth_image`.

    Returns whether the frame has any foreground (``out`` is all 0 when it has none).
    """
    fg = (frame > 0).view(np.uint8)
    if not fg.any():
        out[...] = 0
        return False
    near, far = cv2.minMaxLoc(frame, mask=fg)[:2]
    scale = -200.0 / max(far - near, 1e-6)
    cv2.convertScaleAbs(frame, dst=out, alpha=scale, beta=255.0 - scale * near)  # rounds and saturates
    np.multiply(out, fg, out=out)
    return True


@functools.cache
def _float16_normal_table() -> np.ndarray:
    """(65536,) uint8: round((x + 1) · 127.5) clipped to [0, 255] for every float16 bit pattern x."""
    values = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
    values = np.clip(np.nan_to_num(values), -1.0, 1.0)  # also maps ±inf into range
    return np.round((values + 1.0) * 127.5).astype(np.uint8)


def normal_image(normal: np.ndarray) -> np.ndarray:
    """(..., 3) camera-space unit normals (0 = background) → (..., 3) uint8 RGB of (n + 1) / 2.

    float16 input goes through a 65536-entry table (numpy's float16 arithmetic is ~10× slower).
    """
    normal = np.asarray(normal)
    if normal.dtype == np.float16:
        bits = normal.view(np.uint16)
        image = np.take(_float16_normal_table(), bits)
        background = ((bits[..., 0] | bits[..., 1] | bits[..., 2]) & 0x7FFF) == 0  # ±0 in all three
    else:
        normal = normal.astype(np.float32, copy=False)
        image = np.round((normal + 1.0) * 127.5).clip(0, 255).astype(np.uint8)
        background = (normal[..., 0] == 0) & (normal[..., 1] == 0) & (normal[..., 2] == 0)
    out = np.zeros_like(image)  # zero pages: only the foreground gets written
    flat, foreground = image.reshape(-1, 1, 3), (~background).reshape(-1, 1).view(np.uint8)
    cv2.bitwise_and(flat, flat, dst=out.reshape(-1, 1, 3), mask=foreground)  # ~10× faster than image[bg] = 0
    return out


def heatmap_image(heatmaps: np.ndarray, size: int) -> np.ndarray:
    """(J, h, w) heatmaps in [0, 1] → (size, size, 3) uint8: maximum over joints, inferno colour map."""
    peak = np.clip(np.asarray(heatmaps, np.float32).max(axis=0) * 255.0, 0, 255).astype(np.uint8)
    big = cv2.resize(peak, (size, size), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(cv2.applyColorMap(big, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)


def visualize(maps, frame: int = 0) -> np.ndarray:
    """(H, 6·W, 3) uint8 preview of one frame of GuidanceMaps: rgb | depth | normal | semantic | skeleton | heatmaps.

    Depth is colour-mapped (turbo) here, unlike the grey stream of :func:`depth_image`.
    """
    size = maps.rgb.shape[1]
    grey = depth_image(maps.depth[frame])[..., 0]
    depth = cv2.cvtColor(cv2.applyColorMap(grey, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)
    depth[grey == 0] = 0
    panels = [
        maps.rgb[frame],
        depth,
        normal_image(maps.normal[frame]),
        colorize_semantic(maps.semantic[frame]),
        maps.skeleton[frame],
        heatmap_image(maps.heatmaps[frame], size),
    ]
    return np.concatenate(panels, axis=1)
