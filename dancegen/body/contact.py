"""Root translation from foot contact: stand the body on the floor and keep planted feet from sliding.

Given poses and, per frame, which foot carries the weight, forward kinematics (smplx, root translation 0)
gives the feet in the body frame; the root translation is then chosen so that

- vertically, the lowest foot vertex touches the floor y = 0 (continuous, since it is the minimum of the
  two feet's lowest points);
- horizontally, the stance foot's ball (SMPL joint ``left_foot`` / ``right_foot``) keeps its world position
  from frame to frame (both feet: their midpoint), so the body moves over a planted foot instead of the
  foot sliding under the body.
"""

from __future__ import annotations

import numpy as np

from dancegen.body.motion import Motion, PosedBody, pose_body

LEFT, RIGHT, BOTH = 0, 1, 2
LEFT_FOOT_PARTS = (7, 10)  # left_ankle, left_foot
RIGHT_FOOT_PARTS = (8, 11)
BALL_JOINTS = (10, 11)


def foot_vertex_ids(model) -> tuple[np.ndarray, np.ndarray]:
    """Vertex ids of the left and right foot (ankle and toe parts)."""
    from dancegen.body.smpl_model import vertex_part_labels

    labels = vertex_part_labels(model)
    return np.flatnonzero(np.isin(labels, LEFT_FOOT_PARTS)), np.flatnonzero(np.isin(labels, RIGHT_FOOT_PARTS))


def contact_from_stance(stance: np.ndarray) -> np.ndarray:
    """(N,) stance codes (LEFT, RIGHT, BOTH) → (N, 2) bool planted (left, right)."""
    stance = np.asarray(stance)
    return np.stack([stance != RIGHT, stance != LEFT], axis=1)


def plant_feet(model, poses: np.ndarray, stance: np.ndarray, fps: float, chunk: int = 512) -> np.ndarray:
    """Root translation (N, 3) float32 metres for ``poses`` (N, 72) and ``stance`` (N,) codes.

    Frame 0 puts the pelvis above the origin. Forward kinematics runs ``chunk`` frames at a time, so long
    tracks need little memory.
    """
    return _plant(model, poses, stance, fps, chunk)[0]


def plant_feet_posed(model, poses: np.ndarray, stance: np.ndarray, fps: float) -> tuple[np.ndarray, PosedBody]:
    """:func:`plant_feet`'s translation and the body posed with it on every frame (world frame), which the
    foot placement computes anyway: N · 83 kB of vertices for SMPL, so for tracks that fit in memory."""
    trans, local = _plant(model, poses, stance, fps, chunk=max(1, len(poses)))
    offset = trans[:, None, :]  # smplx adds transl to the posed vertices and joints the same way
    return trans, PosedBody(local.vertices + offset, local.joints + offset, local.faces)


def _plant(model, poses: np.ndarray, stance: np.ndarray, fps: float, chunk: int) -> tuple[np.ndarray, PosedBody]:
    """(translation (N, 3), the last chunk's body posed with zero translation)."""
    n = len(poses)
    left_ids, right_ids = foot_vertex_ids(model)
    lowest = np.empty(n)
    balls = np.empty((n, 2, 2))  # (N, 2 feet, xz) in the body frame
    pelvis = np.zeros(2)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        local = pose_body(model, Motion(poses[lo:hi], np.zeros((hi - lo, 3), np.float32), fps))
        feet_low = np.minimum(local.vertices[:, left_ids, 1].min(axis=1), local.vertices[:, right_ids, 1].min(axis=1))
        lowest[lo:hi] = feet_low
        balls[lo:hi] = local.joints[:, BALL_JOINTS][:, :, [0, 2]]
        if lo == 0:
            pelvis = local.joints[0, 0, [0, 2]].astype(np.float64)
    anchors = np.stack([balls[:, 0], balls[:, 1], balls.mean(axis=1)], axis=1)  # (N, 3 stance codes, xz)
    stance = np.asarray(stance, dtype=np.int64)
    frames = np.arange(1, n)
    step = anchors[frames, stance[1:]] - anchors[frames - 1, stance[1:]]  # stance foot's motion in the body frame
    trans_xz = np.empty((n, 2))
    trans_xz[0] = -pelvis
    trans_xz[1:] = trans_xz[0] - np.cumsum(step, axis=0)
    return np.stack([trans_xz[:, 0], -lowest, trans_xz[:, 1]], axis=1).astype(np.float32), local


def place_on_floor(model, motion: Motion, percentile: float = 5.0) -> Motion:
    """The same motion shifted vertically so its feet rest on y = 0.

    For motions from other sources (AIST++ files, whose world floor need not be y = 0 for this body): the
    shift makes the ``percentile`` of the per-frame lowest vertex height zero, which ignores jumps.
    """
    lowest = np.concatenate(
        [
            pose_body(model, motion.subset(np.arange(lo, min(lo + 512, len(motion))))).vertices[:, :, 1].min(axis=1)
            for lo in range(0, len(motion), 512)
        ]
    )
    shift = float(np.percentile(lowest, percentile))
    trans = motion.trans - np.array([0.0, shift, 0.0], np.float32)
    return Motion(motion.poses, trans, motion.fps, motion.foot_contact)
