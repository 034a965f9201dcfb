"""dancegen.video: BT.601 conversion against FFmpeg's, planar frames, MP4 round trips."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from dancegen.video import PlanarVideo, decode_mp4, encode_mp4, rgb_to_planar, rgb_to_yuv


def _smooth_frames(n: int = 3, size: int = 48) -> np.ndarray:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (n * size, size, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 3).reshape(n, size, size, 3)


@pytest.mark.parametrize("pix_fmt", ["yuv444p", "yuv420p"])
def test_rgb_to_planar_matches_ffmpeg_within_rounding(pix_fmt):
    frames = _smooth_frames()
    ours = rgb_to_planar(frames, pix_fmt).frames
    ffmpeg = np.stack(
        [av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format=pix_fmt).to_ndarray() for f in frames]
    )
    assert ours.shape == ffmpeg.shape
    tolerance = 1 if pix_fmt == "yuv444p" else 3  # 4:2:0: OpenCV and swscale average chroma slightly differently
    assert np.abs(ours.astype(int) - ffmpeg).max() <= tolerance


def test_palette_colours_match_the_frame_conversion():
    colors = np.random.default_rng(1).integers(0, 256, (64, 3), dtype=np.uint8)
    planar = rgb_to_planar(colors.reshape(1, 8, 8, 3), "yuv444p").frames[0]  # (3, 8, 8)
    assert np.abs(planar.reshape(3, -1).T.astype(int) - rgb_to_yuv(colors)).max() <= 1
    assert rgb_to_yuv([0, 0, 0]).tolist() == [16, 128, 128] and rgb_to_yuv([255, 255, 255]).tolist() == [235, 128, 128]


@pytest.mark.parametrize("pix_fmt", ["yuv444p", "yuv420p"])
@pytest.mark.parametrize("size", [48, 72])  # 72: PyAV pads the rows of its frames
def test_planar_and_rgb_input_give_the_same_file(pix_fmt, size):
    frames = _smooth_frames(size=size)
    from_rgb = encode_mp4(frames, 15.0, pix_fmt=pix_fmt, crf=10)
    assert encode_mp4(rgb_to_planar(frames, pix_fmt), 15.0, pix_fmt="ignored", crf=10) == from_rgb
    back, fps = decode_mp4(from_rgb)
    assert back.shape == frames.shape and fps == 15.0
    assert np.abs(back.astype(int) - frames).mean() < (1.0 if pix_fmt == "yuv444p" else 2.5)


def test_bad_planar_frames_are_refused():
    with pytest.raises(ValueError, match="pix_fmt"):
        PlanarVideo(np.zeros((2, 3, 8, 8), np.uint8), "nv12")
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        PlanarVideo(np.zeros((2, 8, 8, 3), np.uint8), "yuv444p")
    with pytest.raises(ValueError, match="C-contiguous"):
        PlanarVideo(np.zeros((2, 12, 16), np.uint8)[:, :, ::2], "yuv420p")
    with pytest.raises(ValueError, match="pix_fmt"):
        encode_mp4(np.zeros((2, 8, 8, 3), np.uint8), 15.0, pix_fmt="yuv422p")
