"""Render fixtures: one GL context, the (procedural) SMPL body and posed frames, shared by the session."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.body.motion import Motion, PosedBody, pose_body
from dancegen.body.smpl_model import REST_FLOOR_OFFSET, load_smpl
from dancegen.render import BodyMesh, GuidanceRenderer, gl_context

SIZE = 128  # small renders keep the tests fast; the maths does not depend on the size


@pytest.fixture(scope="session")
def size() -> int:
    return SIZE


@pytest.fixture(scope="session")
def gl():
    """The process's headless EGL context (created once)."""
    return gl_context()


@pytest.fixture(scope="session")
def smpl():
    return load_smpl()


@pytest.fixture(scope="session")
def body_mesh(smpl) -> BodyMesh:
    return BodyMesh.from_model(smpl)


def _motion(frames: int) -> Motion:
    """Frame 0: rest pose on the floor; later frames raise the arms, bend a knee and turn the body."""
    rng = np.random.default_rng(0)
    poses = np.zeros((frames, 72), np.float32)
    for i in range(1, frames):
        poses[i, 1] = 0.35 * i  # turn about y
        poses[i, 16 * 3 + 2] = -0.6  # left shoulder: arm down-forward
        poses[i, 17 * 3 + 2] = 0.9  # right shoulder: arm up
        poses[i, 5 * 3] = 0.8  # right knee bend
        poses[i, 3:] += rng.normal(0, 0.05, 69).astype(np.float32)
    trans = np.tile([0.0, REST_FLOOR_OFFSET, 0.0], (frames, 1)).astype(np.float32)
    trans[:, 0] = np.linspace(0.0, 0.3, frames)
    return Motion(poses, trans, fps=30.0)


@pytest.fixture(scope="session")
def posed(smpl) -> PosedBody:
    """4 frames: (4, 6890, 3) vertices, (4, 24, 3) joints."""
    return pose_body(smpl, _motion(4))


@pytest.fixture(scope="session")
def renderer(gl, body_mesh) -> GuidanceRenderer:
    return GuidanceRenderer(body_mesh, size=SIZE, heatmap_size=32, heatmap_sigma=1.0)


@pytest.fixture(scope="session")
def maps(renderer, posed):
    from dancegen.render import Appearance

    return renderer.render(posed, Appearance())
