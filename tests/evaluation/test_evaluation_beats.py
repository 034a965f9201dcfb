"""Per-clip 2D-BeatAlign: keypoint sources in order, scores that follow the music, and the curves kept for plots."""

from __future__ import annotations

import numpy as np
from conftest import FPS, SECONDS, dancer_keypoints, draw

from dancegen.audio import generate_track
from dancegen.evaluation.beats import analyse_beats, mean_beat_align
from dancegen.evaluation.clips import EvalClip
from dancegen.evaluation.plots import beat_figure, beat_plot_png
from dancegen.metrics import MetricsConfig


def dance(shift: float = 0.0, keypoints: bool = True, heatmaps: np.ndarray | None = None) -> EvalClip:
    track = generate_track("house", SECONDS * 2, seed=3, sr=22050)
    points = dancer_keypoints(track.beat_times, int(SECONDS * 2 * FPS), FPS, shift=shift)
    return EvalClip(
        "c",
        draw(points),
        FPS,
        track.audio,
        track.sr,
        points if keypoints else None,
        "kp" if keypoints else None,
        heatmaps,
    )


def test_stopping_on_the_beat_scores_higher_than_stopping_between_beats():
    track = generate_track("house", SECONDS * 2, seed=3, sr=22050)
    half_beat = 30.0 / track.bpm
    on_beat = analyse_beats(dance(), MetricsConfig())
    off_beat = analyse_beats(dance(shift=half_beat), MetricsConfig())
    assert on_beat.result.available and off_beat.result.available
    assert on_beat.result.value > 0.8 > off_beat.result.value
    # the curves behind the score are kept for the plot
    assert on_beat.speed.shape == (int(SECONDS * 2 * FPS) - 1,)
    assert on_beat.motion_beats.size == on_beat.result.details["motion_beats"]
    assert on_beat.music_beats.size == on_beat.result.details["music_beats"]


def test_keypoint_sources_in_order_and_a_reason_without_any():
    clip = dance()
    heatmaps = np.zeros((len(clip.frames), 2, 8, 8), np.float32)
    heatmaps[:, :, 4, 4] = 1.0  # a motionless heatmap dancer
    given = analyse_beats(dance(heatmaps=heatmaps), MetricsConfig())
    assert given.keypoint_source == "kp"  # the clip's own keypoints beat its heatmaps
    from_maps = analyse_beats(dance(keypoints=False, heatmaps=heatmaps), MetricsConfig())
    assert from_maps.keypoint_source == "m2penc-heatmaps"
    assert not from_maps.result.available and "no motion beats" in from_maps.result.reason
    none = analyse_beats(dance(keypoints=False), MetricsConfig(), name="beat_align_ground_truth")
    assert none.result.name == "beat_align_ground_truth" and not none.result.available
    assert "metrics.dwpose_onnx is not set" in none.result.reason and none.speed is None


def test_mean_over_clips_counts_the_unavailable_ones():
    ok, missing = analyse_beats(dance(), MetricsConfig()), analyse_beats(dance(keypoints=False), MetricsConfig())
    mean = mean_beat_align("beat_align", [ok, missing, ok])
    assert mean.value == ok.result.value and mean.details["clips"] == 2 and mean.details["clips_unavailable"] == 1
    assert mean.details["keypoints"] == "kp"
    nothing = mean_beat_align("beat_align", [missing])
    assert not nothing.available and nothing.reason == missing.result.reason


def test_plot_panels_name_each_video_its_score_and_its_keypoints():
    on_beat, missing = analyse_beats(dance(), MetricsConfig()), analyse_beats(dance(keypoints=False), MetricsConfig())
    figure = beat_figure("c", on_beat, missing, FPS)
    top, bottom = figure.axes
    assert top.get_title() == f"ground truth: 2D-BeatAlign {on_beat.result.value:.3f} (keypoints: kp)"
    assert {line.get_label() for line in top.get_lines()} >= {"mean joint speed", "music beat", "motion beat"}
    assert bottom.texts[0].get_text().startswith("generated: no keypoints")


def test_plot_is_a_png_even_when_one_side_has_no_keypoints():
    png = beat_plot_png(
        "c", analyse_beats(dance(), MetricsConfig()), analyse_beats(dance(keypoints=False), MetricsConfig()), FPS
    )
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
