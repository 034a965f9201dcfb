"""SMPL bodies and motion (paper §3.1.1): model files, AIST++ motions, the procedural choreographer, posing.

- ``smpl_model``: ``ensure_smpl_model_dir`` / ``load_smpl`` (licensed SMPL or the procedural stand-in, both
  through smplx), ``vertex_part_labels``, SMPL's joint names and tree.
- ``motion``: ``Motion`` (poses, trans, fps), ``PosedBody``, batched ``pose_body``.
- ``aist``: ``load_aist_motion`` / ``save_aist_motion`` (AIST++ pickles).
- ``choreographer``: ``choreograph`` (beat-synchronised SMPL motion from music beats).
- ``contact``: root translation from foot contact, ``place_on_floor``; ``limits``: joint limits.

Coordinates: metres, y up, floor y = 0, the dancer faces +z (toward the camera). torch and smplx are
imported only when a body is loaded or posed.
"""

from dancegen.body.aist import load_aist_motion, save_aist_motion
from dancegen.body.choreographer import choreograph, choreograph_posed
from dancegen.body.contact import place_on_floor
from dancegen.body.limits import JOINT_LIMITS, limit_violation
from dancegen.body.motion import Motion, PosedBody, pose_body
from dancegen.body.moves import genre_names
from dancegen.body.smpl_model import (
    REST_FLOOR_OFFSET,
    SMPL_JOINT_NAMES,
    SMPL_PARENTS,
    ensure_smpl_model_dir,
    load_smpl,
    vertex_part_labels,
)

__all__ = [
    "JOINT_LIMITS",
    "REST_FLOOR_OFFSET",
    "SMPL_JOINT_NAMES",
    "SMPL_PARENTS",
    "Motion",
    "PosedBody",
    "choreograph",
    "choreograph_posed",
    "ensure_smpl_model_dir",
    "genre_names",
    "limit_violation",
    "load_aist_motion",
    "load_smpl",
    "place_on_floor",
    "pose_body",
    "save_aist_motion",
    "vertex_part_labels",
]
