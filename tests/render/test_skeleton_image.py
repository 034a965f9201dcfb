"""Skeleton image and the SMPL → OpenPose-18 keypoint mapping."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.body.smpl_model import SMPL_JOINT_NAMES
from dancegen.render import KEYPOINT_NAMES, LIMBS, OPENPOSE18, SKELETON_POINTS, RenderError, draw_skeleton
from dancegen.render.skeleton import POINT_COLORS, resolve_joint_set


def test_openpose_mapping_names_real_keypoints():
    assert len(OPENPOSE18) == 18 and len(set(OPENPOSE18)) == 18
    assert set(SKELETON_POINTS) <= set(KEYPOINT_NAMES)
    assert KEYPOINT_NAMES[:24] == tuple(SMPL_JOINT_NAMES)
    assert all(a in SKELETON_POINTS and b in SKELETON_POINTS for a, b in LIMBS)
    assert resolve_joint_set("openpose18") == OPENPOSE18
    assert resolve_joint_set(["nose", "left_wrist"]) == ("nose", "left_wrist")
    with pytest.raises(RenderError, match="unknown keypoint"):
        resolve_joint_set(["left_wrist", "tail"])
    with pytest.raises(RenderError, match="joint_set"):
        resolve_joint_set("coco133")


def test_projected_joints_lie_inside_the_silhouette(maps):
    """SMPL joints are inside the body, so they project inside the mask; the face landmarks are surface
    vertices and may sit on the silhouette's edge (one pixel of slack)."""
    for frame in range(len(maps)):
        cols, rows = np.round(maps.joints2d[frame]).astype(int).T
        assert maps.mask[frame][rows, cols].all()
        cols, rows = np.round(maps.keypoints2d[frame]).astype(int).T
        assert _dilate(maps.mask[frame], 1)[rows, cols].all()


def test_skeleton_dots_sit_on_the_projected_keypoints(maps):
    """Redrawn at 512² (4 px dots): each dot not covered by a later-drawn one has its keypoint's colour."""
    scale = 512 / maps.skeleton.shape[1]
    points = (maps.keypoints2d + 0.5) * scale - 0.5  # (N, 20, 2) at 512²
    images = draw_skeleton(points, 512)
    checked = 0
    for frame in range(len(maps)):
        centres = np.round(points[frame]).astype(int)
        for k in range(len(SKELETON_POINTS)):
            if np.linalg.norm(points[frame, k + 1 :] - points[frame, k], axis=1).min(initial=99.0) < 10.0:
                continue  # a later dot overlaps this one
            assert np.array_equal(images[frame, centres[k, 1], centres[k, 0]], POINT_COLORS[k]), SKELETON_POINTS[k]
            checked += 1
        assert not images[frame][~_dilate(maps.mask[frame].repeat(4, 0).repeat(4, 1), 12)].any()
    assert checked >= 10 * len(maps)


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    import cv2

    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * radius + 1,) * 2, np.uint8)).astype(bool)


def test_points_behind_the_camera_are_left_out():
    points = np.full((1, len(SKELETON_POINTS), 2), 32.0)
    points[0, :, 0] += np.arange(len(SKELETON_POINTS))
    points[0, 1] = np.nan  # the neck: its five limbs disappear too
    image = draw_skeleton(points, 64)
    assert image.shape == (1, 64, 64, 3) and image.dtype == np.uint8
    assert image.any()
    nothing = draw_skeleton(np.full((1, len(SKELETON_POINTS), 2), np.nan), 64)
    assert not nothing.any()
    with pytest.raises(RenderError, match="skeleton points"):
        draw_skeleton(np.zeros((1, 18, 2)), 64)
