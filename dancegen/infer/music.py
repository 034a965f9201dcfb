"""The music of a generation: loaded and checked, turned into per-frame features, and prepared for muxing.

Features are computed exactly as SDGPip computes the training clips' features (``dancegen.audio``): EDGE's
35-d librosa features over the whole track at :data:`FEATURE_FPS`, resampled to the video frame rate, then
cut per segment. The music muxed into the mp4 is the original signal (mono), resampled only when AAC does
not support its sample rate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import AudioError, ConfigError

FEATURE_FPS = 30.0  # EDGE's feature rate (hop 512 at 15360 Hz); SDGPip's default feature_fps
EDGE_FEATURE_DIM = 35
AAC_SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
MUX_SAMPLE_RATE = 44100  # used when the music's own rate is not an AAC rate


@dataclass
class Music:
    """samples: (T,) float32 mono in [-1, 1]; sample_rate: Hz."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def _from_array(audio, sample_rate) -> Music:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | np.integer) or sample_rate < 1:
        raise AudioError(f"music sample rate {sample_rate!r} must be a positive integer (Hz)")
    samples = np.asarray(audio)
    if not np.issubdtype(samples.dtype, np.number):
        raise AudioError(f"music samples must be numbers, got dtype {samples.dtype}")
    samples = samples.astype(np.float32)
    if samples.ndim == 2:  # channels-first (librosa) or channels-last (soundfile): the short axis is channels
        samples = samples.mean(axis=0 if samples.shape[0] <= samples.shape[1] else 1)
    if samples.ndim != 1:
        raise AudioError(f"music samples must be (T,) mono or (C, T) / (T, C), got shape {np.shape(audio)}")
    if not np.isfinite(samples).all():
        raise AudioError("music samples contain NaN or infinity; pass finite PCM in [-1, 1]")
    return Music(samples, int(sample_rate))


def read_music(music) -> Music:
    """A path, encoded audio bytes, or ``(samples, sample_rate)`` → :class:`Music` (AudioError on bad input)."""
    from dancegen.audio import check_audio, decode_audio_bytes, load_audio

    if isinstance(music, tuple):
        if len(music) != 2:
            raise AudioError("music given as a tuple must be (samples, sample_rate)")
        loaded = _from_array(*music)
        if len(loaded.samples):
            check_audio(loaded.samples, loaded.sample_rate, name="the music")  # silence
    elif isinstance(music, bytes | bytearray | memoryview):
        loaded = _from_array(*decode_audio_bytes(bytes(music), name="the music bytes"))
    elif isinstance(music, str | os.PathLike):
        path = Path(music)
        if not path.is_file():
            raise AudioError(f"music file {path} does not exist or is not a file; pass --music SONG (wav/flac/mp3/ogg)")
        loaded = _from_array(*load_audio(path))
    else:
        raise AudioError(f"music must be a path, encoded bytes or (samples, sample_rate), got {type(music).__name__}")
    if len(loaded.samples) == 0:
        raise AudioError("the music has no samples; pass a non-empty audio file")
    return loaded


def frame_count(music: Music, seconds: float | None, fps: float) -> int:
    """Frames of the video: ``round(seconds · fps)``, ``seconds`` defaulting to the music's duration.

    AudioError when the music is shorter than one frame; ConfigError when ``seconds`` exceeds the music.
    """
    if music.seconds < 1.0 / fps:
        raise AudioError(
            f"the music is {music.seconds:.3f} s, shorter than one video frame (1/{fps:g} s); use a longer file"
        )
    if seconds is not None and seconds > music.seconds + 0.5 / fps:
        raise ConfigError(
            f"--seconds {seconds:g} is longer than the music ({music.seconds:.2f} s); pass at most {music.seconds:.2f}"
        )
    length = music.seconds if seconds is None else seconds
    frames = int(round(length * fps))
    if frames < 1:
        raise ConfigError(f"--seconds {seconds:g} is shorter than one video frame (1/{fps:g} s); ask for more")
    return frames


def music_features(music: Music, fps: float, frames: int, feature_dim: int) -> np.ndarray:
    """(frames, feature_dim) float32 EDGE features at the video ``fps`` (padded with the last frame if short)."""
    if feature_dim != EDGE_FEATURE_DIM:
        raise ConfigError(
            f"the model's music encoder takes {feature_dim}-d features but generation extracts the "
            f"{EDGE_FEATURE_DIM}-d EDGE/librosa features; use a model trained on them (feature_dim {EDGE_FEATURE_DIM})"
        )
    from dancegen.audio import edge_features, resample_features

    features = resample_features(edge_features(music.samples, music.sample_rate, FEATURE_FPS), FEATURE_FPS, fps)
    features = np.asarray(features, np.float32)[:frames]
    if len(features) == 0:
        raise AudioError(f"the music is too short for one feature frame at {fps:g} fps; use a longer file")
    if len(features) < frames:
        pad = np.repeat(features[-1:], frames - len(features), axis=0)
        features = np.concatenate([features, pad], axis=0)
    return features


def soundtrack(music: Music, frames: int, fps: float) -> tuple[np.ndarray, int]:
    """The music cut to ``frames / fps`` seconds, at an AAC sample rate → ((T,) float32, sample_rate)."""
    samples, rate = music.samples, music.sample_rate
    if rate not in AAC_SAMPLE_RATES:
        import librosa

        samples = librosa.resample(samples, orig_sr=rate, target_sr=MUX_SAMPLE_RATE).astype(np.float32)
        rate = MUX_SAMPLE_RATE
    length = int(round(frames / fps * rate))
    return np.clip(samples[:length], -1.0, 1.0), rate
