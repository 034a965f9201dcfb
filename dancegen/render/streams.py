"""Guidance maps rendered straight into H.264-ready planar video: SDGPip's map streams, with no float images.

:meth:`GuidanceRenderer.render` gives float depth and normals for analysis; SDGPip stores only the 8-bit
images of :meth:`GuidanceMaps.images` as H.264 (yuv444p; the avatar and the grey depth yuv420p, which loses
nothing for grey: ≈ 30 % less x264 time than yuv444p). Going through float maps,
RGB images and FFmpeg's colour conversion cost more than rendering itself, so
:meth:`GuidanceRenderer.render_streams` makes the same images directly in BT.601 limited-range YUV
(``dancegen.video``):

- normal: the fragment shader writes the normal image (n + 1) / 2 as Y, U, V planes (``BodyRasterizer``
  with ``normals="yuv"``), read back straight into the yuv444p frames;
- semantic and skeleton: label images (0 = background) through their palettes converted to YUV once: three
  table lookups per frame;
- depth: the grey level of ``depth_image`` through a grey → Y table, U = V = 128 (yuv420p);
- rgb: the avatar read back as RGBA, converted to I420 by OpenCV.

Each stream equals ``rgb_to_planar`` of the corresponding ``GuidanceMaps.images()`` image to within
±1 (rounding; the normal image is computed from the float32 normal rather than its float16 copy).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from dancegen.render.colorize import SEMANTIC_COLORS, depth_grey
from dancegen.render.skeleton import SKELETON_PALETTE
from dancegen.video import PlanarVideo, rgb_to_yuv

STREAM_FORMATS = {"rgb": "yuv420p", "depth": "yuv420p", "normal": "yuv444p", "semantic": "yuv444p",
                  "skeleton": "yuv444p"}  # fmt: skip


@dataclass
class GuidanceStreams:
    """N frames of every guidance stream at H = W = size, as the encoder takes them.

    Attributes:
        streams: name → :class:`PlanarVideo` for rgb, depth (yuv420p) and normal, semantic, skeleton
            (yuv444p), in ``STREAM_FORMATS``.
        rgba: (N, H, W, 4) uint8 the avatar frames (alpha 255), e.g. for a reference image.
        depth: (N, H, W) float32 metres along the optical axis, 0 = background.
        semantic: (N, H, W) uint8 part labels, 0 = background, 1..24 = SMPL part + 1.
        skeleton: (N, H, W) uint8 skeleton labels (rows of ``SKELETON_PALETTE``).
        heatmaps: (N, J, h, w) uint8 Gaussian joint heatmaps, round(255 · value).
        joints2d: (N, 24, 2) float32 projected SMPL joints, pixels (x = column, y = row).
    """

    streams: dict[str, PlanarVideo]
    rgba: np.ndarray
    depth: np.ndarray
    semantic: np.ndarray
    skeleton: np.ndarray
    heatmaps: np.ndarray
    joints2d: np.ndarray

    def __len__(self) -> int:
        return len(self.rgba)

    @classmethod
    def allocate(cls, frames: int, size: int, joints: int, heatmap_size: int) -> GuidanceStreams:
        """Empty streams for ``frames`` frames (reuse them: fresh 512² buffers cost ~6 MB of page faults a frame)."""
        hw = (frames, size, size)
        shapes = {"yuv420p": (frames, size * 3 // 2, size), "yuv444p": (frames, 3, size, size)}
        return cls(
            streams={name: PlanarVideo(np.empty(shapes[fmt], np.uint8), fmt) for name, fmt in STREAM_FORMATS.items()},
            rgba=np.empty((*hw, 4), np.uint8),
            depth=np.empty(hw, np.float32),
            semantic=np.empty(hw, np.uint8),
            skeleton=np.empty(hw, np.uint8),
            heatmaps=np.empty((frames, joints, heatmap_size, heatmap_size), np.uint8),
            joints2d=np.empty((frames, 24, 2), np.float32),  # SMPL's 24 joints
        )

    def head(self, n: int) -> GuidanceStreams:
        """The first ``n`` frames (views sharing this object's memory)."""
        streams = {name: PlanarVideo(video.frames[:n], video.pix_fmt) for name, video in self.streams.items()}
        arrays = {name: getattr(self, name)[:n] for name in ("rgba", "depth", "semantic", "skeleton", "heatmaps")}
        return GuidanceStreams(streams=streams, joints2d=self.joints2d[:n], **arrays)


@functools.cache
def _yuv_tables(palette: str) -> np.ndarray:
    """(3, 256) uint8 label → Y, U, V tables of a palette ("semantic", "skeleton") or of grey levels ("grey")."""
    colors = {"semantic": SEMANTIC_COLORS, "skeleton": SKELETON_PALETTE}.get(palette)
    if colors is None:
        colors = np.repeat(np.arange(256)[:, None], 3, axis=1)
    tables = np.zeros((256, 3), np.uint8)
    tables[: len(colors)] = rgb_to_yuv(colors)
    return np.ascontiguousarray(tables.T)


def labels_to_yuv444(labels: np.ndarray, palette: str, out: np.ndarray) -> None:
    """(N, H, W) uint8 labels → ``out`` (N, 3, H, W) yuv444p planes of their ``palette`` colours."""
    tables = _yuv_tables(palette)
    for frame, planes in zip(labels, out, strict=True):
        for table, plane in zip(tables, planes, strict=True):
            cv2.LUT(frame, table, dst=plane)


def depth_to_yuv420(depth: np.ndarray, out: np.ndarray) -> None:
    """(N, H, W) float32 metres → ``out`` (N, H·3/2, W) yuv420p frames of ``depth_image``'s grey image."""
    to_y = _yuv_tables("grey")[0]
    height = depth.shape[1]
    for frame, planes in zip(depth, out, strict=True):
        luma = planes[:height]
        depth_grey(frame, out=luma)
        cv2.LUT(luma, to_y, dst=luma)
        planes[height:] = 128  # grey has no chroma


def rgba_to_yuv420(rgba: np.ndarray, out: np.ndarray) -> None:
    """(N, H, W, 4) uint8 RGBA → ``out`` (N, H·3/2, W) yuv420p (I420) frames."""
    for frame, planes in zip(rgba, out, strict=True):
        cv2.cvtColor(frame, cv2.COLOR_RGBA2YUV_I420, dst=planes)
