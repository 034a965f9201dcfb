"""Guidance maps rendered straight into H.264-ready planar video: SDGPip's map streams, with no float images.

:meth:`GuidanceRenderer.render` gives float depth and normals for analysis; SDGPip stores only the 8-bit
images of :meth:`GuidanceMaps.images`: the avatar, depth and normal images as H.264 (the normal image
yuv444p; the avatar and the grey depth yuv420p, which loses nothing for grey: ≈ 30 % less x264 time than
yuv444p), the part and skeleton maps as their label images (palette images, stored losslessly). Going
through float maps, RGB images and FFmpeg's colour conversion cost more than rendering itself, so
:meth:`GuidanceRenderer.render_streams` makes the video streams directly in BT.601 limited-range YUV
(``dancegen.video``):

- normal: the fragment shader writes the normal image (n + 1) / 2 as Y, U, V planes (``BodyRasterizer``
  with ``normals="yuv"``), read back straight into the yuv444p frames;
- depth: the grey level of ``depth_image`` through a grey → Y table, U = V = 128 (yuv420p);
- rgb: the avatar read back as RGBA, converted to I420 by OpenCV.

Each stream equals ``rgb_to_planar`` of the corresponding ``GuidanceMaps.images()`` image to within
±1 (rounding; the normal image is computed from the float32 normal rather than its float16 copy); the
``semantic`` and ``skeleton`` labels through ``SEMANTIC_COLORS`` / ``SKELETON_PALETTE`` are those images.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from dancegen.render.colorize import depth_grey
from dancegen.video import PlanarVideo, rgb_to_yuv

STREAM_FORMATS = {"rgb": "yuv420p", "depth": "yuv420p", "normal": "yuv444p"}


@dataclass
class GuidanceStreams:
    """N frames of every guidance stream at H = W = size, as the encoder takes them.

    Attributes:
        streams: name → :class:`PlanarVideo` for rgb, depth (yuv420p) and normal (yuv444p), in
            ``STREAM_FORMATS``.
        rgba: (N, H, W, 4) uint8 the avatar frames (alpha 255), e.g. for a reference image.
        depth: (N, H, W) float32 metres along the optical axis, 0 = background.
        semantic: (N, H, W) uint8 part labels, 0 = background, 1..24 = SMPL part + 1 (rows of ``SEMANTIC_COLORS``).
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
def _grey_to_y() -> np.ndarray:
    """(256,) uint8 grey level → BT.601 limited-range Y."""
    return np.ascontiguousarray(rgb_to_yuv(np.repeat(np.arange(256)[:, None], 3, axis=1))[:, 0])


def depth_to_yuv420(depth: np.ndarray, out: np.ndarray) -> None:
    """(N, H, W) float32 metres → ``out`` (N, H·3/2, W) yuv420p frames of ``depth_image``'s grey image."""
    to_y = _grey_to_y()
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
