"""Load music files (or raw file bytes) as validated mono float32 audio.

Decoding tries libsndfile first (through ``soundfile``: wav, flac, ogg/vorbis/opus, mp3 with libsndfile ≥ 1.1)
and falls back to FFmpeg (through PyAV ``av``: m4a/aac and anything else FFmpeg reads). Channels are averaged
to mono; resampling uses ``librosa.resample`` with soxr (the same default as ``librosa.load``).

Every problem a user can cause is an :class:`~dancegen.errors.AudioError` with a one-line message that names
the file and the problem: missing, empty, undecodable, silent, or shorter than the caller needs.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from dancegen.errors import AudioError

SILENCE_RMS = 1e-4
"""RMS (full scale = 1.0) below which audio counts as silent: −80 dBFS, well under any mastered track."""


def load_audio(
    path: str | os.PathLike,
    sr: int | None = None,
    *,
    min_seconds: float = 0.0,
    silence_rms: float = SILENCE_RMS,
) -> tuple[np.ndarray, int]:
    """Read a music file as mono float32 samples.

    Args:
        path: a wav/flac/mp3/ogg (or other FFmpeg-readable) file.
        sr: sample rate to return, in Hz; ``None`` keeps the file's own rate.
        min_seconds: the shortest duration the caller can use (e.g. one 5-s clip); shorter is an error.
        silence_rms: audio whose RMS is below this is rejected as silent.

    Returns:
        ``(y, sr)``: ``y`` is ``(T,)`` float32 in [-1, 1] and ``sr`` the rate it is sampled at.

    Raises:
        AudioError: the file is missing, empty, undecodable, silent or too short.
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(f"audio file {path} does not exist; check the path")
    if path.is_dir():
        raise AudioError(f"audio file {path} is a directory; pass a wav/flac/mp3/ogg file")
    if path.stat().st_size == 0:
        raise AudioError(f"audio file {path} is empty (0 bytes); re-export or re-copy it")
    return decode_audio_bytes(path.read_bytes(), sr, name=str(path), min_seconds=min_seconds, silence_rms=silence_rms)


def decode_audio_bytes(
    data: bytes,
    sr: int | None = None,
    *,
    name: str = "audio bytes",
    min_seconds: float = 0.0,
    silence_rms: float = SILENCE_RMS,
) -> tuple[np.ndarray, int]:
    """Decode the bytes of a whole audio file (as a client uploads it) to mono float32 samples.

    Args:
        data: the file's bytes (wav, flac, mp3, ogg, ...).
        sr: sample rate to return, in Hz; ``None`` keeps the file's own rate.
        name: what error messages call this audio (a file name or a request id).
        min_seconds: the shortest duration the caller can use; shorter is an error.
        silence_rms: audio whose RMS is below this is rejected as silent.

    Returns:
        ``(y, sr)``: ``y`` is ``(T,)`` float32, ``sr`` in Hz.
    """
    if sr is not None and (isinstance(sr, bool) or not isinstance(sr, int | np.integer) or sr <= 0):
        raise AudioError(f"requested sample rate {sr!r} for {name} must be a positive integer (e.g. 22050)")
    if not data:
        raise AudioError(f"{name} is empty (0 bytes); send the whole audio file")
    y, native_sr = _decode(bytes(data), name)
    if y.size == 0:
        raise AudioError(f"{name} decodes to 0 samples; the file holds no audio")
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{name} holds NaN or infinite samples; re-export the file")
    if sr is not None and sr != native_sr:
        import librosa

        y = librosa.resample(y, orig_sr=native_sr, target_sr=int(sr), res_type="soxr_hq")
        native_sr = int(sr)
    check_audio(y, native_sr, name=name, min_seconds=min_seconds, silence_rms=silence_rms)
    return np.ascontiguousarray(y, dtype=np.float32), int(native_sr)


def check_audio(
    y: np.ndarray,
    sr: int,
    *,
    name: str = "audio",
    min_seconds: float = 0.0,
    silence_rms: float = SILENCE_RMS,
) -> None:
    """Reject audio that is too short or silent.

    Args:
        y: ``(T,)`` float samples.
        sr: sample rate in Hz.
        name: what the message calls this audio.
        min_seconds: required duration in seconds.
        silence_rms: RMS threshold under which the audio is silent.
    """
    seconds = y.shape[-1] / sr
    if seconds < min_seconds:
        raise AudioError(
            f"{name} is {seconds:.2f} s long but at least {min_seconds:.2f} s is needed; use a longer track"
        )
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    if rms < silence_rms:
        raise AudioError(f"{name} is silent (RMS {rms:.1e} is below {silence_rms:.0e}); use a track with audible music")


def _decode(data: bytes, name: str) -> tuple[np.ndarray, int]:
    """``(T,)`` float32 mono samples and the native rate, via libsndfile then FFmpeg."""
    import soundfile as sf

    try:
        samples, native_sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        return samples.mean(axis=1, dtype=np.float32), int(native_sr)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as sndfile_exc:
        sndfile_reason = str(sndfile_exc).splitlines()[0] if str(sndfile_exc) else type(sndfile_exc).__name__
    try:
        return _decode_with_ffmpeg(data)
    except Exception as ffmpeg_exc:  # noqa: BLE001 — any FFmpeg failure means "not decodable"
        reason = str(ffmpeg_exc).splitlines()[0] if str(ffmpeg_exc) else type(ffmpeg_exc).__name__
        raise AudioError(
            f"{name} could not be decoded as audio (libsndfile: {sndfile_reason}; ffmpeg: {reason}); "
            "use a valid wav/flac/mp3/ogg file"
        ) from None


def _decode_with_ffmpeg(data: bytes) -> tuple[np.ndarray, int]:
    """Decode the first audio stream with PyAV to mono float32 at its native rate."""
    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        stream = container.streams.audio[0]
        native_sr = stream.codec_context.sample_rate or stream.rate
        # planar float keeps the channels apart: (channels, samples) per frame, averaged to mono below
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=native_sr)
        chunks: list[np.ndarray] = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().mean(axis=0))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().mean(axis=0))
    if not native_sr:
        raise ValueError("unknown sample rate")
    y = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return y.astype(np.float32, copy=False), int(native_sr)
