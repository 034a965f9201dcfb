"""All guidance renders of a posed SMPL sequence (paper §3.1, Fig. 1a): depth, normal, semantic parts, skeleton,
joint heatmaps and the textured-avatar target frame.

Depth, normal, part labels and the avatar come from one OpenGL pass per frame (``rasterizer``); skeleton
image and heatmaps are 2-D, drawn from the projected joints (``skeleton``, ``heatmaps``). ``render`` gives
the maps as arrays (float depth and normals); ``render_streams`` gives their 8-bit images as encoder-ready
video for SDGPip (``streams``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dancegen.render.appearance import Appearance
from dancegen.render.body_mesh import BodyMesh
from dancegen.render.camera import CameraConfig
from dancegen.render.colorize import colorize_semantic, depth_image, normal_image
from dancegen.render.context import RenderError
from dancegen.render.heatmaps import joint_heatmaps
from dancegen.render.rasterizer import BodyRasterizer
from dancegen.render.skeleton import SKELETON_POINTS, draw_skeleton, keypoint_indices, resolve_joint_set
from dancegen.render.streams import GuidanceStreams, depth_to_yuv420, rgba_to_yuv420

NUM_JOINTS = 24


@dataclass
class GuidanceMaps:
    """Per-frame renders of N frames at H = W = size; heatmaps at h = w = heatmap_size.

    Attributes:
        depth: (N, H, W) float32 metres along the optical axis, 0 = background.
        normal: (N, H, W, 3) float16 camera-space unit normals (x right, y up, z toward the camera), 0 = background.
        semantic: (N, H, W) uint8 labels, 0 = background, 1..24 = SMPL part + 1 (see ``colorize_semantic``).
        skeleton: (N, H, W, 3) uint8 OpenPose-style skeleton image.
        heatmaps: (N, J, h, w) float16 Gaussian joint heatmaps in [0, 1], channels = ``joint_names``.
        rgb: (N, H, W, 3) uint8 textured avatar over the background (the target frame).
        mask: (N, H, W) bool body silhouette.
        joints2d: (N, 24, 2) float32 projected SMPL joints, pixels (x = column, y = row).
        keypoints2d: (N, 20, 2) float32 projected ``SKELETON_POINTS`` (OpenPose-18 + feet), pixels.
        joint_names: names of the heatmap channels.
    """

    depth: np.ndarray
    normal: np.ndarray
    semantic: np.ndarray
    skeleton: np.ndarray
    heatmaps: np.ndarray
    rgb: np.ndarray
    mask: np.ndarray
    joints2d: np.ndarray
    keypoints2d: np.ndarray
    joint_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.depth)

    @property
    def heatmaps_uint8(self) -> np.ndarray:
        """(N, J, h, w) uint8 heatmaps, round(255 · value) (the shard format)."""
        return _float16_to_uint8_table()[self.heatmaps.view(np.uint16)]

    def images(self) -> dict[str, np.ndarray]:
        """The maps as (N, H, W, 3) uint8 RGB streams: rgb, depth (grey, near bright), normal, semantic, skeleton."""
        return {
            "rgb": self.rgb,
            "depth": depth_image(self.depth),
            "normal": normal_image(self.normal),
            "semantic": colorize_semantic(self.semantic),
            "skeleton": self.skeleton,
        }


@functools.cache
def _float16_to_uint8_table() -> np.ndarray:
    """(65536,) uint8: round(255 · clip(x, 0, 1)) for every float16 bit pattern x (a table lookup is ~10×
    faster than numpy's element-wise float16 conversion)."""
    values = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
    return np.round(np.clip(np.nan_to_num(values), 0.0, 1.0) * 255.0).astype(np.uint8)


class GuidanceRenderer:
    """Renders every guidance map of posed SMPL sequences; holds one GL rasteriser (reuse it).

    Args:
        body: the SMPL model (``dancegen.body.load_smpl``) or a prepared :class:`BodyMesh`.
        size: output side in pixels (the camera's centre crop is resized to it).
        camera: the camera (default: the AIST-like front camera, ``CameraConfig()``).
        heatmap_size: heatmap side; None = size // 8 (the latent grid, e.g. 64 for 512).
        heatmap_sigma: heatmap Gaussian sigma in heatmap pixels.
        joint_set: heatmap joints: "smpl24", "openpose18" or a sequence of names from ``KEYPOINT_NAMES``.
    """

    def __init__(
        self,
        body,
        size: int = 512,
        camera: CameraConfig | None = None,
        heatmap_size: int | None = None,
        heatmap_sigma: float = 1.5,
        joint_set: str | Sequence[str] = "smpl24",
    ):
        self.mesh = body if isinstance(body, BodyMesh) else BodyMesh.from_model(body)
        self.size = int(size)
        self.camera = camera or CameraConfig()
        self.heatmap_size = int(heatmap_size) if heatmap_size is not None else max(1, self.size // 8)
        if self.heatmap_size < 1:
            raise RenderError(f"heatmap_size must be positive, got {heatmap_size}")
        if not heatmap_sigma > 0:
            raise RenderError(f"heatmap_sigma must be positive (heatmap pixels), got {heatmap_sigma}")
        self.heatmap_sigma = float(heatmap_sigma)
        self.joint_names = resolve_joint_set(joint_set)
        self._heatmap_ids = keypoint_indices(self.joint_names)
        self._skeleton_ids = keypoint_indices(SKELETON_POINTS)
        self._landmark_ids = self.mesh.landmark_ids()

    @functools.cached_property
    def rasterizer(self) -> BodyRasterizer:
        """The GL rasteriser of :meth:`render` (float depth and normals), made on first use."""
        return BodyRasterizer(self.mesh, self.size, self.camera)

    @functools.cached_property
    def stream_rasterizer(self) -> BodyRasterizer:
        """The GL rasteriser of :meth:`render_streams` (the normal image as YUV planes), made on first use."""
        return BodyRasterizer(self.mesh, self.size, self.camera, normals="yuv")

    def keypoints3d(self, vertices: np.ndarray, joints: np.ndarray) -> np.ndarray:
        """(N, V, 3) vertices + (N, 24, 3) joints → (N, 29, 3) world positions of ``KEYPOINT_NAMES``."""
        return np.concatenate([joints, vertices[:, self._landmark_ids]], axis=1)

    def allocate(self, frames: int) -> GuidanceMaps:
        """Empty maps for ``frames`` frames, to pass as ``out`` to :meth:`render` again and again."""
        raster = self.rasterizer.allocate(frames)
        hw = (frames, self.size, self.size)
        return GuidanceMaps(
            depth=raster["depth"],
            normal=raster["normal"],
            semantic=raster["semantic"],
            skeleton=np.empty((*hw, 3), np.uint8),
            heatmaps=np.empty((frames, len(self.joint_names), self.heatmap_size, self.heatmap_size), np.float16),
            rgb=raster["rgb"],
            mask=np.empty(hw, bool),
            joints2d=np.empty((frames, NUM_JOINTS, 2), np.float32),
            keypoints2d=np.empty((frames, len(SKELETON_POINTS), 2), np.float32),
            joint_names=self.joint_names,
        )

    def render(self, posed, appearance: Appearance, out: GuidanceMaps | None = None) -> GuidanceMaps:
        """All maps of ``posed`` (a ``dancegen.body.PosedBody``: vertices (N, V, 3), joints (N, 24, 3)).

        ``out``: maps from :meth:`allocate` (or an earlier call) with room for N frames, overwritten in place —
        reusing them saves the page faults of ~4.5 MB of fresh memory per 512² frame. The result then shares
        their memory (its arrays are the first N frames of ``out``'s).
        """
        vertices, joints = self._posed_arrays(posed)
        n = len(vertices)
        if out is None:
            out = self.allocate(n)
        elif len(out) < n or out.heatmaps.shape[1:] != (len(self.joint_names), self.heatmap_size, self.heatmap_size):
            raise RenderError(f"out maps hold {len(out)} frames of another shape; use allocate({n}) of this renderer")
        maps = GuidanceMaps(**{name: value[:n] if isinstance(value, np.ndarray) else value
                               for name, value in vars(out).items()})  # fmt: skip
        raster = {"depth": maps.depth, "normal": maps.normal, "semantic": maps.semantic, "rgb": maps.rgb}
        self.rasterizer.render_sequence(vertices, appearance, out=raster)
        np.greater(maps.semantic, 0, out=maps.mask)

        points2d, visible2d = self._project(vertices, joints)
        maps.joints2d[...] = points2d[:, :NUM_JOINTS]
        maps.keypoints2d[...] = points2d[:, self._skeleton_ids]
        draw_skeleton(visible2d[:, self._skeleton_ids], self.size, out=maps.skeleton)
        self._heatmaps(visible2d, out=maps.heatmaps)
        return maps

    def allocate_streams(self, frames: int) -> GuidanceStreams:
        """Empty streams for ``frames`` frames, to pass as ``out`` to :meth:`render_streams` again and again."""
        return GuidanceStreams.allocate(frames, self.size, len(self.joint_names), self.heatmap_size)

    def render_streams(self, posed, appearance: Appearance, out: GuidanceStreams | None = None) -> GuidanceStreams:
        """The images of :meth:`GuidanceMaps.images` as encoder-ready video, plus heatmaps and 2-D joints.

        Made without float images (see ``dancegen.render.streams``); ``out`` as in :meth:`render`: streams
        from :meth:`allocate_streams` with room for N frames, overwritten; the result shares their memory.
        """
        vertices, joints = self._posed_arrays(posed)
        n = len(vertices)
        if out is None:
            out = self.allocate_streams(n)
        elif len(out) < n or out.heatmaps.shape[1:] != (len(self.joint_names), self.heatmap_size, self.heatmap_size):
            raise RenderError(f"out streams hold {len(out)} frames of another shape; use allocate_streams({n})")
        out = out.head(n)
        streams = out.streams
        raster = {"depth": out.depth, "normal": streams["normal"].frames, "semantic": out.semantic, "rgb": out.rgba}
        self.stream_rasterizer.render_sequence(vertices, appearance, out=raster)
        rgba_to_yuv420(out.rgba, out=streams["rgb"].frames)
        depth_to_yuv420(out.depth, out=streams["depth"].frames)

        points2d, visible2d = self._project(vertices, joints)
        out.joints2d[...] = points2d[:, :NUM_JOINTS]
        draw_skeleton(visible2d[:, self._skeleton_ids], self.size, out=out.skeleton, labels=True)
        heatmaps = self._heatmaps(visible2d, out=np.empty(out.heatmaps.shape, np.float16))
        np.take(_float16_to_uint8_table(), heatmaps.view(np.uint16), out=out.heatmaps, mode="clip")
        return out

    def _posed_arrays(self, posed) -> tuple[np.ndarray, np.ndarray]:
        """(N, V, 3) float32 vertices and (N, 24, 3) float32 joints of a posed body, checked."""
        vertices = np.asarray(posed.vertices, np.float32)
        joints = np.asarray(posed.joints, np.float32)
        n = len(vertices)
        if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or len(joints) != n:
            raise RenderError(f"joints must be (N, 24, 3) = ({n}, 24, 3) to match the vertices, got {joints.shape}")
        return vertices, joints

    def _project(self, vertices: np.ndarray, joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 29, 2) pixel positions of ``KEYPOINT_NAMES``, and the same with points behind the camera NaN."""
        keypoints = self.keypoints3d(vertices, joints)  # (N, 29, 3)
        points2d = self.camera.project(keypoints, self.size)  # (N, 29, 2)
        behind = self.camera.depth(keypoints) <= self.camera.near  # (N, 29)
        return points2d, np.where(behind[..., None], np.nan, points2d)

    def _heatmaps(self, visible2d: np.ndarray, out: np.ndarray) -> np.ndarray:
        """(N, J, h, w) float16 heatmaps of the configured joints into ``out``."""
        ids = self._heatmap_ids
        return joint_heatmaps(visible2d[:, ids], self.size, self.heatmap_size, self.heatmap_sigma, out=out)


_RENDERERS: dict[tuple, tuple[object, GuidanceRenderer]] = {}


def render_guidance(
    posed,
    body,
    appearance: Appearance,
    camera: CameraConfig | None = None,
    size: int = 512,
    heatmap_size: int | None = None,
    heatmap_sigma: float = 1.5,
    joint_set: str | Sequence[str] = "smpl24",
) -> GuidanceMaps:
    """One-call form of :class:`GuidanceRenderer` (see it for the arguments); the renderer of the last
    settings is kept, so repeated calls with the same ``body`` object do not rebuild GL state."""
    camera = camera or CameraConfig()
    names = joint_set if isinstance(joint_set, str) else tuple(joint_set)
    key = (id(body), size, camera.model_dump_json(), heatmap_size, heatmap_sigma, names)
    if key not in _RENDERERS:
        _RENDERERS.clear()
        renderer = GuidanceRenderer(body, size, camera, heatmap_size, heatmap_sigma, joint_set)
        _RENDERERS[key] = (body, renderer)  # holding ``body`` keeps its id from being reused
    return _RENDERERS[key][1].render(posed, appearance)
