"""Gaussian joint heatmaps from projected 2-D joints (M2PEnc's keypoint-heatmap target, paper §3.2).

Heatmap j of a frame is exp(−|p − q_j|² / 2σ²) over heatmap pixels p, where q_j is joint j's image position
mapped to heatmap pixels (pixel centres aligned: q = (x + 0.5) · h / H − 0.5). The peak is 1 at the joint;
σ is given in heatmap pixels. The Gaussian is separable, so a frame costs two small exponentials and one
outer product per joint, computed for all frames and joints at once (for float16 output the product is
taken in float16 by torch: ≤ 1 float16 ulp from rounding the float32 product).
"""

from __future__ import annotations

import numpy as np

from dancegen.render.context import RenderError


def joint_heatmaps(
    points2d: np.ndarray,
    image_size: int,
    heatmap_size: int,
    sigma: float,
    dtype: np.dtype | type = np.float16,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Gaussian heatmaps.

    Args:
        points2d: (N, J, 2) joint positions in image pixels (x = column, y = row, pixel centres at integers).
        image_size: side of the image the points live in (pixels).
        heatmap_size: side h = w of the heatmaps (e.g. the 64×64 latent, or image_size for full resolution).
        sigma: Gaussian standard deviation in heatmap pixels.
        dtype: output dtype (float16 default; float32 for exact maths).
        out: optional (N, J, h, w) array to fill.

    Returns:
        (N, J, h, w) heatmaps in [0, 1]; joints that are not finite give all-zero maps.
    """
    points2d = np.asarray(points2d, np.float32)
    if points2d.ndim != 3 or points2d.shape[2] != 2:
        raise RenderError(f"points2d must be (N, J, 2) pixels, got shape {points2d.shape}")
    if heatmap_size < 1 or image_size < 1:
        raise RenderError(f"heatmap_size ({heatmap_size}) and image_size ({image_size}) must be positive")
    if not sigma > 0:
        raise RenderError(f"heatmap sigma must be positive (heatmap pixels), got {sigma}")
    n, joints = points2d.shape[:2]
    scale = heatmap_size / image_size
    centres = (points2d + 0.5) * scale - 0.5  # (N, J, 2) heatmap pixels
    centres = np.where(np.isfinite(centres), centres, np.float32(1e9))  # far away → exp underflows to 0
    grid = np.arange(heatmap_size, dtype=np.float32)
    inv = np.float32(-0.5 / (sigma * sigma))
    gx = np.exp((grid - centres[..., 0:1]) ** 2 * inv)  # (N, J, w)
    gy = np.exp((grid - centres[..., 1:2]) ** 2 * inv)  # (N, J, h)
    shape = (n, joints, heatmap_size, heatmap_size)
    if out is None:
        out = np.empty(shape, dtype)
    elif out.shape != shape:
        raise RenderError(f"out must be {shape}, got {out.shape}")
    if out.dtype == np.float16:
        # numpy converts to float16 one element at a time (~16 ns each); torch multiplies float16 with SIMD.
        # One thread: for these sizes torch's OpenMP pool costs ~5x more CPU than it saves (spin-waits).
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            gy16, gx16 = torch.from_numpy(gy).half(), torch.from_numpy(gx).half()
            torch.mul(gy16[..., :, None], gx16[..., None, :], out=torch.from_numpy(out))
        finally:
            torch.set_num_threads(threads)
    else:
        np.multiply(gy[..., :, None], gx[..., None, :], out=out, casting="same_kind")
    return out
