"""Anatomical joint limits as Euler-angle boxes, and conversions between Euler angles and SMPL axis-angle.

Every body joint's local rotation is written as intrinsic X-Z-Y Euler angles (scipy ``"XZY"``), stored in
that order as ``(x, z, y)`` degrees, in the joint's rest frame (SMPL's rest frames are aligned with the
world: x = the body's left, y = up, z = forward). The middle angle (z) stays inside ±90°, so the
decomposition of a limited rotation is unique and limits can be checked on any axis-angle pose.
Sign reminders for the left side (the right side is the mirror image: z and y flip sign):
hip x < 0 lifts the thigh forward, knee x > 0 bends the knee, shoulder z < 0 lowers the arm from the
T-pose, shoulder y < 0 swings the arm forward, elbow y < 0 bends the elbow, spine x > 0 bends forward.

The root (pelvis) is not limited; its angles use ``ROOT_ORDER`` (yaw about the world y axis first, then
pitch, then roll), stored as ``(x, z, y)`` like the others.
"""

from __future__ import annotations

import numpy as np

from dancegen.body.skeleton import JOINT_INDEX, MIRROR_JOINT

EULER_ORDER = "XZY"
ROOT_ORDER = "YXZ"

_LEFT_AND_CENTRE_LIMITS = {  # (x range, z range, y range), degrees
    "left_hip": ((-120, 35), (-25, 60), (-40, 40)),
    "spine1": ((-25, 35), (-20, 20), (-30, 30)),
    "spine2": ((-25, 35), (-20, 20), (-30, 30)),
    "spine3": ((-25, 35), (-20, 20), (-30, 30)),
    "left_knee": ((0, 150), (-5, 5), (-10, 10)),
    "left_ankle": ((-50, 50), (-30, 30), (-25, 25)),
    "left_foot": ((-40, 40), (-5, 5), (-5, 5)),
    "neck": ((-30, 40), (-30, 30), (-45, 45)),
    "left_collar": ((-15, 15), (-20, 25), (-20, 20)),
    "head": ((-35, 35), (-30, 30), (-60, 60)),
    "left_shoulder": ((-90, 90), (-88, 85), (-100, 45)),
    "left_elbow": ((-45, 45), (-5, 5), (-150, 0)),
    "left_wrist": ((-60, 60), (-60, 60), (-30, 30)),
    "left_hand": ((-20, 20), (-45, 30), (-15, 15)),
}


def _limit_table() -> np.ndarray:
    """(24, 3, 2) min/max degrees per joint and Euler channel; the root row is unbounded."""
    table = np.zeros((24, 3, 2))
    table[0, :, 0], table[0, :, 1] = -np.inf, np.inf
    for name, ranges in _LEFT_AND_CENTRE_LIMITS.items():
        joint = JOINT_INDEX[name]
        table[joint] = ranges
        mirror = MIRROR_JOINT[joint]
        if mirror != joint:  # the right side: x kept, z and y ranges negated
            table[mirror, 0] = ranges[0]
            table[mirror, 1] = (-ranges[1][1], -ranges[1][0])
            table[mirror, 2] = (-ranges[2][1], -ranges[2][0])
    return table


JOINT_LIMITS = _limit_table()


def clip_to_limits(euler: np.ndarray) -> np.ndarray:
    """(..., 24, 3) degrees → the same, every channel clipped into its joint's range."""
    return np.clip(euler, JOINT_LIMITS[:, :, 0], JOINT_LIMITS[:, :, 1])


def euler_to_rotvec(euler: np.ndarray) -> np.ndarray:
    """(..., 24, 3) (x, z, y) degrees → (..., 24, 3) axis-angle radians (root with ROOT_ORDER)."""
    from scipy.spatial.transform import Rotation

    flat = np.asarray(euler, dtype=np.float64).reshape(-1, 24, 3)
    out = np.empty_like(flat)
    out[:, 1:] = (
        Rotation.from_euler(EULER_ORDER, flat[:, 1:].reshape(-1, 3), degrees=True).as_rotvec().reshape(len(flat), 23, 3)
    )
    root = flat[:, 0][:, [2, 0, 1]]  # (y, x, z) for "YXZ"
    out[:, 0] = Rotation.from_euler(ROOT_ORDER, root, degrees=True).as_rotvec()
    return out.reshape(np.shape(euler))


def rotvec_to_euler(rotvec: np.ndarray) -> np.ndarray:
    """(..., 24, 3) axis-angle → (..., 24, 3) (x, z, y) degrees (root in (-180, 180])."""
    from scipy.spatial.transform import Rotation

    flat = np.asarray(rotvec, dtype=np.float64).reshape(-1, 24, 3)
    out = np.empty_like(flat)
    out[:, 1:] = (
        Rotation.from_rotvec(flat[:, 1:].reshape(-1, 3)).as_euler(EULER_ORDER, degrees=True).reshape(len(flat), 23, 3)
    )
    yxz = Rotation.from_rotvec(flat[:, 0]).as_euler(ROOT_ORDER, degrees=True)
    out[:, 0] = yxz[:, [1, 2, 0]]
    return out.reshape(np.shape(rotvec))


def limit_violation(poses: np.ndarray) -> np.ndarray:
    """(N, 72) axis-angle → (N, 24) worst excess beyond the joint limits, degrees (0 where inside)."""
    euler = rotvec_to_euler(np.asarray(poses).reshape(-1, 24, 3))
    below = JOINT_LIMITS[:, :, 0] - euler
    above = euler - JOINT_LIMITS[:, :, 1]
    return np.maximum(np.maximum(below, above), 0.0).max(axis=2)
