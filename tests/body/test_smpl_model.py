"""The procedural SMPL-format body, loaded and posed through smplx exactly like the licensed file."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pytest
import smplx
from scipy.spatial.transform import Rotation

from dancegen.body import (
    SMPL_JOINT_NAMES,
    SMPL_PARENTS,
    Motion,
    ensure_smpl_model_dir,
    load_smpl,
    pose_body,
    vertex_part_labels,
)
from dancegen.body.procedural_mesh import signed_volume
from dancegen.body.skeleton import REST_FLOOR_OFFSET, REST_JOINTS
from dancegen.errors import WeightsError


@pytest.fixture(scope="module")
def model():
    return load_smpl()


def _one_frame(pose: np.ndarray | None = None, trans=(0.0, 0.0, 0.0)) -> Motion:
    poses = np.zeros((1, 72), np.float32) if pose is None else pose.reshape(1, 72)
    return Motion(poses, np.asarray([trans], np.float32), 30.0)


def test_procedural_file_has_smpl_layout_and_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path))
    model_dir = ensure_smpl_model_dir()
    path = model_dir / "smpl" / "SMPL_NEUTRAL.pkl"
    assert path.is_file() and model_dir.parent == tmp_path / "smpl"
    with open(path, "rb") as handle:
        data = pickle.load(handle)
    v = data["v_template"].shape[0]
    assert v == 6890
    assert data["J_regressor"].shape == (24, v) and data["weights"].shape == (v, 24)
    assert data["kintree_table"].shape == (2, 24) and data["posedirs"].shape == (v, 3, 207)
    assert data["shapedirs"].shape == (v, 3, 10) and data["f"].shape[1] == 3
    assert list(data["kintree_table"][0][1:]) == list(SMPL_PARENTS[1:])
    stamp = path.stat().st_mtime_ns
    assert ensure_smpl_model_dir() == model_dir and path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert not list(path.parent.glob(".tmp-*"))  # the atomic write left no temporary file


def test_smplx_loads_and_poses_the_body(model):
    assert isinstance(model, smplx.SMPL) and len(SMPL_JOINT_NAMES) == 24
    posed = pose_body(model, _one_frame(trans=(0.0, REST_FLOOR_OFFSET, 0.0)))
    assert posed.vertices.shape == (1, 6890, 3) and posed.joints.shape == (1, 24, 3)
    assert posed.faces.dtype == np.int32 and posed.faces.max() == 6889
    height = np.ptp(posed.vertices[0, :, 1])
    assert 1.6 < height < 1.9
    assert abs(posed.vertices[0, :, 1].min()) < 1e-4  # the AIST-like placement stands the rest pose on y = 0


def test_rest_joints_are_the_regressed_template_joints(model):
    regressed = (model.J_regressor @ model.v_template).numpy()
    posed = pose_body(model, _one_frame())
    np.testing.assert_allclose(posed.joints[0], regressed, atol=1e-5)
    np.testing.assert_allclose(regressed, REST_JOINTS, atol=1e-5)
    weights = model.J_regressor.numpy()
    assert weights.min() >= 0 and np.allclose(weights.sum(axis=1), 1.0)


def test_joints_move_with_poses(model):
    pose = np.zeros((24, 3), np.float32)
    pose[18] = Rotation.from_euler("y", -90, degrees=True).as_rotvec()  # bend the left elbow
    rest, bent = pose_body(model, _one_frame()), pose_body(model, _one_frame(pose))
    moved = np.linalg.norm(bent.joints[0] - rest.joints[0], axis=1)
    assert moved[20] > 0.2 and moved[22] > 0.2  # wrist and hand swing forward ...
    assert bent.joints[0, 20, 2] > rest.joints[0, 20, 2] + 0.2
    np.testing.assert_allclose(moved[:18], 0.0, atol=1e-6)  # ... the rest of the body stays put
    hand = vertex_part_labels(model) == 20
    assert np.linalg.norm(bent.vertices[0, hand] - rest.vertices[0, hand], axis=1).min() > 0.15


def test_shape_components_change_the_body_and_its_joints(model):
    rest = pose_body(model, _one_frame())
    taller = pose_body(model, _one_frame(), betas=np.eye(10)[0] * 2.0)
    wider = pose_body(model, _one_frame(), betas=np.eye(10)[1] * 2.0)
    assert np.ptp(taller.vertices[0, :, 1]) > np.ptp(rest.vertices[0, :, 1]) + 0.08
    assert taller.joints[0, 15, 1] > rest.joints[0, 15, 1] + 0.05  # the head joint rises with stature
    assert np.ptp(wider.vertices[0, :, 2]) > np.ptp(rest.vertices[0, :, 2]) + 0.02  # girth thickens the body
    np.testing.assert_allclose(wider.joints, rest.joints, atol=2e-3)  # ... around the same skeleton


def test_vertex_part_labels_cover_the_24_parts_in_place(model):
    labels = vertex_part_labels(model)
    v = model.v_template.numpy()
    assert labels.dtype == np.int64 and labels.shape == (6890,)
    assert set(labels.tolist()) == set(range(24))
    centroid = np.stack([v[labels == p].mean(axis=0) for p in range(24)])
    assert centroid[15, 1] == centroid[:, 1].max()  # the head is on top
    assert centroid[22, 0] > 0.7 and centroid[23, 0] < -0.7  # the hands at the ends of the T
    assert centroid[[10, 11], 1].max() < -1.1  # the toes at the bottom


def test_mesh_is_closed_and_wound_outward(model):
    faces = np.asarray(model.faces, dtype=np.int64)
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts == 2).all()  # every edge joins exactly two triangles: each part is watertight
    assert signed_volume(model.v_template.numpy().astype(np.float64), faces) > 0.03  # ~ a human's volume in m³


def test_smplx_landmark_joints_sit_on_the_face_and_feet(model):
    out = model()  # smplx appends nose, eyes, ears, toes, heels and finger tips after the 24 joints
    joints = out.joints[0].detach().numpy()
    nose, heel_l, big_toe_l = joints[24], joints[31], joints[29]
    assert nose[2] > joints[15, 2] + 0.08 and nose[1] > joints[15, 1]
    assert heel_l[2] < joints[7, 2] - 0.04 and big_toe_l[2] > joints[10, 2] + 0.05


def test_configured_dir_is_validated_and_used(tmp_path, model):
    missing = tmp_path / "no-such-dir"
    with pytest.raises(WeightsError, match="smpl_model_dir"):
        ensure_smpl_model_dir(missing)
    with pytest.raises(WeightsError, match="smpl_model_dir"):
        load_smpl(missing)
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeightsError, match="smpl/SMPL_"):
        ensure_smpl_model_dir(tmp_path / "empty")
    licensed = tmp_path / "licensed"
    (licensed / "smpl").mkdir(parents=True)
    shutil.copy(ensure_smpl_model_dir() / "smpl" / "SMPL_NEUTRAL.pkl", licensed / "smpl" / "SMPL_NEUTRAL.pkl")
    assert ensure_smpl_model_dir(licensed) == licensed
    loaded = load_smpl(licensed)
    np.testing.assert_allclose(loaded.v_template.numpy(), model.v_template.numpy())
    with pytest.raises(WeightsError, match="SMPL_MALE"):
        load_smpl(licensed, gender="male")
    with pytest.raises(WeightsError, match="gender-neutral"):
        load_smpl(None, gender="female")


@pytest.mark.integration
def test_configured_s3_dir_is_copied_and_loaded(s3_env, model, tmp_path, monkeypatch):
    from dancegen.storage import s3_client

    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path))
    source = ensure_smpl_model_dir() / "smpl" / "SMPL_NEUTRAL.pkl"
    s3_client().upload_file(str(source), s3_env, "weights/smpl/SMPL_NEUTRAL.pkl")
    loaded = load_smpl(f"s3://{s3_env}/weights")
    np.testing.assert_allclose(loaded.v_template.numpy(), model.v_template.numpy())
    with pytest.raises(WeightsError, match="smpl_model_dir 's3://.*/nothing-here'"):
        ensure_smpl_model_dir(f"s3://{s3_env}/nothing-here")
