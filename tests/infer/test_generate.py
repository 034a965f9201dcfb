"""End to end on the tiny random-initialised model: durations, stitching, determinism, trimming, preview."""

import cv2
import numpy as np
import pytest
import soundfile as sf

from dancegen.infer import generate, generate_video_bytes
from dancegen.infer.reference_image import ReferenceImageWarning
from dancegen.video import decode_mp4, probe_mp4

FPS = 2.0  # 5-s segments of 10 frames: several segments in a few seconds of CPU
STEPS = 2
SAMPLE_RATE = 22050  # the conftest song's rate


@pytest.fixture(scope="module")
def twelve_seconds(tiny_model, song_path, photo_path):
    """12 s of music at 2 fps: 24 frames in three 10-frame segments sharing 2 frames, with the preview."""
    return generate(
        song_path, photo_path, tiny_model, steps=STEPS, fps=FPS, overlap=2, seed=7, preview=True, progress=False
    )


def frame_differences(frames: np.ndarray) -> np.ndarray:
    """(N - 1,) mean absolute difference between consecutive frames."""
    return np.abs(np.diff(frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))


def test_video_is_as_long_as_the_music(twelve_seconds):
    facts = probe_mp4(twelve_seconds.to_mp4())
    assert facts["video_codec"] == "h264" and facts["audio_codec"] == "aac"
    assert facts["frames"] == 24 and facts["size"] == (64, 64)
    assert abs(facts["video_seconds"] - 12.0) <= 1 / FPS
    assert abs(facts["audio_seconds"] - 12.0) <= 1 / FPS


def test_segments_are_stitched_without_a_seam(twelve_seconds):
    segments = twelve_seconds.segments
    assert [(s.start, s.stop) for s in segments] == [(0, 10), (8, 18), (16, 24)]
    diffs = frame_differences(twelve_seconds.frames)
    seams = [diffs[s.new_start - 1] for s in segments[1:]]  # last old frame → first new frame
    assert max(seams) <= 2 * np.median(diffs)
    assert np.all(diffs > 0)  # no frame of the stitched video is a duplicate of its predecessor


def test_same_seed_same_video_other_seed_other_video(tiny_model, song_path, photo_path, twelve_seconds):
    kwargs = dict(steps=STEPS, fps=FPS, overlap=2, progress=False)
    again = generate(song_path, photo_path, tiny_model, seed=7, **kwargs)
    assert np.array_equal(again.frames, twelve_seconds.frames)
    assert again.to_mp4() == twelve_seconds.to_mp4()
    other = generate(song_path, photo_path, tiny_model, seed=8, seconds=5.0, **kwargs)
    assert not np.array_equal(other.frames, twelve_seconds.frames[: len(other.frames)])


def test_seconds_trims_the_video_and_the_music(tiny_model, song_path, photo_path, twelve_seconds):
    short = generate(song_path, photo_path, tiny_model, seconds=5.5, steps=STEPS, fps=FPS, overlap=2, seed=7,
                     progress=False)  # fmt: skip
    assert len(short.frames) == 11 and [(s.start, s.stop) for s in short.segments] == [(0, 10), (8, 11)]
    facts = probe_mp4(short.to_mp4())
    assert abs(facts["video_seconds"] - 5.5) <= 1 / FPS and abs(facts["audio_seconds"] - 5.5) <= 1 / FPS
    # the first segment is the same computation as in the long video (same seed, noise drawn first)
    assert np.array_equal(short.frames[:10], twelve_seconds.frames[:10])
    assert len(short.audio) == round(5.5 * SAMPLE_RATE)


def test_preview_is_video_skeleton_and_heatmaps_side_by_side(twelve_seconds, tmp_path):
    preview = twelve_seconds.preview
    assert preview.shape == (24, 64, 192, 3)
    assert np.array_equal(preview[:, :, :64], twelve_seconds.frames)
    assert preview[:, :, 64:128].any() and preview[:, :, 128:].any()  # a drawn skeleton, a coloured heatmap
    path = twelve_seconds.write_preview(tmp_path / "dance.preview.mp4")
    frames, fps = decode_mp4(path)
    assert frames.shape == (24, 64, 192, 3) and fps == FPS


def test_video_bytes_from_a_model_directory(model_dir, make_song, make_photo, tmp_path):
    wav = tmp_path / "clip.wav"
    sf.write(wav, make_song(3.0), SAMPLE_RATE)
    ok, png = cv2.imencode(".png", make_photo(96, 128))
    with pytest.warns(ReferenceImageWarning, match="not square"):
        data = generate_video_bytes(
            model_dir, wav.read_bytes(), png.tobytes(), seconds=2.0, seed=1, steps=1, guidance_scale=1.0
        )
    facts = probe_mp4(data)
    assert facts["frames"] == 6 and abs(facts["audio_seconds"] - 2.0) <= 1 / 3  # the tiny default: 3 fps
