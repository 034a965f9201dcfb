"""MP4 encoding and decoding with PyAV (H.264 video, AAC audio).

Used by SDGPip (map streams inside shards, previews), generation (the final dance video with its music)
and serving. Frames are ``(N, H, W, 3) uint8`` RGB; audio is ``(T,) float32`` mono in [-1, 1].
Encoding is deterministic for identical inputs (x264 is deterministic; no creation time is written).
"""

from __future__ import annotations

import io
import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from dancegen.storage import atomic_write_bytes


def encode_mp4(
    frames: np.ndarray,
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int = 44100,
    crf: int = 18,
    preset: str = "ultrafast",
    pix_fmt: str = "yuv420p",
    threads: int = 1,
) -> bytes:
    """Encode ``frames (N, H, W, 3) uint8`` (H, W even) to MP4 bytes, with ``audio (T,)`` muxed as AAC.

    The audio is trimmed or zero-padded to exactly ``N / fps`` seconds so that the file's streams have
    the video's duration.
    """
    import av

    frames = np.ascontiguousarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    n, h, w, _ = frames.shape
    if h % 2 or w % 2:
        raise ValueError(f"H.264 needs even frame sizes, got {w}x{h}")
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
        for frame in frames:
            for packet in vstream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
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
