"""The procedural SMPL-format neutral body: a stand-in for the licensed SMPL file, in SMPL's exact file layout.

``build_procedural_smpl()`` returns the dict smplx reads from ``SMPL_NEUTRAL.pkl``:

- ``v_template`` (6890, 3) float64: a 1.70 m adult in SMPL's T-pose (y up, facing +z), made of capsules
  and lofted ellipsoids (``procedural_mesh.py``); soles at y = -1.17, pelvis near the origin like SMPL.
- ``f`` (F, 3) uint32 outward-wound triangles; every part is a closed surface, parts overlap at the joints.
- ``weights`` (6890, 24): each vertex follows its part; within a blend zone around each joint it is shared
  with the neighbouring part (0.5/0.5 exactly at the joint), so bends stay smooth.
- ``J_regressor`` (24, 6890): each joint is the mean of the vertex rings built around it, so
  ``J_regressor @ v_template`` reproduces ``skeleton.REST_JOINTS`` exactly and joints follow shape changes.
- ``shapedirs`` (6890, 3, 10): ten meaningful components, in metres per unit beta: 0 stature (about the
  soles), 1 girth, 2 belly, 3 leg length, 4 shoulder width, 5 hip width, 6 head size, 7 arm length,
  8 chest depth, 9 neck length. Shape changes keep the rest-pose soles on y = -1.17 except girth/stature.
- ``posedirs`` (6890, 3, 207): zeros. The body has no pose-corrective blend shapes (smplx needs the array).
- ``kintree_table`` (2, 24): SMPL's tree.

The vertex ids smplx uses for its extra joints (nose, eyes, ears, finger tips, toes, heels; smplx's
``vertex_ids['smplh']``) are placed at those landmarks, so ``model(...).joints[:, 24:]`` is meaningful too.
"""

from __future__ import annotations

import numpy as np

from dancegen.body.procedural_mesh import Piece, build_pieces
from dancegen.body.skeleton import HEAD_TOP_Y, REST_JOINTS, SMPL_PARENTS, SOLE_Y

NUM_JOINTS = 24
NUM_BETAS = 10
NUM_POSE_BASIS = 207  # (24 - 1) * 9, what smplx expects

ARM_PARTS = (16, 17, 18, 19, 20, 21, 22, 23)
LEG_PARTS = (1, 2, 4, 5, 7, 8, 10, 11)


def _piece_weights(piece: Piece) -> np.ndarray:
    """(n, 24) skinning weights of a limb piece: its own part, blended with its neighbours near the joints."""
    w = np.zeros((len(piece.vertices), NUM_JOINTS))
    w_prox = np.zeros(len(piece.t))
    w_dist = np.zeros(len(piece.t))
    if piece.blend_prox is not None:
        w_prox = np.clip(0.5 - 0.5 * piece.t / piece.blend_width, 0.0, 1.0)
    if piece.blend_dist is not None:
        w_dist = np.clip(0.5 + 0.5 * (piece.t - 1.0) / piece.blend_width, 0.0, 1.0)
    w[:, piece.part] = np.clip(1.0 - w_prox - w_dist, 0.0, None)
    if piece.blend_prox is not None:
        w[:, piece.blend_prox] += w_prox
    if piece.blend_dist is not None:
        w[:, piece.blend_dist] += w_dist
    return w / w.sum(axis=1, keepdims=True)


def _ramp(value: np.ndarray, center: float, half_width: float) -> np.ndarray:
    """0 below center - half_width, 1 above center + half_width, linear (0.5 at center) between."""
    return np.clip(0.5 + (value - center) / (2.0 * half_width), 0.0, 1.0)


def _torso_weights(vertices: np.ndarray) -> np.ndarray:
    """(n, 24) weights of the torso: the spine chain by height, collars at the shoulders, hips at the bottom."""
    x, y = vertices[:, 0], vertices[:, 1]
    chain = (0, 3, 6, 9, 12)
    ups = [_ramp(y, REST_JOINTS[j, 1], 0.045) for j in (3, 6, 9)] + [_ramp(y, REST_JOINTS[12, 1] - 0.01, 0.03)]
    levels = [np.ones_like(y), *ups, np.zeros_like(y)]
    w = np.zeros((len(vertices), NUM_JOINTS))
    for i, part in enumerate(chain):
        w[:, part] = levels[i] - levels[i + 1]
    collar = 0.6 * np.clip((np.abs(x) - 0.07) / 0.08, 0, 1) * np.clip((y - 0.12) / 0.08, 0, 1)
    hip = 0.5 * np.clip((-0.27 - y) / 0.10, 0, 1) * np.clip(np.abs(x) / 0.08, 0, 1)
    w *= (1.0 - collar - hip)[:, None]
    left = x > 0
    w[:, 13] += np.where(left, collar, 0.0)
    w[:, 14] += np.where(left, 0.0, collar)
    w[:, 1] += np.where(left, hip, 0.0)
    w[:, 2] += np.where(left, 0.0, hip)
    return w


def _shape_directions(v: np.ndarray, radial: np.ndarray, part: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """(V, 3, 10) shape components in metres per unit beta. kind: 0 limb, 1 torso, 2 head."""
    x, y = v[:, 0], v[:, 1]
    side = np.sign(x)
    torso, head = kind == 1, kind == 2
    arm, leg = np.isin(part, ARM_PARTS), np.isin(part, LEG_PARTS)
    collar = np.isin(part, (13, 14)) & (kind == 0)
    n_z = np.maximum(radial[:, 2] / np.maximum(np.linalg.norm(radial, axis=1), 1e-9), 0.0)
    hip_y = REST_JOINTS[1, 1]
    d = np.zeros((len(v), 3, NUM_BETAS))
    d[:, :, 0] = 0.035 * (v - [0.0, SOLE_Y, 0.0])
    d[:, :, 1] = 0.12 * radial * (~head)[:, None]
    d[:, 2, 2] = 0.035 * n_z * np.exp(-(((y + 0.05) / 0.12) ** 2)) * torso
    d[:, 1, 3] = 0.04 * np.clip((y - SOLE_Y) / (hip_y - SOLE_Y), 0.0, 1.0)
    shoulder_zone = np.clip((np.abs(x) - 0.06) / 0.10, 0, 1) * np.clip((y - 0.10) / 0.10, 0, 1)
    d[:, 0, 4] = 0.02 * side * (arm + 0.5 * collar + shoulder_zone * torso)
    d[:, 0, 5] = 0.015 * (side * leg + (x / 0.17) * np.clip((-0.10 - y) / 0.15, 0, 1) * torso)
    head_center = np.array([0.0, HEAD_TOP_Y - 0.095, 0.025])
    d[:, :, 6] = 0.08 * (v - head_center) * head[:, None]
    d[:, 0, 7] = 0.03 * side * np.clip((np.abs(x) - 0.18) / 0.51, 0, 1) * arm
    d[:, 2, 8] = 0.025 * n_z * np.exp(-(((y - 0.12) / 0.10) ** 2)) * torso
    neck_y, head_y = REST_JOINTS[12, 1], REST_JOINTS[15, 1]
    d[:, 1, 9] = 0.02 * np.clip((y - neck_y) / (head_y - neck_y), 0, 1) * (head | np.isin(part, (12,)))
    return d


def _landmark_targets() -> dict[str, tuple[tuple[float, float, float], tuple[int, ...]]]:
    """smplx landmark name -> (rest position, parts to pick the vertex from)."""
    targets: dict[str, tuple[tuple[float, float, float], tuple[int, ...]]] = {
        "nose": ((0.0, 0.425, 0.125), (15,)),
    }
    for side, s, (foot, toes, palm, fingers) in (("l", 1, (7, 10, 20, 22)), ("r", -1, (8, 11, 21, 23))):
        eye_ear = ("leye", "lear") if side == "l" else ("reye", "rear")
        targets[eye_ear[0]] = ((s * 0.032, 0.455, 0.11), (15,))
        targets[eye_ear[1]] = ((s * 0.078, 0.44, 0.02), (15,))
        tip_x = REST_JOINTS[22, 0] + 0.09
        targets[side + "thumb"] = ((s * 0.765, 0.21, 0.012), (palm,))
        for name, z in (("index", -0.005), ("middle", -0.025), ("ring", -0.045), ("pinky", -0.065)):
            targets[side + name] = ((s * (tip_x - 0.005), 0.215, z), (fingers,))
        big, small, heel = ("LBigToe", "LSmallToe", "LHeel") if side == "l" else ("RBigToe", "RSmallToe", "RHeel")
        targets[big] = ((s * 0.095, SOLE_Y + 0.01, 0.17), (toes,))
        targets[small] = ((s * 0.14, SOLE_Y + 0.01, 0.14), (toes,))
        targets[heel] = ((s * 0.09, SOLE_Y + 0.005, -0.11), (foot,))
    return targets


def _landmark_permutation(v: np.ndarray, part: np.ndarray) -> np.ndarray:
    """perm (V,) such that v[perm] puts each smplx landmark vertex id at its anatomical landmark."""
    from smplx.vertex_ids import vertex_ids

    ids = vertex_ids["smplh"]
    perm = np.arange(len(v))  # perm[new] = old
    where = np.arange(len(v))  # where[old] = new
    taken: set[int] = set()
    for name, (target, parts) in _landmark_targets().items():
        candidates = np.flatnonzero(np.isin(part, parts))
        candidates = candidates[~np.isin(candidates, list(taken))]
        old = int(candidates[np.argmin(np.linalg.norm(v[candidates] - target, axis=1))])
        new = int(ids[name])
        a, b = where[old], new  # swap slots a and b
        perm[a], perm[b] = perm[b], perm[a]
        where[perm[a]], where[perm[b]] = a, b
        taken.add(old)
    return perm


def build_procedural_smpl() -> dict[str, np.ndarray]:
    """The contents of a SMPL-format ``SMPL_NEUTRAL.pkl`` (see the module docstring for every key)."""
    pieces = build_pieces()
    offsets = np.cumsum([0] + [len(p.vertices) for p in pieces])
    v = np.concatenate([p.vertices for p in pieces])
    faces = np.concatenate([p.faces + offsets[i] for i, p in enumerate(pieces)])
    radial = np.concatenate([p.vertices - p.centers for p in pieces])
    part = np.concatenate([np.full(len(p.vertices), p.part) for p in pieces])
    kind = np.concatenate([np.full(len(p.vertices), 1 if i == 0 else 2 if i == 1 else 0) for i, p in enumerate(pieces)])
    weights = np.concatenate(
        [_torso_weights(pieces[0].vertices), *[np.eye(NUM_JOINTS)[[15] * len(pieces[1].vertices)]]]
        + [_piece_weights(p) for p in pieces[2:]]
    )
    regressor = np.zeros((NUM_JOINTS, len(v)))
    for i, p in enumerate(pieces):
        for joint, ring in p.joint_rings.items():
            regressor[joint, ring + offsets[i]] = 1.0
    regressor /= regressor.sum(axis=1, keepdims=True)
    shapedirs = _shape_directions(v, radial, part, kind)

    perm = _landmark_permutation(v, np.argmax(weights, axis=1))
    inverse = np.argsort(perm)
    kintree = np.array([SMPL_PARENTS, range(NUM_JOINTS)], dtype=np.int64)
    return {
        "v_template": v[perm],
        "f": inverse[faces].astype(np.uint32),
        "weights": weights[perm],
        "J_regressor": regressor[:, perm],
        "J": regressor @ v,
        "kintree_table": kintree,
        "shapedirs": shapedirs[perm],
        "posedirs": np.zeros((len(v), 3, NUM_POSE_BASIS), dtype=np.float32),  # no pose correctives
        "bs_style": "lbs",
        "bs_type": "lrotmin",
    }
