import pytest

from dancegen.errors import ConfigError
from dancegen.infer.segments import default_fps, default_overlap, plan_segments, segment_length, temporal_capacity


def covered(segments) -> list[int]:
    """Frame indices contributed by each segment's new part, in order."""
    return [frame for s in segments for frame in range(s.new_start, s.stop)]


@pytest.mark.parametrize("total", [1, 9, 10, 11, 18, 24, 25, 101])
@pytest.mark.parametrize(("length", "overlap"), [(10, 0), (10, 2), (10, 9), (1, 0)])
def test_segments_cover_every_frame_once_and_share_the_overlap(total, length, overlap):
    segments = plan_segments(total, length, overlap)
    assert covered(segments) == list(range(total))
    assert segments[0].start == 0 and segments[0].overlap == 0
    for previous, segment in zip(segments, segments[1:], strict=False):
        assert segment.start == previous.stop - overlap  # starts on the previous segment's last frames
        assert segment.overlap == overlap and segment.frames > overlap
        assert previous.frames == length  # only the last segment is trimmed
    assert segments[-1].stop == total and segments[-1].frames <= length


def test_twelve_seconds_at_two_fps_is_three_segments():
    segments = plan_segments(24, 10, 2)
    assert [(s.start, s.stop, s.new_start) for s in segments] == [(0, 10, 0), (8, 18, 10), (16, 24, 18)]


@pytest.mark.parametrize(("total", "length", "overlap"), [(0, 10, 0), (10, 0, 0), (10, 5, 5), (10, 5, -1)])
def test_impossible_plans_are_config_errors(total, length, overlap):
    with pytest.raises(ConfigError):
        plan_segments(total, length, overlap)


def test_default_fps_fits_five_seconds_in_the_temporal_range():
    assert default_fps(temporal_capacity(16, 16)) == 3.0  # tiny preset
    assert default_fps(temporal_capacity(32, 128)) == 6.0  # paper preset: the U-Net's 32 positions
    assert default_fps(temporal_capacity(512, None)) == 15.0  # capped at the data rate
    assert default_fps(3) == 1.0


def test_segment_longer_than_the_model_takes_names_the_fix():
    assert segment_length(5.0, 3.0, 16) == 15
    with pytest.raises(ConfigError, match=r"--fps ≤ 3\.2"):
        segment_length(5.0, 15.0, 16)


def test_default_overlap_is_an_eighth_and_leaves_new_frames():
    assert [default_overlap(n) for n in (1, 2, 10, 15, 16, 75)] == [0, 1, 1, 1, 2, 9]
