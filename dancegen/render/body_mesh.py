"""The static side of a body mesh for rendering: faces, SMPL part per vertex, rest pose, hair and face landmarks.

Hair and face landmarks are found geometrically on the rest-pose head (SMPL part 15), so they work for the
licensed SMPL files and for the procedural stand-in body alike:

- hair: head vertices on the crown (above 30 % of the head's half-height) or on the back half of the head;
- landmark vertices: the head vertex nearest to a target point on the head's bounding box — nose at the
  front, 10 % below the centre; eyes at the front, ±35 % of the half-width, 10 % above the centre; ears at
  the sides. Posed landmark vertices follow the head's rotation, which the 24 SMPL joints cannot give.

SMPL's person faces +z with y up, so the person's left is +x.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from dancegen.render.context import RenderError

NUM_PARTS = 24  # SMPL's 24 skinning parts, one per joint
HEAD_PART = 15  # SMPL joint/part "head"
FACE_LANDMARKS = ("nose", "right_eye", "left_eye", "right_ear", "left_ear")
# target on the rest head's box, in units of its half-extents (x: person's left +, y: up +, z: front +)
_LANDMARK_TARGETS = {
    "nose": (0.0, -0.1, 1.0),
    "right_eye": (-0.35, 0.1, 1.0),
    "left_eye": (0.35, 0.1, 1.0),
    "right_ear": (-1.0, 0.0, 0.0),
    "left_ear": (1.0, 0.0, 0.0),
}


@dataclass
class BodyMesh:
    """Everything per-vertex that does not change with the pose.

    Attributes:
        faces: (F, 3) int32 vertex indices.
        vertex_parts: (V,) int64 SMPL part per vertex in [0, 24).
        rest_vertices: (V, 3) float32 rest-pose (T-pose) positions in metres; drives hair, landmarks and
            the clothing patterns of the avatar (patterns stick to the body, not to the screen).
        hair: (V,) bool, head vertices covered by hair.
        landmarks: {name: vertex id} for FACE_LANDMARKS.
    """

    faces: np.ndarray
    vertex_parts: np.ndarray
    rest_vertices: np.ndarray
    hair: np.ndarray
    landmarks: dict[str, int]
    _incidence: scipy.sparse.csr_matrix | None = field(default=None, repr=False)
    _corners: list[np.ndarray] = field(default_factory=list, repr=False)

    @classmethod
    def from_arrays(cls, faces: np.ndarray, vertex_parts: np.ndarray, rest_vertices: np.ndarray) -> BodyMesh:
        """Build from raw arrays (see the class attributes for shapes); validates them."""
        faces = np.ascontiguousarray(faces, dtype=np.int32)
        parts = np.asarray(vertex_parts).astype(np.int64)
        rest = np.ascontiguousarray(rest_vertices, dtype=np.float32)
        if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
            raise RenderError(f"faces must be a non-empty (F, 3) array, got shape {faces.shape}")
        if rest.ndim != 2 or rest.shape[1] != 3:
            raise RenderError(f"rest_vertices must be (V, 3), got shape {rest.shape}")
        if parts.shape != (len(rest),):
            raise RenderError(f"vertex_parts must be ({len(rest)},) to match rest_vertices, got {parts.shape}")
        if parts.min() < 0 or parts.max() >= NUM_PARTS:
            raise RenderError(f"vertex_parts must lie in [0, {NUM_PARTS}), got [{parts.min()}, {parts.max()}]")
        if faces.min() < 0 or faces.max() >= len(rest):
            raise RenderError(f"faces index vertices outside [0, {len(rest)}): [{faces.min()}, {faces.max()}]")
        hair, landmarks = _head_regions(rest, parts)
        return cls(faces, parts, rest, hair, landmarks)

    @classmethod
    def from_model(cls, model) -> BodyMesh:
        """Build from an ``smplx.SMPL`` model (as returned by ``dancegen.body.load_smpl``)."""
        from dancegen.body.smpl_model import vertex_part_labels

        rest = model.v_template.detach().cpu().numpy()
        return cls.from_arrays(np.asarray(model.faces), vertex_part_labels(model), rest)

    @property
    def num_vertices(self) -> int:
        return len(self.rest_vertices)

    def landmark_ids(self) -> np.ndarray:
        """(5,) int64 vertex ids in FACE_LANDMARKS order."""
        return np.array([self.landmarks[name] for name in FACE_LANDMARKS], np.int64)

    def vertex_normals(self, vertices: np.ndarray) -> np.ndarray:
        """(V, 3) or (N, V, 3) float32 posed vertices → unit area-weighted vertex normals, same shape.

        Sums the (unnormalised, hence area-weighted) face normals around each vertex with one sparse (V, F)
        product per frame (≈ 0.6 ms for SMPL's 6890 vertices).
        """
        if vertices.ndim == 3:
            return np.stack([self.vertex_normals(frame) for frame in vertices])
        if self._incidence is None:
            rows = self.faces.reshape(-1)
            cols = np.repeat(np.arange(len(self.faces)), 3)
            shape = (self.num_vertices, len(self.faces))
            self._incidence = scipy.sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
            self._corners = [np.ascontiguousarray(self.faces[:, k]) for k in range(3)]
        a, b, c = (np.take(vertices, corner, axis=0) for corner in self._corners)  # (F, 3) each
        face_normals = np.cross(b - a, c - a)  # (F, 3), length = 2·area
        normals = np.asarray(self._incidence @ face_normals, np.float32)  # (V, 3)
        normals /= np.maximum(np.sqrt(np.einsum("ij,ij->i", normals, normals)), 1e-12)[:, None]
        return normals


def _head_regions(rest: np.ndarray, parts: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Hair mask (V,) bool and face landmark vertex ids from the rest-pose head (see module docstring)."""
    head_ids = np.flatnonzero(parts == HEAD_PART)
    if len(head_ids) < 8:
        raise RenderError(
            f"the body has {len(head_ids)} vertices labelled head (part {HEAD_PART}); need a full SMPL-style "
            "body whose vertex_parts come from dancegen.body.vertex_part_labels"
        )
    head = rest[head_ids]  # (H, 3)
    lo, hi = head.min(axis=0), head.max(axis=0)
    centre, half = (lo + hi) / 2.0, np.maximum((hi - lo) / 2.0, 1e-6)
    rel = (head - centre) / half  # (H, 3) in [-1, 1]
    hair = np.zeros(len(rest), bool)
    hair[head_ids] = (rel[:, 1] > 0.3) | ((rel[:, 2] < -0.1) & (rel[:, 1] > -0.6))
    landmarks = {}
    for name, target in _LANDMARK_TARGETS.items():
        landmarks[name] = int(head_ids[np.argmin(np.linalg.norm(rel - np.asarray(target), axis=1))])
    return hair, landmarks
