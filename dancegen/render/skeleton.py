"""Keypoints and the DWPose/OpenPose-style skeleton image drawn from projected joints.

Keypoint vocabulary (``KEYPOINT_NAMES``): SMPL's 24 joints followed by five face landmarks (nose, eyes,
ears) that are mesh vertices found on the rest-pose head (see ``body_mesh``), so they turn with the head.

SMPL → OpenPose-18 (COCO order) mapping used for the skeleton image and the ``"openpose18"`` joint set::

    OpenPose        source                      OpenPose         source
    0  nose         head vertex (landmark)      9  right_knee    SMPL 5  right_knee
    1  neck         SMPL 12 neck                10 right_ankle   SMPL 8  right_ankle
    2  right_sho.   SMPL 17 right_shoulder      11 left_hip      SMPL 1  left_hip
    3  right_elbow  SMPL 19 right_elbow         12 left_knee     SMPL 4  left_knee
    4  right_wrist  SMPL 21 right_wrist         13 left_ankle    SMPL 7  left_ankle
    5  left_sho.    SMPL 16 left_shoulder       14 right_eye     head vertex (landmark)
    6  left_elbow   SMPL 18 left_elbow          15 left_eye      head vertex (landmark)
    7  left_wrist   SMPL 20 left_wrist          16 right_ear     head vertex (landmark)
    8  right_hip    SMPL 2  right_hip           17 left_ear      head vertex (landmark)

plus, DWPose-style, the feet: right_foot (SMPL 11) and left_foot (SMPL 10), joined to the ankles.
Limbs are OpenPose's 17 (neck→shoulders→elbows→wrists, neck→hips→knees→ankles, neck→nose→eyes→ears) plus
the two feet. Colours follow OpenPose: limb/joint k gets hue k·20° at full saturation. Limbs are drawn first
(at 60 % brightness, like OpenPose renderings), then joint dots, in fixed order; widths scale with the image
(4 px limb half-width and dot radius at 512²), without anti-aliasing, as DWPose draws.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import cv2
import numpy as np

from dancegen.body.smpl_model import SMPL_JOINT_NAMES
from dancegen.render.body_mesh import FACE_LANDMARKS
from dancegen.render.context import RenderError

KEYPOINT_NAMES: tuple[str, ...] = tuple(SMPL_JOINT_NAMES) + FACE_LANDMARKS
OPENPOSE18: tuple[str, ...] = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)  # fmt: skip
SKELETON_POINTS: tuple[str, ...] = OPENPOSE18 + ("right_foot", "left_foot")
LIMBS: tuple[tuple[str, str], ...] = (
    ("neck", "right_shoulder"), ("neck", "left_shoulder"), ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("neck", "right_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("neck", "left_hip"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("neck", "nose"), ("nose", "right_eye"),
    ("right_eye", "right_ear"), ("nose", "left_eye"), ("left_eye", "left_ear"),
    ("right_ankle", "right_foot"), ("left_ankle", "left_foot"),
)  # fmt: skip
JOINT_SETS: dict[str, tuple[str, ...]] = {"smpl24": tuple(SMPL_JOINT_NAMES), "openpose18": OPENPOSE18}


def _hue_colors(count: int) -> np.ndarray:
    """(count, 3) uint8 RGB at hues k·20° (OpenPose's palette for k < 18)."""
    return np.array(
        [[round(255 * c) for c in colorsys.hsv_to_rgb((k % 18) / 18.0, 1.0, 1.0 if k < 18 else 0.7)]
         for k in range(count)],
        np.uint8,
    )  # fmt: skip


LIMB_COLORS = _hue_colors(len(LIMBS))  # (19, 3)
POINT_COLORS = _hue_colors(len(SKELETON_POINTS))  # (20, 3)
# (40, 3) uint8 colours of the skeleton image's labels: 0 = background, 1 + k = limb k (drawn at 60 %
# brightness), 1 + len(LIMBS) + k = joint dot k
SKELETON_PALETTE = np.concatenate([np.zeros((1, 3), np.uint8), (LIMB_COLORS * 0.6).astype(np.uint8), POINT_COLORS])


def keypoint_indices(names: Sequence[str]) -> np.ndarray:
    """Indices into KEYPOINT_NAMES of ``names`` (RenderError naming an unknown one)."""
    index = {name: i for i, name in enumerate(KEYPOINT_NAMES)}
    unknown = [name for name in names if name not in index]
    if unknown:
        raise RenderError(f"unknown keypoint(s) {unknown}; choose from {', '.join(KEYPOINT_NAMES)}")
    return np.array([index[name] for name in names], np.int64)


def resolve_joint_set(joint_set: str | Sequence[str]) -> tuple[str, ...]:
    """A joint set name ("smpl24", "openpose18") or a sequence of keypoint names → the names."""
    if isinstance(joint_set, str):
        if joint_set not in JOINT_SETS:
            raise RenderError(
                f"joint_set {joint_set!r} is not one of {', '.join(JOINT_SETS)}; or pass a list of keypoint names"
            )
        return JOINT_SETS[joint_set]
    names = tuple(joint_set)
    if not names:
        raise RenderError("joint_set is empty; give at least one keypoint name")
    keypoint_indices(names)
    return names


def draw_skeleton(points2d: np.ndarray, size: int, out: np.ndarray | None = None, labels: bool = False) -> np.ndarray:
    """(N, 20, 2) pixel positions of SKELETON_POINTS → (N, size, size, 3) uint8 skeleton images.

    Points that are not finite (e.g. behind the camera) are left out with their limbs. ``labels=True`` draws
    the same image as (N, size, size) uint8 labels, the rows of ``SKELETON_PALETTE`` (colour = palette[label]
    exactly, since nothing is anti-aliased). ``out``: an array of that shape to draw into (cleared first).
    """
    points2d = np.asarray(points2d, np.float64)
    if points2d.ndim != 3 or points2d.shape[1:] != (len(SKELETON_POINTS), 2):
        raise RenderError(f"skeleton points must be (N, {len(SKELETON_POINTS)}, 2), got {points2d.shape}")
    n = len(points2d)
    shape = (n, size, size) if labels else (n, size, size, 3)
    if out is None:
        out = np.zeros(shape, np.uint8)
    elif out.shape != shape or out.dtype != np.uint8:
        raise RenderError(f"out must be {shape} uint8, got {out.shape} {out.dtype}")
    else:
        out[...] = 0
    scale = size / 512.0
    width = max(1, int(round(8 * scale)))
    radius = max(1, int(round(4 * scale)))
    shift = 4  # sub-pixel precision of cv2 drawing (1/16 px)
    limit = 8 * size  # keep far-away points inside cv2's coordinate range
    fixed = np.round(np.clip(points2d, -limit, limit) * (1 << shift))  # (N, 20, 2)
    fixed = np.where(np.isfinite(points2d), fixed, np.nan)
    where = {name: i for i, name in enumerate(SKELETON_POINTS)}
    limb_ends = [(where[a], where[b]) for a, b in LIMBS]
    values = range(len(SKELETON_PALETTE)) if labels else [tuple(int(c) for c in color) for color in SKELETON_PALETTE]
    limb_values, point_values = values[1 : 1 + len(LIMBS)], values[1 + len(LIMBS) :]
    for frame, canvas in zip(fixed, out, strict=True):
        valid = np.isfinite(frame).all(axis=1)
        ints = np.nan_to_num(frame).astype(np.int64)
        for (a, b), value in zip(limb_ends, limb_values, strict=True):
            if valid[a] and valid[b]:
                cv2.line(canvas, tuple(ints[a]), tuple(ints[b]), value, width, cv2.LINE_8, shift)
        for k, value in enumerate(point_values):
            if valid[k]:
                cv2.circle(canvas, tuple(ints[k]), radius << shift, value, -1, cv2.LINE_8, shift)
    return out
