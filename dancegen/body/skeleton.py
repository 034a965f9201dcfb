"""SMPL's 24-joint kinematic tree and the rest-pose joint positions of the procedural body.

Coordinates (SMPL's own frame, shared by the whole project): metres, y up, the body faces +z (toward the
camera), the body's left side is +x. At rest (all rotations zero) the body stands in SMPL's T-pose.
"""

from __future__ import annotations

import numpy as np

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hand", "right_hand",
)  # fmt: skip

SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(SMPL_JOINT_NAMES)}

# left joint -> right joint (the mirror image across the x = 0 plane)
MIRROR_JOINT: tuple[int, ...] = tuple(
    JOINT_INDEX[name.replace("left_", "right_")] if name.startswith("left_") else
    JOINT_INDEX[name.replace("right_", "left_")] if name.startswith("right_") else i
    for i, name in enumerate(SMPL_JOINT_NAMES)
)  # fmt: skip

# Rest-pose joints of the procedural body, (24, 3) metres in the template frame. The proportions are those
# of an average adult (1.70 m): pelvis near the origin like SMPL's template, soles at y = SOLE_Y, top of
# the head at y = HEAD_TOP_Y.
REST_JOINTS = np.array(
    [
        [0.000, -0.220, 0.020],  # pelvis
        [0.070, -0.310, 0.010],  # left_hip
        [-0.070, -0.310, 0.010],  # right_hip
        [0.000, -0.110, -0.005],  # spine1
        [0.105, -0.700, 0.010],  # left_knee
        [-0.105, -0.700, 0.010],  # right_knee
        [0.000, 0.025, 0.000],  # spine2
        [0.090, -1.095, -0.035],  # left_ankle
        [-0.090, -1.095, -0.035],  # right_ankle
        [0.000, 0.085, 0.010],  # spine3
        [0.110, -1.145, 0.090],  # left_foot (ball of the foot)
        [-0.110, -1.145, 0.090],  # right_foot
        [0.000, 0.290, -0.015],  # neck
        [0.075, 0.200, -0.005],  # left_collar
        [-0.075, 0.200, -0.005],  # right_collar
        [0.000, 0.375, 0.020],  # head
        [0.180, 0.230, -0.015],  # left_shoulder
        [-0.180, 0.230, -0.015],  # right_shoulder
        [0.440, 0.215, -0.030],  # left_elbow
        [-0.440, 0.215, -0.030],  # right_elbow
        [0.690, 0.220, -0.030],  # left_wrist
        [-0.690, 0.220, -0.030],  # right_wrist
        [0.775, 0.215, -0.035],  # left_hand (knuckles)
        [-0.775, 0.215, -0.035],  # right_hand
    ],
    dtype=np.float64,
)

SOLE_Y = -1.17  # rest-pose height of the soles (the floor before placement)
HEAD_TOP_Y = 0.53  # rest-pose height of the top of the head
# "AIST-like placement": a root translation of (0, REST_FLOOR_OFFSET, 0) stands the rest pose on y = 0.
REST_FLOOR_OFFSET = -SOLE_Y


def children_of(joint: int) -> list[int]:
    """Indices of the joints whose parent is ``joint``."""
    return [i for i, parent in enumerate(SMPL_PARENTS) if parent == joint]
