"""AIST++ motion pickles: round trip, the trans / scaling convention, and clear errors for bad files."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from dancegen.body import Motion, load_aist_motion, save_aist_motion
from dancegen.errors import MotionError


def _aist_dict(frames: int = 12, scaling: float = 93.5) -> dict:
    rng = np.random.default_rng(0)
    return {
        "smpl_loss": 1.25,
        "smpl_poses": rng.normal(scale=0.3, size=(frames, 72)),
        "smpl_scaling": np.array([scaling]),
        "smpl_trans": rng.normal(scale=50.0, size=(frames, 3)),
    }


def _write(path, data) -> str:
    with open(path, "wb") as handle:
        pickle.dump(data, handle)
    return str(path)


def test_loads_an_aist_file_in_metres(tmp_path):
    data = _aist_dict()
    motion = load_aist_motion(_write(tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl", data))
    assert motion.fps == 60.0 and len(motion) == 12
    np.testing.assert_allclose(motion.poses, data["smpl_poses"], atol=1e-6)
    np.testing.assert_allclose(motion.trans, data["smpl_trans"] / 93.5, atol=1e-5)


def test_save_then_load_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    motion = Motion(rng.normal(scale=0.4, size=(30, 72)), rng.normal(size=(30, 3)), 60.0)
    path = save_aist_motion(motion, str(tmp_path / "out" / "dance.pkl"), scaling=95.0)
    with open(path, "rb") as handle:
        raw = pickle.load(handle)
    assert set(raw) == {"smpl_poses", "smpl_trans", "smpl_scaling"}
    assert raw["smpl_poses"].shape == (30, 72) and raw["smpl_scaling"].shape == (1,)
    np.testing.assert_allclose(raw["smpl_trans"], motion.trans * 95.0, rtol=1e-5)
    back = load_aist_motion(path)
    np.testing.assert_allclose(back.poses, motion.poses, atol=1e-6)
    np.testing.assert_allclose(back.trans, motion.trans, atol=1e-5)


def test_save_resamples_to_60_fps(tmp_path):
    motion = Motion(np.zeros((31, 72)), np.linspace([0, 0, 0], [1, 0, 0], 31), 30.0)
    back = load_aist_motion(save_aist_motion(motion, str(tmp_path / "m.pkl")))
    assert back.fps == 60.0 and len(back) == 61
    np.testing.assert_allclose(back.trans[1], [1 / 60, 0, 0], atol=1e-6)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("smpl_poses", np.zeros((12, 69)), r"smpl_poses.*\(12, 69\)"),
        ("smpl_trans", np.zeros((11, 3)), r"smpl_trans.*\(11, 3\)"),
        ("smpl_trans", np.zeros((12, 2)), r"smpl_trans.*\(12, 2\)"),
        ("smpl_scaling", np.array([-1.0]), r"smpl_scaling.*positive"),
        ("smpl_scaling", np.ones(3), r"smpl_scaling.*\(3,\)"),
    ],
)
def test_rejects_wrong_shapes(tmp_path, key, value, message):
    data = _aist_dict()
    data[key] = value
    with pytest.raises(MotionError, match=message):
        load_aist_motion(_write(tmp_path / "bad.pkl", data))


def test_rejects_missing_keys_and_non_motion_files(tmp_path):
    data = _aist_dict()
    del data["smpl_trans"]
    with pytest.raises(MotionError, match="lacks smpl_trans"):
        load_aist_motion(_write(tmp_path / "nokey.pkl", data))
    with pytest.raises(MotionError, match="expected a dict"):
        load_aist_motion(_write(tmp_path / "list.pkl", [1, 2]))
    (tmp_path / "text.pkl").write_text("not a pickle")
    with pytest.raises(MotionError, match="not an AIST"):
        load_aist_motion(str(tmp_path / "text.pkl"))
    with pytest.raises(MotionError, match="cannot read"):
        load_aist_motion(str(tmp_path / "absent.pkl"))


class _Exploit:
    def __reduce__(self):
        return (os.getcwd, ())


def test_refuses_pickles_that_would_run_code(tmp_path):
    data = _aist_dict()
    data["smpl_loss"] = _Exploit()
    with pytest.raises(MotionError, match="refusing to load .*getcwd"):
        load_aist_motion(_write(tmp_path / "evil.pkl", data))


def test_place_on_floor_stands_a_loaded_motion_on_y0(tmp_path):
    from dancegen.body import load_smpl, place_on_floor, pose_body

    model = load_smpl()
    data = _aist_dict(frames=6, scaling=90.0)
    data["smpl_poses"] = np.zeros((6, 72))  # standing still, 2 m above the AIST floor
    data["smpl_trans"] = np.tile([0.0, 2.0 * 90.0, 0.0], (6, 1))
    motion = load_aist_motion(_write(tmp_path / "high.pkl", data))
    lowest = pose_body(model, place_on_floor(model, motion)).vertices[:, :, 1].min(axis=1)
    np.testing.assert_allclose(lowest, 0.0, atol=1e-4)
