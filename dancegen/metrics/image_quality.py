"""SSIM (Wang et al. 2004) and PSNR between generated and reference frames (paper §4.2, tables 1 and 3).

The numbers equal scikit-image's, frame by frame::

    structural_similarity(gen, ref, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                          data_range=255, channel_axis=-1)
    peak_signal_noise_ratio(ref, gen, data_range=255)

SSIM of one frame is the mean, over the three channels and the pixels at least 5 px from the border, of
``((2·μx·μy + C1)(2·σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2))`` where the local moments come from an
11-tap Gaussian window (σ = 1.5, scipy's truncate 3.5), C1 = (0.01·255)², C2 = (0.03·255)².

Fast path: with s = x + y and d = x − y, only four maps per channel need filtering (s, d, s², d²):
μx² + μy² = (E[s]² + E[d]²)/2, 2μxμy = (E[s]² − E[d]²)/2, σx² + σy² = (E[s²] + E[d²] − E[s]² − E[d]²)/2 and
2σxy = (E[s²] − E[d²] − E[s]² + E[d]²)/2. The maps of a chunk of frames are stacked into one tall float32
image and filtered by a single ``cv2.sepFilter2D`` call (seams between maps fall inside the discarded
5-px border); the rest is in-place float32 numpy on reused buffers. s is centred (s − 256) to keep the
float32 cancellation error below 1e-8. Measured on this 2-core CPU (512² frames): a depthwise
``torch.nn.functional.conv2d`` of the same maps took ≈ 100 ms per frame against ≈ 12 ms for OpenCV, and
torch's multi-threaded element-wise ops slowed 5× when other processes share the cores, where numpy's
single-threaded ones did not — hence OpenCV + numpy here.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from dancegen.metrics.inputs import check_clip_pairs, check_frame_pair
from dancegen.metrics.report import MetricResult

DATA_RANGE = 255.0
GAUSSIAN_SIGMA = 1.5
TRUNCATE = 3.5  # scipy.ndimage.gaussian_filter's default, used by scikit-image
RADIUS = int(TRUNCATE * GAUSSIAN_SIGMA + 0.5)  # 5 → an 11-tap window
WINDOW = 2 * RADIUS + 1
C1 = (0.01 * DATA_RANGE) ** 2
C2 = (0.03 * DATA_RANGE) ** 2
_CHUNK_ELEMENTS = 1 << 20  # frames per chunk ≈ this / (H·W·3): one 512² frame, ≈ 35 MB of buffers


def gaussian_window(sigma: float = GAUSSIAN_SIGMA, radius: int = RADIUS) -> np.ndarray:
    """Normalised 1-D Gaussian taps ``(2·radius+1,)`` float32, as scipy.ndimage builds them."""
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return (taps / taps.sum()).astype(np.float32)


class _Workspace:
    """Buffers reused across chunks (fresh large allocations page-fault on every call)."""

    def __init__(self, frames: int, height: int, width: int) -> None:
        inner = (frames, 3, height - 2 * RADIUS, width - 2 * RADIUS)
        self.maps = np.empty((frames, 4, 3, height, width), dtype=np.float32)  # s−256, d, (s−256)², d²
        self.filtered = np.empty((frames * 4 * 3 * height, width), dtype=np.float32)
        self.lum = np.empty(inner, dtype=np.float32)
        self.d_mean_sq = np.empty(inner, dtype=np.float32)
        self.ratio = np.empty(inner, dtype=np.float32)


def _ssim_psnr_chunk(
    generated: np.ndarray, reference: np.ndarray, work: _Workspace, window: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SSIM and PSNR of ``(n, H, W, 3)`` uint8 frame pairs → two ``(n,)`` float64 arrays."""
    n, h, w, _ = generated.shape
    x = generated.transpose(0, 3, 1, 2)  # (n, 3, H, W) uint8 views
    y = reference.transpose(0, 3, 1, 2)
    maps = work.maps[:n]
    s, d, s_sq, d_sq = (maps[:, i] for i in range(4))  # each (n, 3, H, W)
    np.add(x, y, out=s, dtype=np.float32)
    s -= 256.0
    np.subtract(x, y, out=d, dtype=np.float32)
    np.multiply(s, s, out=s_sq)
    np.multiply(d, d, out=d_sq)
    # d² holds exact integers (≤ 65025 < 2²⁴): summed in float64 the squared error is exact.
    mse = d_sq.sum(axis=(1, 2, 3), dtype=np.float64) / (3 * h * w)
    with np.errstate(divide="ignore"):
        psnr = 10.0 * np.log10(DATA_RANGE**2 / mse)

    out = work.filtered[: n * 4 * 3 * h]
    cv2.sepFilter2D(maps.reshape(-1, w), cv2.CV_32F, window, window, dst=out, borderType=cv2.BORDER_REFLECT)
    moments = out.reshape(n, 4, 3, h, w)[..., RADIUS : h - RADIUS, RADIUS : w - RADIUS]
    s_mean, d_mean, s_sq_mean, d_sq_mean = (moments[:, i] for i in range(4))  # (n, 3, H−10, W−10) views
    lum, d_mean_sq, ratio = work.lum[:n], work.d_mean_sq[:n], work.ratio[:n]
    np.multiply(d_mean, d_mean, out=d_mean_sq)
    np.add(s_mean, 256.0, out=lum)
    lum *= lum
    lum += 2 * C1  # E[s]² + 2·C1 with the true (uncentred) E[s]
    np.multiply(s_mean, s_mean, out=ratio)
    s_sq_mean -= ratio
    s_sq_mean += 2 * C2  # var(s) + 2·C2
    d_sq_mean -= d_mean_sq  # var(d)
    np.subtract(s_sq_mean, d_sq_mean, out=ratio)  # 2·(2σxy + C2)
    s_sq_mean += d_sq_mean  # 2·(σx² + σy² + C2)
    np.subtract(lum, d_mean_sq, out=s_mean)  # 2·(2μxμy + C1)
    lum += d_mean_sq  # 2·(μx² + μy² + C1)
    ratio *= s_mean
    s_sq_mean *= lum
    ratio /= s_sq_mean
    ssim = ratio.mean(axis=(1, 2, 3), dtype=np.float64)
    return ssim, psnr


def ssim_psnr(generated: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame SSIM and PSNR (dB) of ``(N, H, W, 3)`` uint8 frames (H, W ≥ 11) → two ``(N,)`` float64.

    PSNR of an identical frame pair is ``inf`` (as in scikit-image).
    """
    generated, reference = check_frame_pair(generated, reference, min_size=WINDOW)
    n, h, w, _ = generated.shape
    chunk = int(np.clip(_CHUNK_ELEMENTS // (h * w * 3), 1, n))
    work = _Workspace(chunk, h, w)
    window = gaussian_window()
    parts = [
        _ssim_psnr_chunk(generated[start : start + chunk], reference[start : start + chunk], work, window)
        for start in range(0, n, chunk)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def ssim(generated: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-frame SSIM ``(N,)`` of ``(N, H, W, 3)`` uint8 frames (see the module docstring for the setting)."""
    return ssim_psnr(generated, reference)[0]


def psnr(generated: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-frame PSNR in dB ``(N,)`` with data range 255 (``inf`` where the frames are identical)."""
    generated, reference = check_frame_pair(generated, reference)
    n = generated.shape[0]
    diff = generated.reshape(n, -1).astype(np.int32) - reference.reshape(n, -1)
    mse = np.einsum("ij,ij->i", diff, diff, dtype=np.int64) / diff.shape[1]
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(DATA_RANGE**2 / mse)


def ssim_psnr_metrics(
    generated: np.ndarray | Sequence[np.ndarray], reference: np.ndarray | Sequence[np.ndarray]
) -> list[MetricResult]:
    """SSIM and PSNR averaged over all frames, as two results (``[ssim, psnr]``).

    Takes one ``(N, H, W, 3)`` pair or paired lists of clips (clip i of each list has the same shape).
    """
    per_clip = [ssim_psnr(g, r) for g, r in check_clip_pairs(generated, reference, min_size=WINDOW)]
    ssim_values = np.concatenate([clip[0] for clip in per_clip])
    psnr_values = np.concatenate([clip[1] for clip in per_clip])
    frames = int(len(ssim_values))
    return [
        MetricResult.ok(
            "ssim",
            float(ssim_values.mean()),
            frames=frames,
            window=f"gaussian sigma={GAUSSIAN_SIGMA} {WINDOW}x{WINDOW}",
            data_range=int(DATA_RANGE),
        ),
        MetricResult.ok(
            "psnr",
            float(psnr_values.mean()),
            frames=frames,
            data_range=int(DATA_RANGE),
            identical_frames=int(np.isinf(psnr_values).sum()),
        ),
    ]
