import numpy as np
import pytest
from metric_standins import FPS, SR, click_track, square_video

from dancegen.errors import ImageError
from dancegen.metrics import audio_peaks, av_align_metric, av_align_score, flow_magnitudes, video_peaks

JUMPS = [12, 31, 50, 72]


def test_score_on_hand_made_peaks():
    # hits: 10↔11 and 41↔40; 20 and 30 have no video peak within one frame → 2 / (4 + 3 − 2)
    assert av_align_score(np.array([10, 20, 30, 41]), np.array([11, 25, 40])) == pytest.approx(0.4)
    assert av_align_score(np.array([5, 9]), np.array([5, 9])) == 1.0
    assert av_align_score(np.array([10, 11]), np.array([10])) == pytest.approx(0.5)  # one video peak, one hit
    assert av_align_score(np.array([3]), np.array([], int)) == 0.0
    assert av_align_score(np.array([], int), np.array([], int)) is None


def test_video_peaks_are_strict_local_maxima():
    np.testing.assert_array_equal(video_peaks(np.array([0, 1, 0, 2, 2, 0, 3, 1])), [1, 6])


def test_flow_peaks_sit_on_the_jumps():
    magnitudes = flow_magnitudes(square_video(JUMPS))
    assert magnitudes.shape == (90,)
    np.testing.assert_array_equal(video_peaks(magnitudes), JUMPS)
    assert magnitudes[JUMPS].min() > 1.0


def test_audio_peaks_sit_on_the_clicks():
    peaks = audio_peaks(click_track(JUMPS), SR, FPS)
    assert len(peaks) == len(JUMPS)
    assert np.abs(peaks - np.array(JUMPS)).max() <= 1


def test_clicks_on_the_jumps_align_better_than_clicks_off_them():
    video = square_video(JUMPS)
    aligned = av_align_metric(video, click_track(JUMPS), SR, FPS)
    misaligned = av_align_metric(video, click_track([j + 6 for j in JUMPS]), SR, FPS)
    assert aligned.value >= 0.75 and misaligned.value < aligned.value
    assert aligned.details == {"audio_peaks": 4, "video_peaks": 4, "tolerance_frames": 1}


def test_downscaling_keeps_the_peaks():
    video = np.repeat(np.repeat(square_video(JUMPS, frames=40), 2, axis=1), 2, axis=2)  # 128²
    np.testing.assert_array_equal(video_peaks(flow_magnitudes(video, size=64)), [12, 31])


def test_a_single_frame_is_refused():
    with pytest.raises(ImageError, match="at least 2"):
        flow_magnitudes(square_video([], frames=1))
