"""Clips on disk: pairing by name, alignment of sizes and lengths (noted, never silent), sidecars, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FPS, write_clip_set

from dancegen.evaluation.clips import EvalClip, align_pair, load_clip, load_pairs, matched_names, write_clip
from dancegen.evaluation.errors import EvaluationError
from dancegen.video import write_mp4


def clip(name="c", frames=10, size=32, fps=FPS, keypoints=True) -> EvalClip:
    rng = np.random.default_rng(0)
    points = rng.uniform(0, size - 1, (frames, 3, 2)) if keypoints else None
    video = rng.integers(0, 255, (frames, size, size, 3), dtype=np.uint8)
    return EvalClip(name, video, fps, np.ones(8000, np.float32) * 0.1, 8000, points, "k" if keypoints else None)


def test_pairs_by_file_name_and_ignores_other_files(tmp_path):
    write_clip_set(tmp_path / "real", ["b", "a"])
    write_clip_set(tmp_path / "fake", ["a", "b"])
    (tmp_path / "fake" / "notes.txt").write_text("not a clip")
    assert matched_names(tmp_path / "real", tmp_path / "fake") == ["a", "b"]
    pairs = load_pairs(tmp_path / "real", tmp_path / "fake")
    assert [p.name for p in pairs] == ["a", "b"] and all(p.notes == [] for p in pairs)
    assert pairs[0].real.frames.shape == (30, 64, 64, 3) and pairs[0].real.fps == FPS
    assert pairs[0].real.sample_rate > 0 and np.abs(pairs[0].real.audio).max() > 0.05  # the music came along


def test_missing_or_empty_directories_are_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvaluationError, match="--real directory .* does not exist"):
        matched_names(tmp_path / "nope", tmp_path / "empty")
    with pytest.raises(EvaluationError, match="has no .mp4 files"):
        matched_names(tmp_path / "empty", tmp_path / "empty")


def test_a_clip_without_music_is_refused(tmp_path):
    write_mp4(tmp_path / "silent.mp4", np.zeros((6, 32, 32, 3), np.uint8), FPS)
    with pytest.raises(EvaluationError, match="silent.mp4 has no usable music"):
        load_clip(tmp_path / "silent.mp4", "real")
    (tmp_path / "broken.mp4").write_bytes(b"not an mp4 at all")
    with pytest.raises(EvaluationError, match="not a decodable mp4"):
        load_clip(tmp_path / "broken.mp4", "fake")


def test_size_and_length_differences_are_fixed_and_noted():
    real, fake = clip(frames=10, size=32), clip(frames=12, size=64)
    pair = align_pair("c", real, fake)
    assert pair.fake.frames.shape == (10, 32, 32, 3) and pair.real.frames.shape == (10, 32, 32, 3)
    assert pair.notes == [
        "generated frames resized from 64x64 to the ground truth's 32x32",
        "cut to 10 frames (generated 12, ground truth 10)",
    ]
    # keypoints follow the resize (pixel centres aligned) and the cut
    expected = (fake.keypoints[:10] + 0.5) * 0.5 - 0.5
    assert np.allclose(pair.fake.keypoints, expected)


def test_frame_rates_must_match():
    with pytest.raises(EvaluationError, match="generated video runs at 10 fps and the ground truth at 15 fps"):
        align_pair("c", clip(fps=15.0), clip(fps=10.0))


def test_written_clip_reads_back_with_its_keypoints(tmp_path):
    original = clip(frames=9, size=32)
    path = write_clip(tmp_path, original)
    loaded = load_clip(path, "fake")
    assert loaded.frames.shape == original.frames.shape and loaded.fps == FPS
    assert np.array_equal(loaded.keypoints, original.keypoints) and loaded.keypoint_source == "k"


def test_sidecar_with_the_wrong_length_is_an_error(tmp_path):
    path = write_clip(tmp_path, clip(frames=9, size=32))
    np.savez(tmp_path / "c.keypoints.npz", keypoints=np.zeros((5, 3, 2)), source=np.array("k"))
    with pytest.raises(EvaluationError, match="sidecar has 5 frames for 9 video frames"):
        load_clip(path, "fake")
    np.savez(tmp_path / "c.keypoints.npz", points=np.zeros((9, 3, 2)))
    with pytest.raises(EvaluationError, match="is not a keypoints sidecar"):
        load_clip(path, "fake")
