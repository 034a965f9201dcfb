"""The AIST-like front camera (camera C09-like) and its centre crop, as matrices and a projection.

World frame (shared with ``dancegen.body``): y up, metres, floor at y = 0, the dancer faces +z, the camera
sits on +z looking toward −z.

The paper crops the centre 640×640 box of each C09 video frame. We model that as a pinhole camera with a
full sensor of ``image_width × image_height`` pixels (AIST: 1920×1080) from which the centred
``crop_px × crop_px`` square is cut and resized to the output ``size × size``. Cropping and resizing are an
affine map of the image plane, so instead of rendering the full frame and cutting it we fold them into
the intrinsics (exactly equivalent for a pinhole camera, and no pixels are rendered to be thrown away)::

    s  = size / crop_px
    fx' = focal_px · s                             (same for fy)
    cx' = (cx − (image_width − crop_px) / 2) · s   (pixel-edge coordinates; cy likewise with the height)

Pixel convention of every 2-D output (``project``, ``intrinsics``, joints2d): OpenCV's — x is the column,
y the row, the centre of pixel (i, j) is at (i, j), so the image spans [−0.5, size − 0.5].
Camera space is OpenGL's: x right, y up, the camera looks down −z; depth = −z (metres).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from dancegen.config import StrictModel

Vec3 = tuple[float, float, float]


class CameraConfig(StrictModel):
    """A static pinhole camera and the centre crop of its frame.

    Defaults frame a dancer of ~1.75 m standing at the origin to ~2/3 of the crop height with room for
    raised arms (2.25 m) and about ±1.3 m of sideways travel, like AIST's frontal camera C09.

    Args:
        image_width: full camera frame width in pixels (AIST videos: 1920).
        image_height: full camera frame height in pixels (AIST videos: 1080).
        focal_px: focal length in full-frame pixels (fx = fy).
        principal_point: (cx, cy) in full-frame pixel-edge coordinates; None = the frame centre.
        crop_px: side of the centred square cut from the full frame (full-frame pixels), then resized
            to the render size.
        position: camera centre in world metres.
        look_at: the world point the optical axis passes through.
        up: world direction that appears up in the image.
        near: near clipping distance in metres.
        far: far clipping distance in metres.
    """

    image_width: int = Field(default=1920, ge=16)
    image_height: int = Field(default=1080, ge=16)
    focal_px: float = Field(default=1600.0, gt=0)
    principal_point: tuple[float, float] | None = None
    crop_px: int = Field(default=840, ge=16)
    position: Vec3 = (0.0, 1.5, 5.0)
    look_at: Vec3 = (0.0, 1.0, 0.0)
    up: Vec3 = (0.0, 1.0, 0.0)
    near: float = Field(default=0.05, gt=0)
    far: float = Field(default=50.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> CameraConfig:
        if self.crop_px > min(self.image_width, self.image_height):
            raise ValueError(
                f"crop_px={self.crop_px} exceeds the {self.image_width}x{self.image_height} frame; "
                "use a crop no larger than the frame's shorter side"
            )
        if self.near >= self.far:
            raise ValueError(f"near={self.near} must be smaller than far={self.far}")
        forward = np.subtract(self.look_at, self.position)
        if np.linalg.norm(forward) < 1e-6:
            raise ValueError("camera position and look_at coincide; move look_at in front of the camera")
        if np.linalg.norm(np.cross(forward, self.up)) < 1e-6 * np.linalg.norm(forward) * np.linalg.norm(self.up):
            raise ValueError(f"camera up {self.up} is parallel to the viewing direction; pick another up vector")
        return self

    # --- extrinsics -------------------------------------------------------------------------------------
    def view_matrix(self) -> np.ndarray:
        """(4, 4) float64 world → camera (OpenGL camera space: x right, y up, looking down −z)."""
        eye = np.asarray(self.position, np.float64)
        forward = np.asarray(self.look_at, np.float64) - eye
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, self.up)
        right /= np.linalg.norm(right)
        true_up = np.cross(right, forward)
        view = np.eye(4)
        view[0, :3], view[1, :3], view[2, :3] = right, true_up, -forward
        view[:3, 3] = -view[:3, :3] @ eye
        return view

    # --- intrinsics of the cropped, resized output ------------------------------------------------------
    def edge_intrinsics(self, size: int) -> tuple[float, float, float]:
        """(f, cx, cy) of the ``size``² output in pixel-edge coordinates (pixel i spans [i, i+1))."""
        cx, cy = self.principal_point or (self.image_width / 2.0, self.image_height / 2.0)
        scale = size / self.crop_px
        return (
            self.focal_px * scale,
            (cx - (self.image_width - self.crop_px) / 2.0) * scale,
            (cy - (self.image_height - self.crop_px) / 2.0) * scale,
        )

    def intrinsics(self, size: int) -> np.ndarray:
        """(3, 3) float64 K of the ``size``² output, OpenCV pixel-centre convention, for a camera looking
        down +z with y down (i.e. apply to (x, −y, −z) of OpenGL camera-space points)."""
        f, cx, cy = self.edge_intrinsics(size)
        return np.array([[f, 0.0, cx - 0.5], [0.0, f, cy - 0.5], [0.0, 0.0, 1.0]])

    def projection_matrix(self, size: int) -> np.ndarray:
        """(4, 4) float64 camera → clip space matching :meth:`intrinsics`.

        The y axis is flipped so that row 0 of a framebuffer read-back is the top image row (no flip
        copy on read-back); this reverses triangle winding, so renderers must not cull faces.
        """
        f, cx, cy = self.edge_intrinsics(size)
        n, fa = self.near, self.far
        proj = np.zeros((4, 4))
        proj[0, 0], proj[0, 2] = 2.0 * f / size, 1.0 - 2.0 * cx / size
        proj[1, 1], proj[1, 2] = -2.0 * f / size, 1.0 - 2.0 * cy / size
        proj[2, 2], proj[2, 3] = -(fa + n) / (fa - n), -2.0 * fa * n / (fa - n)
        proj[3, 2] = -1.0
        return proj

    # --- projecting points ------------------------------------------------------------------------------
    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world metres → (..., 3) float32 OpenGL camera-space metres."""
        view = self.view_matrix()
        points = np.asarray(points, np.float64)
        return (points @ view[:3, :3].T + view[:3, 3]).astype(np.float32)

    def depth(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world metres → (...,) float32 distance along the optical axis (the depth map's unit)."""
        return -self.to_camera(points)[..., 2]

    def project(self, points: np.ndarray, size: int) -> np.ndarray:
        """(..., 3) world metres → (..., 2) float32 pixel coordinates (x = column, y = row) in the
        ``size``² output, OpenCV pixel-centre convention. Points behind the camera give meaningless
        coordinates; check :meth:`depth` > 0 where that matters."""
        cam = self.to_camera(points).astype(np.float64)
        f, cx, cy = self.edge_intrinsics(size)
        inv_depth = 1.0 / np.maximum(-cam[..., 2], 1e-9)
        x = f * cam[..., 0] * inv_depth + cx - 0.5
        y = -f * cam[..., 1] * inv_depth + cy - 0.5
        return np.stack([x, y], axis=-1).astype(np.float32)
