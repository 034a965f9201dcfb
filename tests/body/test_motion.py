"""Motion: validation, rotation-correct resampling, subsets, batched posing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from dancegen.body import Motion, load_smpl, pose_body
from dancegen.errors import MotionError


def _random_motion(frames: int, fps: float, seed: int = 0) -> Motion:
    rng = np.random.default_rng(seed)
    poses = Rotation.random(frames * 24, random_state=seed).as_rotvec().reshape(frames, 72) * 0.5
    return Motion(poses, rng.normal(size=(frames, 3)), fps)


def test_resample_60_to_30_keeps_the_time_span():
    motion = _random_motion(121, 60.0)
    half = motion.resample(30.0)
    assert len(half) == 61 and half.fps == 30.0
    np.testing.assert_allclose(half.poses, motion.poses[::2], atol=1e-5)  # shared instants are kept exactly
    np.testing.assert_allclose(half.trans, motion.trans[::2], atol=1e-6)
    assert len(_random_motion(120, 60.0).resample(30.0)) == 60  # the last source frame is at 119/60 s


def test_resample_halfway_is_the_geodesic_midpoint():
    rng = np.random.default_rng(3)
    first, start, end = (Rotation.random(24, random_state=seed) for seed in (0, 1, 2))
    poses = np.stack([first.as_rotvec().ravel(), start.as_rotvec().ravel(), end.as_rotvec().ravel()])
    trans = rng.normal(size=(3, 3))
    resampled = Motion(poses, trans, fps=60.0).resample(40.0)  # frame 1 at 1/40 s = source frame 1.5
    assert len(resampled) == 2
    q0, q1 = start.as_quat(), end.as_quat()
    q1 *= np.sign(np.einsum("ij,ij->i", q0, q1))[:, None]  # the shorter arc
    midpoint = Rotation.from_quat(q0 + q1)  # normalised sum of unit quaternions = the geodesic midpoint
    middle = Rotation.from_rotvec(resampled.poses[1].reshape(24, 3))
    assert (midpoint.inv() * middle).magnitude().max() < 1e-5
    # on the arc, halfway: equal angles to both ends, adding up to the whole arc
    to_start, to_end = (start.inv() * middle).magnitude(), (middle.inv() * end).magnitude()
    np.testing.assert_allclose(to_start, to_end, atol=1e-5)
    np.testing.assert_allclose(to_start + to_end, (start.inv() * end).magnitude(), atol=1e-5)
    np.testing.assert_allclose(resampled.trans[1], trans[1:].mean(axis=0), atol=1e-6)  # translation: linear


def test_motion_rejects_wrong_shapes():
    with pytest.raises(MotionError, match=r"\(N, 72\).*\(5, 69\)"):
        Motion(np.zeros((5, 69)), np.zeros((5, 3)), 30.0)
    with pytest.raises(MotionError, match=r"trans.*\(4, 3\)"):
        Motion(np.zeros((5, 72)), np.zeros((4, 3)), 30.0)
    with pytest.raises(MotionError, match="fps"):
        Motion(np.zeros((5, 72)), np.zeros((5, 3)), 0.0)
    with pytest.raises(MotionError, match="finite"):
        Motion(np.full((5, 72), np.nan), np.zeros((5, 3)), 30.0)


def test_subset_picks_frames():
    motion = _random_motion(10, 30.0)
    part = motion.subset(np.array([7, 2, 2]))
    assert len(part) == 3 and part.fps == 30.0
    np.testing.assert_array_equal(part.poses[0], motion.poses[7])
    np.testing.assert_array_equal(part.trans[2], motion.trans[2])


def test_pose_body_batches_give_the_same_result():
    model = load_smpl()
    motion = _random_motion(9, 30.0, seed=5)
    whole, batched = pose_body(model, motion), pose_body(model, motion, batch=4)
    np.testing.assert_allclose(whole.vertices, batched.vertices, atol=1e-5)
    np.testing.assert_allclose(whole.joints, batched.joints, atol=1e-5)
    # root translation moves the whole body rigidly
    shifted = Motion(motion.poses, motion.trans + np.array([1.0, 2.0, 3.0], np.float32), 30.0)
    np.testing.assert_allclose(pose_body(model, shifted).joints - whole.joints, np.broadcast_to([1, 2, 3], (9, 24, 3)),
                               atol=1e-5)  # fmt: skip
