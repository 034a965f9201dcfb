"""MP4 encoding and decoding with PyAV (H.264 video, AAC audio).

Used by SDGPip (map streams inside shards, previews), generation (the final dance video with its music)
and serving. Frames are ``(N, H, W, 3) uint8`` RGB, or :class:`PlanarVideo` already in the encoder's YUV
layout; audio is ``(T,) float32`` mono in [-1, 1]. Encoding is deterministic for identical inputs (x264 is
deterministic; no creation time is written).

Colour: RGB becomes BT.601 limited-range YUV (what FFmpeg assumes for untagged SD video, and what
``decode_mp4`` inverts). The conversion happens here with OpenCV, 3-4× cheaper than FFmpeg's swscale for
rgb24 → yuv444p/yuv420p on this CPU, and within ±1 of it; frame makers that know their colours (SDGPip's palette
maps) build :class:`PlanarVideo` directly from :func:`rgb_to_yuv` colours and skip the conversion.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from dancegen.storage import atomic_write_bytes

# BT.601 limited range: [Y, U, V] = YUV_MATRIX @ [R, G, B] + YUV_OFFSET, for 8-bit RGB
YUV_MATRIX = (
    np.diag([219.0, 224.0, 224.0])
    / 255.0
    @ np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
)
YUV_OFFSET = np.array([16.0, 128.0, 128.0])
PLANAR_FORMATS = ("yuv444p", "yuv420p")


def rgb_to_yuv(colors: np.ndarray) -> np.ndarray:
    """(..., 3) RGB colours (0..255) → (..., 3) uint8 BT.601 limited-range YUV (rounded; for palettes)."""
    yuv = np.asarray(colors, np.float64) @ YUV_MATRIX.T + YUV_OFFSET
    return np.clip(np.round(yuv), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class PlanarVideo:
    """Frames in the encoder's own layout, BT.601 limited range (nothing is converted when encoding).

    ``frames``: yuv444p → (N, 3, H, W) uint8 (Y, U, V planes); yuv420p → (N, H·3/2, W) uint8 (Y plane,
    then U and V at half resolution, each H/4 rows of W: the I420 layout of ``cv2.COLOR_RGB2YUV_I420``).
    """

    frames: np.ndarray
    pix_fmt: str

    def __post_init__(self):
        if self.pix_fmt not in PLANAR_FORMATS:
            raise ValueError(f"pix_fmt must be one of {PLANAR_FORMATS}, got {self.pix_fmt!r}")
        f = self.frames
        if self.pix_fmt == "yuv444p":
            good, want = f.ndim == 4 and f.shape[1] == 3, "(N, 3, H, W)"
        else:
            good, want = f.ndim == 3 and f.shape[1] % 3 == 0, "(N, H·3/2, W)"
        if not good or f.dtype != np.uint8 or not f.flags.c_contiguous:
            raise ValueError(f"{self.pix_fmt} frames must be C-contiguous {want} uint8, got {f.shape} {f.dtype}")

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        h, w = self.frames.shape[-2:]
        return w, (h if self.pix_fmt == "yuv444p" else h * 2 // 3)


def rgb_to_planar(frames: np.ndarray, pix_fmt: str) -> PlanarVideo:
    """(N, H, W, 3) uint8 RGB (H, W even for yuv420p) → :class:`PlanarVideo` (BT.601 limited range)."""
    n, h, w, _ = frames.shape
    if pix_fmt == "yuv420p":
        out = np.empty((n, h * 3 // 2, w), np.uint8)
        for frame, planes in zip(frames, out, strict=True):
            cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420, dst=planes)
        return PlanarVideo(out, pix_fmt)
    if pix_fmt != "yuv444p":
        raise ValueError(f"pix_fmt must be one of {PLANAR_FORMATS}, got {pix_fmt!r}")
    matrix = np.hstack([YUV_MATRIX, YUV_OFFSET[:, None]])  # affine 3×4: cv2.transform rounds and saturates
    out = np.empty((n, 3, h, w), np.uint8)
    for frame, planes in zip(frames, out, strict=True):
        cv2.split(cv2.transform(frame, matrix), list(planes))
    return PlanarVideo(out, pix_fmt)


def _av_frame(planes: np.ndarray, pix_fmt: str, width: int, height: int):
    """One frame of a :class:`PlanarVideo` as a PyAV frame: one memcpy per plane when rows are unpadded."""
    import av

    frame = av.VideoFrame(width, height, pix_fmt)
    pixels = width * height
    parts = planes if pix_fmt == "yuv444p" else np.split(planes.reshape(-1), [pixels, pixels * 5 // 4])
    if any(plane.line_size != plane.width for plane in frame.planes):  # padded rows: PyAV copies row by row
        return av.VideoFrame.from_ndarray(planes, format=pix_fmt)
    for plane, data in zip(frame.planes, parts, strict=True):
        plane.update(data)
    return frame


def encode_mp4(
    frames: np.ndarray | PlanarVideo,
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int = 44100,
    crf: int = 18,
    preset: str = "ultrafast",
    pix_fmt: str = "yuv420p",
    threads: int = 1,
) -> bytes:
    """Encode ``frames`` to MP4 bytes, with ``audio (T,)`` muxed as AAC.

    ``frames``: ``(N, H, W, 3) uint8`` RGB (H, W even), stored as ``pix_fmt`` (one of ``PLANAR_FORMATS``);
    or a :class:`PlanarVideo`, stored in its own ``pix_fmt`` (the argument is then ignored). x264 runs with
    ``preset`` and ``crf`` on ``threads`` threads (1: callers parallelise over processes, which wastes less
    CPU than x264's frame threads). The audio is trimmed or zero-padded to exactly ``N / fps`` seconds so
    that the file's streams have the video's duration.
    """
    import av

    if not isinstance(frames, PlanarVideo):
        frames = np.ascontiguousarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
        if frames.shape[1] % 2 or frames.shape[2] % 2:
            raise ValueError(f"H.264 needs even frame sizes, got {frames.shape[2]}x{frames.shape[1]}")
        frames = rgb_to_planar(frames, pix_fmt)
    n, (w, h), pix_fmt = len(frames), frames.size, frames.pix_fmt
    rate = Fraction(fps).limit_denominator(1001)
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as container:
        vstream = container.add_stream("libx264", rate=rate)
        vstream.width, vstream.height, vstream.pix_fmt = w, h, pix_fmt
        vstream.options = {"crf": str(crf), "preset": preset}
        vstream.codec_context.thread_count = threads
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=sample_rate)
            astream.layout = "mono"
        for planes in frames.frames:
            for packet in vstream.encode(_av_frame(planes, pix_fmt, w, h)):
                container.mux(packet)
        for packet in vstream.encode():
            container.mux(packet)
        if astream is not None:
            want = int(round(n / float(rate) * sample_rate))
            pcm = np.zeros(want, np.float32)
            pcm[: min(want, len(audio))] = np.asarray(audio, np.float32)[:want]
            chunk = 1024
            for start in range(0, want, chunk):
                piece = pcm[start : start + chunk][None, :]
                aframe = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
                aframe.sample_rate = sample_rate
                aframe.pts = start
                for packet in astream.encode(aframe):
                    container.mux(packet)
            for packet in astream.encode():
                container.mux(packet)
    return buf.getvalue()


def write_mp4(path: str | os.PathLike, frames: np.ndarray, fps: float, **kwargs) -> Path:
    """Encode (see :func:`encode_mp4`) and write atomically; return the path."""
    path = Path(path)
    atomic_write_bytes(path, encode_mp4(frames, fps, **kwargs))
    return path


def decode_mp4(data: bytes | str | os.PathLike) -> tuple[np.ndarray, float]:
    """Decode the video stream of MP4 bytes or a file → ``(frames (N, H, W, 3) uint8, fps)``."""
    import av

    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else str(data)
    with av.open(source) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.base_rate)
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    return np.stack(frames), fps


def probe_mp4(data: bytes | str | os.PathLike) -> dict:
    """Stream facts of an MP4: codecs, frame count, fps, and the durations (seconds) of video and audio."""
    import av

    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else str(data)
    facts: dict = {}
    with av.open(source) as container:
        v = container.streams.video[0]
        frames = sum(1 for _ in container.decode(v))
        facts["video_codec"] = v.codec_context.name
        facts["frames"] = frames
        facts["fps"] = float(v.average_rate)
        facts["video_seconds"] = frames / float(v.average_rate)
        facts["size"] = (v.codec_context.width, v.codec_context.height)
    with av.open(io.BytesIO(data) if isinstance(data, bytes | bytearray) else str(data)) as container:
        if container.streams.audio:
            a = container.streams.audio[0]
            samples = sum(frame.samples for frame in container.decode(a))
            facts["audio_codec"] = a.codec_context.name
            facts["audio_seconds"] = samples / a.codec_context.sample_rate
    return facts
