import numpy as np
import pytest
from metric_standins import FPS, SR, click_track, keypoints_with_beats

from dancegen.errors import AudioError, ConfigError, MotionError
from dancegen.metrics import beat_align_metric, beat_align_score, joint_speed, motion_beats, music_beats

BEATS = [15, 30, 45, 60, 75]


def test_motion_beats_are_the_speed_minima():
    keypoints = keypoints_with_beats(BEATS, frames=90)
    assert joint_speed(keypoints).shape == (89,)
    np.testing.assert_array_equal(motion_beats(keypoints, fps=FPS), BEATS)
    np.testing.assert_array_equal(motion_beats(keypoints, fps=FPS, smooth_sigma=1.0), BEATS)


def test_score_is_one_on_the_beat_and_falls_monotonically_with_the_shift():
    motion = motion_beats(keypoints_with_beats(BEATS, frames=90), fps=FPS)
    scores = [beat_align_score(motion, np.array(BEATS) + shift) for shift in range(6)]
    assert scores[0] == 1.0
    assert all(later < earlier for earlier, later in zip(scores, scores[1:], strict=False))
    assert scores[3] == pytest.approx(np.exp(-9 / 18))  # σ = 3 frames


def test_bailando_direction_averages_over_music_beats():
    motion = np.array([15, 30, 45, 60])
    music = np.array([30, 60])
    assert beat_align_score(motion, music) == pytest.approx(0.5 + 0.5 * np.exp(-(15**2) / 18))
    assert beat_align_score(motion, music, direction="music-to-motion") == 1.0
    assert beat_align_score(np.array([], int), music) is None
    with pytest.raises(ConfigError):
        beat_align_score(motion, music, direction="sideways")


def test_music_beats_follow_a_click_track():
    beats = music_beats(click_track(list(range(6, 240, 15)), frames=240), SR, FPS)  # 120 BPM
    assert len(beats) >= 10
    assert np.median(np.diff(beats)) == pytest.approx(15, abs=1)


def test_dancing_on_the_clicks_beats_dancing_off_them():
    clicks = list(range(6, 240, 15))
    audio = click_track(clicks, frames=240)
    beat_frames = music_beats(audio, SR, FPS)
    on_beat = beat_align_metric(keypoints_with_beats(list(beat_frames), 240), audio, SR, FPS, "m2penc-heatmaps")
    shifted = list(np.asarray(beat_frames[:-1]) + 7)
    off_beat = beat_align_metric(keypoints_with_beats(shifted, 240), audio, SR, FPS, "m2penc-heatmaps")
    assert on_beat.value == pytest.approx(1.0) and off_beat.value < 0.3
    assert on_beat.details["keypoints"] == "m2penc-heatmaps" and on_beat.details["music_beats"] >= 10


def test_a_still_dancer_has_no_beats_and_no_score():
    still = np.zeros((60, 5, 2))
    result = beat_align_metric(still, click_track([10, 25, 40], frames=60), SR, FPS, "dwpose-onnx")
    assert result.status == "unavailable" and "no motion beats" in result.reason


def test_bad_inputs_are_named():
    with pytest.raises(MotionError, match=r"\(F, J, 2\)"):
        motion_beats(np.zeros((10, 2)))
    with pytest.raises(MotionError, match="NaN"):
        motion_beats(np.full((10, 3, 2), np.nan))
    with pytest.raises(AudioError, match="silent"):
        music_beats(np.zeros(SR, np.float32), SR, FPS)
