"""Geometry of the procedural body: capsules and lofted ellipsoids around SMPL's 24-joint skeleton.

Every body part is a closed "loft": rings of ``segs`` points (a super-ellipse cross-section) stacked along a
bone, closed by a pole vertex at each end. Each piece remembers, per vertex, its part (SMPL joint index),
its position along the bone (``t`` = 0 at the proximal joint, 1 at the distal joint) and the centre of its
ring; the skinning weights, joint regressor and shape directions of ``procedural.py`` are built from these.
Rings are placed exactly at the joints, and a ring's points are point-symmetric about its centre, so the
mean of a joint's ring is the joint itself (the regressor relies on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dancegen.body.skeleton import HEAD_TOP_Y, REST_JOINTS, SOLE_Y

TARGET_VERTEX_COUNT = 6890  # SMPL's topology size; smplx's extra-joint landmark ids index into it


@dataclass
class Piece:
    """One closed body part. Arrays hold one row per vertex of the piece."""

    vertices: np.ndarray  # (n, 3) float64 metres
    faces: np.ndarray  # (m, 3) int64, local vertex indices, outward (counter-clockwise) winding
    centers: np.ndarray  # (n, 3) ring centre of each vertex (pole: its own position)
    t: np.ndarray  # (n,) position along the bone, 0 at the proximal joint, 1 at the distal joint
    part: int  # SMPL joint index whose transform moves this piece
    blend_prox: int | None = None  # part blended in around t = 0 (None: no blending)
    blend_dist: int | None = None  # part blended in around t = 1
    blend_width: float = 0.2  # half-width of the blend zones, in units of t
    joint_rings: dict[int, np.ndarray] = field(default_factory=dict)  # joint index -> local ids of its ring


def _cross_section(segs: int, exponent: float) -> np.ndarray:
    """(segs, 2) unit super-ellipse points, point-symmetric (segs is even)."""
    theta = 2.0 * np.pi * np.arange(segs) / segs
    c, s = np.cos(theta), np.sin(theta)
    power = 2.0 / exponent
    return np.stack([np.sign(c) * np.abs(c) ** power, np.sign(s) * np.abs(s) ** power], axis=1)


def loft(
    centers: np.ndarray,
    radii: np.ndarray,
    e1: np.ndarray,
    e2: np.ndarray,
    ring_t: np.ndarray,
    poles: tuple[np.ndarray, np.ndarray],
    pole_t: tuple[float, float],
    segs: int,
    part: int,
    exponent: float = 2.0,
) -> Piece:
    """A closed tube through rings.

    centers: (R, 3) ring centres; radii: (R, 2) half-extents along e1 and e2 (unit vectors (3,));
    ring_t: (R,) bone coordinate of each ring; poles: the two end vertices (3,); segs: points per ring (even).
    """
    assert segs % 2 == 0, "rings need an even point count to be point-symmetric"
    unit = _cross_section(segs, exponent)  # (S, 2)
    ring_pts = (
        centers[:, None, :]
        + radii[:, None, 0:1] * unit[None, :, 0:1] * e1[None, None, :]
        + radii[:, None, 1:2] * unit[None, :, 1:2] * e2[None, None, :]
    )  # (R, S, 3)
    n_rings = len(centers)
    vertices = np.concatenate([poles[0][None], ring_pts.reshape(-1, 3), poles[1][None]])
    ring_centers = np.repeat(centers, segs, axis=0)
    vertex_centers = np.concatenate([poles[0][None], ring_centers, poles[1][None]])
    vertex_t = np.concatenate([[pole_t[0]], np.repeat(ring_t, segs), [pole_t[1]]])

    k = np.arange(segs)
    k_next = (k + 1) % segs
    last_pole = 1 + n_rings * segs
    faces = [np.stack([np.zeros(segs, int), 1 + k_next, 1 + k], axis=1)]
    for r in range(n_rings - 1):
        a, b = 1 + r * segs + k, 1 + r * segs + k_next
        c, d = 1 + (r + 1) * segs + k_next, 1 + (r + 1) * segs + k
        faces += [np.stack([a, b, c], axis=1), np.stack([a, c, d], axis=1)]
    base = 1 + (n_rings - 1) * segs
    faces.append(np.stack([np.full(segs, last_pole), base + k, base + k_next], axis=1))
    faces = np.concatenate(faces).astype(np.int64)
    if signed_volume(vertices, faces) < 0:  # make every piece wind outward
        faces = faces[:, ::-1].copy()
    return Piece(vertices, faces, vertex_centers, vertex_t, part)


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by a closed triangle mesh; positive when faces wind outward."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def _frame(direction: np.ndarray, hint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to ``direction``; the first is as close to ``hint`` as possible."""
    e1 = hint - np.dot(hint, direction) * direction
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(direction, e1)


def _cap_rings(n_cap: int) -> tuple[np.ndarray, np.ndarray]:
    """(offset fraction, radius fraction) of the rings of a rounded end, from the pole side inward."""
    angle = 0.5 * np.pi * np.arange(n_cap, 0, -1) / (n_cap + 1)
    return np.sin(angle), np.cos(angle)


def capsule(
    start: np.ndarray,
    end: np.ndarray,
    radii_start: tuple[float, float],
    radii_end: tuple[float, float],
    *,
    segs: int,
    body_rings: int,
    cap_rings: int,
    part: int,
    hint: tuple[float, float, float] = (0.0, 0.0, 1.0),
    bulge: float = 0.0,
    exponent: float = 2.0,
) -> Piece:
    """A tapered capsule around the bone start→end; rings at t = 0 and t = 1 sit exactly on the joints.

    radii_*: half-extents (along the hint direction, along the other normal); bulge: extra relative radius
    at 35 % of the bone (muscle belly).
    """
    start, end = np.asarray(start, float), np.asarray(end, float)
    length = float(np.linalg.norm(end - start))
    direction = (end - start) / length
    e1, e2 = _frame(direction, np.asarray(hint, float))
    r0, r1 = np.asarray(radii_start, float), np.asarray(radii_end, float)
    t_body = np.linspace(0.0, 1.0, body_rings)
    r_body = (1 - t_body)[:, None] * r0 + t_body[:, None] * r1
    r_body *= (1.0 + bulge * np.exp(-(((t_body - 0.35) / 0.25) ** 2)))[:, None]
    off, rad = _cap_rings(cap_rings)
    cap0, cap1 = 0.9 * r0.max(), 0.9 * r1.max()
    ring_t = np.concatenate([-cap0 * off / length, t_body, 1.0 + cap1 * off[::-1] / length])
    radii = np.concatenate([rad[:, None] * r0, r_body, rad[::-1, None] * r1])
    centers = start + ring_t[:, None] * (end - start)
    poles = (start - cap0 * direction, end + cap1 * direction)
    piece = loft(centers, radii, e1, e2, ring_t, poles, (-cap0 / length, 1 + cap1 / length), segs, part, exponent)
    first = 1 + cap_rings * segs
    piece.joint_rings = {
        -1: np.arange(first, first + segs),  # ring at t = 0 (keyed by the caller)
        -2: np.arange(first + (body_rings - 1) * segs, first + body_rings * segs),  # ring at t = 1
    }
    return piece


def _torso(segs: int, n_rings: int) -> Piece:
    """Hips, belly, chest and shoulders: one loft along y with rings exactly at the four spine-chain joints."""
    j = REST_JOINTS
    spine_ids = (0, 3, 6, 9)  # pelvis, spine1, spine2, spine3
    y_bottom, y_top = -0.40, 0.285
    ys = np.linspace(y_bottom, y_top, n_rings - len(spine_ids))
    ys = np.sort(np.concatenate([ys, j[list(spine_ids), 1]]))
    # half-width (x), half-depth (z) and centre depth profiles through the height
    prof_y = np.array([-0.40, -0.33, -0.26, -0.18, -0.10, 0.00, 0.08, 0.16, 0.21, 0.25, 0.285])
    prof_x = np.array([0.105, 0.155, 0.170, 0.160, 0.140, 0.138, 0.150, 0.165, 0.165, 0.120, 0.060])
    prof_z = np.array([0.080, 0.105, 0.112, 0.110, 0.105, 0.100, 0.108, 0.105, 0.095, 0.075, 0.050])
    knot_y = np.array([y_bottom, *j[list(spine_ids), 1], y_top])
    knot_z = np.array([j[0, 2], *j[list(spine_ids), 2], j[12, 2]])
    centers = np.stack([np.zeros_like(ys), ys, np.interp(ys, knot_y, knot_z)], axis=1)
    radii = np.stack([np.interp(ys, prof_y, prof_x), np.interp(ys, prof_y, prof_z)], axis=1)
    ex, ez = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
    poles = (np.array([0.0, y_bottom - 0.03, centers[0, 2]]), np.array([0.0, y_top + 0.01, centers[-1, 2]]))
    piece = loft(centers, radii, ex, ez, ys, poles, (y_bottom - 0.03, y_top + 0.01), segs, part=9, exponent=2.4)
    for joint in spine_ids:
        r = int(np.flatnonzero(np.isclose(ys, j[joint, 1]))[0])
        piece.joint_rings[joint] = np.arange(1 + r * segs, 1 + (r + 1) * segs)
    return piece


def _head(segs: int, n_rings: int) -> Piece:
    """An ellipsoid skull whose top is at HEAD_TOP_Y."""
    radius = np.array([0.078, 0.095, 0.098])  # x, y, z half-axes
    center = np.array([0.0, HEAD_TOP_Y - radius[1], 0.025])
    phi = np.pi * np.arange(1, n_rings + 1) / (n_rings + 1)
    ys = center[1] - radius[1] * np.cos(phi)
    centers = np.stack([np.zeros(n_rings), ys, np.full(n_rings, center[2])], axis=1)
    radii = np.stack([radius[0] * np.sin(phi), radius[2] * np.sin(phi)], axis=1)
    poles = (center - [0, radius[1], 0], center + [0, radius[1], 0])
    ex, ez = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
    return loft(centers, radii, ex, ez, np.zeros(n_rings), poles, (0.0, 0.0), segs, part=15)


def _sole_loft(
    zs: np.ndarray, xs: np.ndarray, half_w: np.ndarray, half_h: np.ndarray, segs: int, part: int, cap: tuple
) -> Piece:
    """A flat-bottomed loft along +z whose lowest points lie on the sole plane y = SOLE_Y (foot, toes)."""
    centers = np.stack([xs, SOLE_Y + half_h, zs], axis=1)
    radii = np.stack([half_w, half_h], axis=1)
    t = (zs - zs[0]) / (zs[-1] - zs[0])
    ex, ey = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    back = centers[0] - [0, 0, cap[0]]
    front = centers[-1] + [0, 0, cap[1]]
    span = zs[-1] - zs[0]
    return loft(centers, radii, ex, ey, t, (back, front), (-cap[0] / span, 1 + cap[1] / span), segs, part, 3.0)


def _leg(side: int) -> list[Piece]:
    """Thigh, shin, foot and toes of one leg (side +1: left, -1: right)."""
    j = REST_JOINTS
    hip, knee, ankle, ball = (1, 4, 7, 10) if side > 0 else (2, 5, 8, 11)
    thigh = capsule(j[hip], j[knee], (0.085, 0.082), (0.056, 0.054), segs=24, body_rings=13, cap_rings=3,
                    part=hip, bulge=0.05)  # fmt: skip
    shin = capsule(j[knee], j[ankle], (0.054, 0.052), (0.036, 0.034), segs=22, body_rings=13, cap_rings=3,
                   part=knee, bulge=0.12)  # fmt: skip
    heel_z, ball_z = -0.095, j[ball, 2]
    zs = np.linspace(heel_z, ball_z, 10)
    s = (zs - heel_z) / (ball_z - heel_z)
    foot_x = j[ankle, 0] + s * (j[ball, 0] - j[ankle, 0])
    foot_h = 0.040 + 0.012 * np.sin(np.pi * s) - 0.015 * s**2  # heel, instep, ball
    foot = _sole_loft(zs, foot_x, 0.034 + 0.014 * s, foot_h, segs=20, part=ankle, cap=(0.02, 0.01))
    toe_z = np.linspace(ball_z, ball_z + 0.085, 5)
    u = (toe_z - ball_z) / 0.085
    toes = _sole_loft(toe_z, j[ball, 0] + side * 0.004 * u, 0.048 - 0.012 * u, 0.025 - 0.010 * u,
                      segs=16, part=ball, cap=(0.005, 0.015))  # fmt: skip
    thigh.blend_prox, thigh.blend_dist, thigh.blend_width = 0, knee, 0.12
    shin.blend_prox, shin.blend_dist, shin.blend_width = hip, ankle, 0.10
    foot.blend_dist, foot.blend_width = ball, 0.15
    thigh.joint_rings = {hip: thigh.joint_rings[-1], knee: thigh.joint_rings[-2]}
    shin.joint_rings = {knee: shin.joint_rings[-1], ankle: shin.joint_rings[-2]}
    foot.joint_rings = {ball: np.arange(1 + 9 * 20, 1 + 10 * 20)}  # the foot's last ring is at the ball
    toes.joint_rings = {ball: np.arange(1, 1 + 16)}
    return [thigh, shin, foot, toes]


def _arm(side: int) -> list[Piece]:
    """Collar (trapezius), upper arm, forearm, palm and fingers of one arm (side +1: left, -1: right)."""
    j = REST_JOINTS
    collar, shoulder, elbow, wrist, hand = (13, 16, 18, 20, 22) if side > 0 else (14, 17, 19, 21, 23)
    tip = j[hand] + [side * 0.09, 0.0, 0.0]
    pieces = [
        capsule(j[collar], j[shoulder], (0.05, 0.05), (0.05, 0.05), segs=16, body_rings=4, cap_rings=2, part=collar),
        capsule(j[shoulder], j[elbow], (0.052, 0.050), (0.040, 0.038), segs=20, body_rings=14, cap_rings=3,
                part=shoulder, bulge=0.08),
        capsule(j[elbow], j[wrist], (0.040, 0.038), (0.027, 0.022), segs=18, body_rings=14, cap_rings=3,
                part=elbow, bulge=0.10),
        capsule(j[wrist], j[hand], (0.040, 0.016), (0.044, 0.015), segs=16, body_rings=6, cap_rings=2, part=wrist),
        capsule(j[hand], tip, (0.042, 0.013), (0.030, 0.010), segs=14, body_rings=6, cap_rings=2, part=hand),
    ]  # fmt: skip
    chain = (13 if side > 0 else 14, shoulder, elbow, wrist, hand)
    parents = (9, collar, shoulder, elbow, wrist)
    widths = (0.25, 0.12, 0.12, 0.25, 0.25)
    for i, piece in enumerate(pieces):
        piece.blend_prox = parents[i]
        piece.blend_dist = chain[i + 1] if i + 1 < len(chain) else None
        piece.blend_width = widths[i]
        ends = (chain[i], chain[i + 1] if i + 1 < len(chain) else None)
        piece.joint_rings = {ends[0]: piece.joint_rings[-1], **({ends[1]: piece.joint_rings[-2]} if ends[1] else {})}
    return pieces


def _neck() -> Piece:
    j = REST_JOINTS
    neck = capsule(j[12], j[15], (0.056, 0.058), (0.050, 0.052), segs=20, body_rings=5, cap_rings=2, part=12)
    neck.blend_prox, neck.blend_dist, neck.blend_width = 9, 15, 0.3
    neck.joint_rings = {12: neck.joint_rings[-1], 15: neck.joint_rings[-2]}
    return neck


def build_pieces() -> list[Piece]:
    """All body parts; their vertex counts add up to TARGET_VERTEX_COUNT."""
    pieces = [_neck(), *_arm(+1), *_arm(-1), *_leg(+1), *_leg(-1)]
    head = _head(segs=28, n_rings=22)
    used = sum(len(p.vertices) for p in pieces) + len(head.vertices)
    torso_segs = 36
    torso_rings, remainder = divmod(TARGET_VERTEX_COUNT - used - 2, torso_segs)
    assert remainder == 0 and 30 <= torso_rings <= 60, (used, remainder, torso_rings)
    return [_torso(torso_segs, torso_rings), head, *pieces]
