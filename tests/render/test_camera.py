"""CameraConfig: projection, GL matrices and the centre-crop intrinsics agree with each other."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.config import build_config
from dancegen.errors import ConfigError
from dancegen.render import CameraConfig

POINTS = np.array([[0.0, 1.0, 0.0], [0.5, 0.2, 0.3], [-0.7, 1.9, -0.4], [0.1, 0.0, 0.8]])


def test_look_at_point_projects_to_the_image_centre():
    camera = CameraConfig()
    assert np.allclose(camera.project(np.array([camera.look_at]), 512), [[255.5, 255.5]], atol=1e-3)


def test_gl_matrices_match_project():
    camera = CameraConfig(position=(0.4, 1.6, 4.0), look_at=(0.1, 0.8, 0.0), focal_px=1500.0)
    size = 320
    clip = np.c_[POINTS, np.ones(len(POINTS))] @ (camera.projection_matrix(size) @ camera.view_matrix()).T
    ndc = clip[:, :3] / clip[:, 3:]
    pixels = np.stack([(ndc[:, 0] + 1) / 2 * size - 0.5, (ndc[:, 1] + 1) / 2 * size - 0.5], axis=1)  # y flipped
    assert np.allclose(pixels, camera.project(POINTS, size), atol=1e-3)
    assert np.all(np.abs(ndc[:, 2]) < 1)  # inside the depth range


def test_intrinsics_match_project():
    camera = CameraConfig()
    cam = camera.to_camera(POINTS).astype(np.float64)
    homog = np.stack([cam[:, 0], -cam[:, 1], -cam[:, 2]], axis=1) @ camera.intrinsics(256).T
    assert np.allclose(homog[:, :2] / homog[:, 2:], camera.project(POINTS, 256), atol=1e-3)


def test_centre_crop_is_a_shift_and_scale_of_the_frame():
    """Cropping 840 px of a 1080 px-high frame = the 1080 crop shifted by 120 px; resizing scales edge coordinates."""
    crop = CameraConfig(crop_px=840)
    wide = CameraConfig(crop_px=1080)
    assert np.allclose(crop.project(POINTS, 840) + 120.0, wide.project(POINTS, 1080), atol=1e-2)
    half = (crop.project(POINTS, 840) + 0.5) / 2 - 0.5
    assert np.allclose(crop.project(POINTS, 420), half, atol=1e-3)


def test_depth_grows_along_the_optical_axis():
    camera = CameraConfig()
    axis = np.subtract(camera.look_at, camera.position)
    axis /= np.linalg.norm(axis)
    points = np.asarray(camera.position) + np.outer([1.0, 2.0, 4.0], axis)
    assert np.allclose(camera.depth(points), [1.0, 2.0, 4.0], atol=1e-5)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"crop_px": 2000}, "crop_px"),
        ({"look_at": [0.0, 1.5, 5.0]}, "coincide"),
        ({"up": [0.0, 0.0, 1.0], "position": [0.0, 0.0, 5.0], "look_at": [0.0, 0.0, 0.0]}, "parallel"),
        ({"near": 10.0, "far": 1.0}, "near"),
        ({"focal": 3.0}, "unknown config key"),
    ],
)
def test_bad_camera_configs_are_config_errors(override, message):
    with pytest.raises(ConfigError, match=message):
        build_config(CameraConfig, override, what="camera")
