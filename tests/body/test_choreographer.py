"""The procedural choreographer: motion beats on music beats, joint limits, planted feet, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import argrelextrema

from dancegen.body import (
    Motion,
    choreograph,
    choreograph_posed,
    limit_violation,
    load_smpl,
    pose_body,
    vertex_part_labels,
)
from dancegen.body.limits import clip_to_limits, rotvec_to_euler
from dancegen.errors import ConfigError, MotionError

CASES = [("breaking", 90.0, 30.0), ("pop", 120.0, 30.0), ("jazz", 128.0, 60.0), ("krump", 150.0, 25.0)]


@pytest.fixture(scope="module")
def model():
    return load_smpl()


@pytest.fixture(scope="module")
def dances(model):
    """(genre, bpm, fps) → (music beat times, motion, posed body) for 5-second clips."""
    out = {}
    for i, (genre, bpm, fps) in enumerate(CASES):
        beats = np.arange(0.1 + 0.05 * i, 5.0, 60.0 / bpm)
        motion = choreograph(beats, 5.0, fps, genre, seed=i, model=model)
        out[(genre, bpm, fps)] = (beats, motion, pose_body(model, motion))
    return out


def _motion_beats(joints: np.ndarray) -> np.ndarray:
    """Frame positions of the local minima of the mean joint speed over all 24 joints."""
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=2).mean(axis=1)  # speed[i]: frames i → i + 1
    return argrelextrema(speed, np.less)[0] + 0.5


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]:.0f}bpm-{c[2]:.0f}fps")
def test_motion_beats_land_on_music_beats(dances, case):
    beats, motion, posed = dances[case]
    fps = case[2]
    assert len(motion) == round(5.0 * fps)
    music = beats * fps  # in frames
    motion_beats = _motion_beats(posed.joints)
    assert len(motion_beats) >= len(beats) - 2
    assert max(np.abs(music - m).min() for m in motion_beats) <= 2.0  # every motion beat is on a music beat
    inner = music[(music > 2) & (music < len(motion) - 3)]
    assert max(np.abs(motion_beats - b).min() for b in inner) <= 2.0  # every music beat gets a motion beat


def test_joint_limits_hold(dances):
    for _, motion, _ in dances.values():
        assert limit_violation(motion.poses).max() < 0.5  # degrees
        euler = rotvec_to_euler(motion.poses.reshape(-1, 24, 3))
        assert euler[:, [4, 5], 0].min() >= -0.5  # knees bend only backwards ...
        assert euler[:, 18, 2].max() <= 0.5 and euler[:, 19, 2].min() >= -0.5  # ... and elbows only one way
    overbent = np.zeros((24, 3))
    overbent[4, 0], overbent[18, 2] = -30.0, 40.0  # a knee bent forwards, an elbow bent backwards
    clipped = clip_to_limits(overbent)
    assert clipped[4, 0] == 0.0 and clipped[18, 2] == 0.0


def test_planted_feet_do_not_slide_and_stay_on_the_floor(dances, model):
    labels = vertex_part_labels(model)
    foot_vertices = [np.isin(labels, (7, 10)), np.isin(labels, (8, 11))]
    for _, motion, posed in dances.values():
        contact = motion.foot_contact
        lowest = posed.vertices[:, :, 1].min(axis=1)
        assert np.abs(lowest).max() < 0.005  # the lowest vertex is on the floor, never under it
        for foot, ball in ((0, 10), (1, 11)):
            planted = contact[1:, foot] & contact[:-1, foot]
            assert planted.mean() > 0.3
            step = np.linalg.norm(np.diff(posed.joints[:, ball][:, [0, 2]], axis=0), axis=1)
            assert step[planted].max() < 0.01  # metres per frame while planted
            sole = posed.vertices[:, foot_vertices[foot], 1].min(axis=1)
            assert sole[contact[:, foot]].max() < 0.02  # a planted foot touches the floor
        assert contact.any(axis=1).all()  # some foot always carries the weight


def test_dancing_moves_the_body(dances):
    for _, _, posed in dances.values():
        wrist_travel = np.ptp(posed.joints[:, 20:22], axis=0).max()
        assert wrist_travel > 0.4  # arms move by tens of centimetres
        assert np.ptp(posed.joints[:, [4, 5, 7, 8]], axis=0).max() > 0.08  # and so do the legs (knees or feet)


def test_same_seed_same_motion_and_seeds_differ(model):
    beats = np.arange(0.2, 3.0, 0.5)
    first = choreograph(beats, 3.0, 30.0, "hiphop", seed=7, model=model)
    again = choreograph(beats, 3.0, 30.0, "hiphop", seed=7, model=model)
    other = choreograph(beats, 3.0, 30.0, "hiphop", seed=8, model=model)
    np.testing.assert_array_equal(first.poses, again.poses)
    np.testing.assert_array_equal(first.trans, again.trans)
    np.testing.assert_array_equal(first.foot_contact, again.foot_contact)
    assert np.abs(first.poses - other.poses).max() > 0.1


def test_choreograph_posed_is_the_motion_posed(model):
    beats = np.arange(0.25, 6.0, 0.5)
    motion = choreograph(beats, 6.0, 15.0, "house", seed=4, model=model)
    same, posed = choreograph_posed(beats, 6.0, 15.0, "house", seed=4, model=model)
    assert np.array_equal(same.poses, motion.poses) and np.array_equal(same.trans, motion.trans)
    frames = np.r_[np.arange(10, 40), 3]  # a clip and its reference frame, as SDGPip takes them
    expected = pose_body(model, motion.subset(frames))
    np.testing.assert_allclose(posed.vertices[frames], expected.vertices, atol=1e-6)
    np.testing.assert_allclose(posed.joints[frames], expected.joints, atol=1e-6)
    assert np.array_equal(posed.faces, expected.faces)


def test_genres_and_inputs_are_checked(model):
    beats = np.arange(0.2, 2.0, 0.5)
    assert isinstance(choreograph(beats, 2.0, 30.0, "gBR", seed=0, model=model), Motion)  # AIST's genre code
    with pytest.raises(ConfigError, match="genre 'polka'.*breaking"):
        choreograph(beats, 2.0, 30.0, "polka", seed=0, model=model)
    with pytest.raises(MotionError, match="frames"):
        choreograph(beats, 0.01, 30.0, "pop", seed=0, model=model)
    with pytest.raises(MotionError, match="finite"):
        choreograph(np.array([0.5, np.nan]), 2.0, 30.0, "pop", seed=0, model=model)


def test_music_without_beats_still_dances_at_a_steady_pulse(model):
    motion = choreograph(np.array([]), 3.0, 30.0, "house", seed=1, model=model)
    posed = pose_body(model, motion)
    pulses = _motion_beats(posed.joints)
    assert len(pulses) >= 4 and np.allclose(np.diff(pulses), 15.0, atol=2.0)  # 0.5 s keys at 30 fps
