"""SMPL motion (per-frame axis-angle poses + root translation) and batched posing through smplx.

Convention: y up, metres, the floor is y = 0, the dancer faces +z (toward the camera). ``poses[:, :3]`` is
the root (global) orientation, ``poses[:, 3:]`` the 23 body joints in SMPL order, each an axis-angle vector
in its parent's frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dancegen.errors import MotionError

NUM_JOINTS = 24


@dataclass
class Motion:
    """poses: (N, 72) float32 axis-angle; trans: (N, 3) float32 metres; fps: frames per second.

    foot_contact: optional (N, 2) bool, which feet (left, right) are planted; the choreographer fills it,
    AIST++ files have none.
    """

    poses: np.ndarray
    trans: np.ndarray
    fps: float
    foot_contact: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.poses = np.asarray(self.poses, dtype=np.float32)
        self.trans = np.asarray(self.trans, dtype=np.float32)
        n = len(self.poses)
        if self.poses.ndim != 2 or self.poses.shape[1] != 3 * NUM_JOINTS:
            raise MotionError(f"poses must be (N, 72) axis-angle, got shape {self.poses.shape}")
        if self.trans.shape != (n, 3):
            raise MotionError(f"trans must be (N, 3) = ({n}, 3) to match poses, got shape {self.trans.shape}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise MotionError(f"fps must be a positive number, got {self.fps}")
        if not (np.isfinite(self.poses).all() and np.isfinite(self.trans).all()):
            raise MotionError("poses and trans must be finite (found NaN or inf)")
        if self.foot_contact is not None:
            self.foot_contact = np.asarray(self.foot_contact, dtype=bool)
            if self.foot_contact.shape != (n, 2):
                raise MotionError(f"foot_contact must be (N, 2) = ({n}, 2), got shape {self.foot_contact.shape}")
        self.fps = float(self.fps)

    def __len__(self) -> int:
        return len(self.poses)

    @property
    def seconds(self) -> float:
        return len(self) / self.fps

    def subset(self, frame_ids: np.ndarray) -> Motion:
        """The frames ``frame_ids`` (any integer index array), same fps."""
        ids = np.asarray(frame_ids, dtype=np.int64)
        contact = None if self.foot_contact is None else self.foot_contact[ids]
        return Motion(self.poses[ids], self.trans[ids], self.fps, contact)

    def resample(self, fps: float) -> Motion:
        """The same motion at another frame rate: slerp per joint on rotations, linear on translation.

        Frame k of the result is at time k / fps; the result covers the source's time span
        [0, (N - 1) / self.fps] without extrapolating, so it has floor((N - 1) * fps / self.fps) + 1 frames.
        """
        if not (np.isfinite(fps) and fps > 0):
            raise MotionError(f"fps must be a positive number, got {fps}")
        n = len(self)
        if n == 0:
            return Motion(self.poses, self.trans, fps, self.foot_contact)
        src_times = np.arange(n) / self.fps
        count = int(np.floor((n - 1) * fps / self.fps + 1e-6)) + 1
        times = np.minimum(np.arange(count) / fps, src_times[-1])
        if n == 1:
            idx = np.zeros(count, dtype=np.int64)
            return Motion(
                self.poses[idx], self.trans[idx], fps, None if self.foot_contact is None else self.foot_contact[idx]
            )
        from scipy.spatial.transform import Rotation, Slerp

        rotvecs = self.poses.reshape(n, NUM_JOINTS, 3).astype(np.float64)
        out = np.empty((count, NUM_JOINTS, 3))
        for joint in range(NUM_JOINTS):
            out[:, joint] = Slerp(src_times, Rotation.from_rotvec(rotvecs[:, joint]))(times).as_rotvec()
        trans = np.stack([np.interp(times, src_times, self.trans[:, i]) for i in range(3)], axis=1)
        contact = None
        if self.foot_contact is not None:
            contact = self.foot_contact[np.clip(np.rint(times * self.fps).astype(np.int64), 0, n - 1)]
        return Motion(out.reshape(count, 3 * NUM_JOINTS), trans, fps, contact)


@dataclass
class PosedBody:
    """vertices: (N, V, 3) float32 metres, world frame; joints: (N, 24, 3) float32; faces: (F, 3) int32."""

    vertices: np.ndarray
    joints: np.ndarray
    faces: np.ndarray


def pose_body(model, motion: Motion, batch: int = 256, betas: np.ndarray | None = None) -> PosedBody:
    """Run the smplx model over every frame of ``motion``, ``batch`` frames per forward pass.

    model: a smplx SMPL module (``load_smpl``); betas: optional (10,) shape, else the model's own betas.
    """
    import torch

    n = len(motion)
    poses = torch.from_numpy(motion.poses)  # (N, 72)
    trans = torch.from_numpy(motion.trans)  # (N, 3)
    shape = model.betas if betas is None else torch.as_tensor(np.asarray(betas, np.float32)).reshape(1, -1)
    num_verts = model.v_template.shape[0]
    vertices = np.empty((n, num_verts, 3), dtype=np.float32)
    joints = np.empty((n, NUM_JOINTS, 3), dtype=np.float32)
    with torch.no_grad():
        for lo in range(0, n, batch):
            hi = min(lo + batch, n)
            out = model(
                betas=shape.expand(hi - lo, -1),
                global_orient=poses[lo:hi, :3],
                body_pose=poses[lo:hi, 3:],
                transl=trans[lo:hi],
            )
            vertices[lo:hi] = out.vertices.numpy()
            joints[lo:hi] = out.joints[:, :NUM_JOINTS].numpy()
    faces = np.asarray(model.faces, dtype=np.int64).astype(np.int32)
    return PosedBody(vertices=vertices, joints=joints, faces=faces)
