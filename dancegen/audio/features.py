"""Music features for the motion/pose models: EDGE's 35-d librosa baseline, resampling, beat frames.

EDGE's baseline (the features the paper's "librosa" setting and EDGE's pseudo-motions use), per frame at
``fps`` with ``hop = 512`` and ``sr = fps·hop`` (15360 Hz at 30 fps):

    column  0      onset strength envelope
    columns 1–20   MFCC (20)
    columns 21–32  chroma CENS (12)
    column  33     onset-peak one-hot (``librosa.onset.onset_detect`` on the envelope)
    column  34     beat one-hot (``librosa.beat.beat_track`` on the envelope, ``start_bpm`` from
                   ``librosa.feature.tempo`` on the audio at 22050 Hz as EDGE does, tightness 100)

Below 30 fps the analysis rate is too low for the CQT's top octave, so chroma then spans fewer octaves.

Frame ``n`` is the analysis frame centred at ``n / fps`` seconds; a clip of ``S`` seconds gives
``floor(S·fps)`` frames (5 s at 30 fps → 150). The features equal librosa's own per-feature calls at the
same rate up to float rounding (``tests/audio/test_features.py`` and ``bench/features.py`` compare them) but
share work: one STFT feeds the mel spectrogram (onset envelope and MFCC) and the tuning estimate of the
constant-Q chroma, and BLAS runs single-threaded.
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dancegen.errors import AudioError

HOP_LENGTH = 512
N_FFT = 2048
N_MFCC = 20
N_CHROMA = 12
CQT_OCTAVES = 7  # chroma_cens default (C1 to C8)
EDGE_DIM = 35
ONSET_COLUMN, PEAK_COLUMN, BEAT_COLUMN = 0, 33, 34
ONE_HOT_COLUMNS = (PEAK_COLUMN, BEAT_COLUMN)
TEMPO_SR = 22050  # EDGE estimates start_bpm on the track loaded at librosa's default rate
BEAT_TIGHTNESS = 100.0
BEAT_OVERSAMPLING = 8  # music_beat_frames tracks on a grid this much finer than the frame rate
BEAT_N_FFT, BEAT_N_MELS = 512, 64  # a one-frame window: sharper onsets, latency ≈ 10 ms instead of ≈ 25 ms


class FeatureConfig(BaseModel):
    """Which music features a model consumes (config section ``audio``).

    Attributes:
        kind: ``edge`` = 35-d librosa baseline; ``jukebox`` = 4800-d Jukebox activations (paper §3.2).
        fps: feature frame rate; EDGE features are computed at ``sr = fps·512``.
        jukebox_path: local directory holding ``vqvae.pth.tar`` and ``prior_level_2.pth.tar`` (kind=jukebox).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    kind: Literal["edge", "jukebox"] = "edge"
    fps: float = Field(default=30.0, gt=0, le=120)
    jukebox_path: str | None = None

    @property
    def dim(self) -> int:
        """Feature width per frame: 35 for edge, 4800 for jukebox."""
        return EDGE_DIM if self.kind == "edge" else 4800


def extract_features(y: np.ndarray, sr: int, config: FeatureConfig) -> np.ndarray:
    """The features ``config`` asks for: ``(N, config.dim)`` float32 at ``config.fps``.

    ``kind="jukebox"`` loads the checkpoints in ``config.jukebox_path`` once per process (WeightsError naming
    ``audio.jukebox_path`` when it is unset or wrong).
    """
    if config.kind == "edge":
        return edge_features(y, sr, fps=config.fps)
    return _jukebox_extractor(config.jukebox_path).extract(y, sr, fps=config.fps)


@functools.lru_cache(maxsize=1)
def _jukebox_extractor(path: str | None):
    from dancegen.audio.jukebox import JukeboxExtractor

    return JukeboxExtractor(path)


def feature_sample_rate(fps: float) -> int:
    """The analysis rate ``fps·512`` in Hz (15360 at 30 fps); ``fps·512`` must be a whole number."""
    sr = fps * HOP_LENGTH
    if fps <= 0 or abs(sr - round(sr)) > 1e-6:
        raise AudioError(f"feature fps {fps!r} must be positive with fps·{HOP_LENGTH} a whole number (e.g. 30)")
    return int(round(sr))


def _at_rate(y: np.ndarray, sr: int, target_sr: int) -> np.ndarray:
    """``y`` resampled from ``sr`` to ``target_sr`` (soxr, librosa's default), float32."""
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise AudioError(f"audio must be mono (T,) samples, got shape {y.shape}; average the channels first")
    if sr != target_sr:
        y = librosa.resample(y, orig_sr=sr, target_sr=target_sr, res_type="soxr_hq")
    return y


def _one_blas_thread():
    """Single-threaded BLAS/OpenMP for the small matrix products here: extra threads only spin-wait when
    the cores are shared (≈ 2× slower wall time measured on 2 busy cores), and SDGPip runs one process per core."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def edge_features(y: np.ndarray, sr: int, fps: float = 30.0) -> np.ndarray:
    """EDGE's 35-d baseline music features.

    Args:
        y: ``(T,)`` mono samples at ``sr`` Hz.
        sr: sample rate of ``y``.
        fps: feature frame rate (``sr`` is resampled to ``fps·512``).

    Returns:
        ``(N, 35)`` float32, ``N = floor(T/sr·fps)``; columns as in the module docstring.
    """
    with _one_blas_thread():
        return _edge_features(y, sr, fps)


def _edge_features(y: np.ndarray, sr: int, fps: float) -> np.ndarray:
    import librosa

    feat_sr = feature_sample_rate(fps)
    y_feat = _at_rate(y, sr, feat_sr)
    n_frames = y_feat.size // HOP_LENGTH
    if n_frames < 2:
        raise AudioError(f"audio is {y.size / sr:.3f} s long; EDGE features need at least {2 / fps:.3f} s")
    magnitude = np.abs(librosa.stft(y_feat, n_fft=N_FFT, hop_length=HOP_LENGTH))  # (1+N_FFT/2, N+1)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=magnitude**2, sr=feat_sr))  # (128, N+1)
    envelope = librosa.onset.onset_strength(S=mel_db, sr=feat_sr, hop_length=HOP_LENGTH)  # (N+1,)
    mfcc = librosa.feature.mfcc(S=mel_db, sr=feat_sr, n_mfcc=N_MFCC)  # (20, N+1)
    # chroma_cqt estimates the tuning from a magnitude STFT with these very settings; hand it ours
    tuning = librosa.estimate_tuning(S=magnitude, sr=feat_sr, n_fft=N_FFT, bins_per_octave=3 * N_CHROMA)
    chroma = librosa.feature.chroma_cens(
        y=y_feat, sr=feat_sr, hop_length=HOP_LENGTH, n_chroma=N_CHROMA, tuning=tuning, n_octaves=_cqt_octaves(feat_sr)
    )  # (12, N+1)
    peaks = _one_hot(librosa.onset.onset_detect(onset_envelope=envelope, sr=feat_sr, hop_length=HOP_LENGTH), envelope)
    start_bpm = librosa.feature.tempo(y=_at_rate(y, sr, TEMPO_SR), sr=TEMPO_SR)[0]
    _, beat_frames = librosa.beat.beat_track(
        onset_envelope=envelope, sr=feat_sr, hop_length=HOP_LENGTH, start_bpm=start_bpm, tightness=BEAT_TIGHTNESS
    )
    beats = _one_hot(beat_frames, envelope)
    feats = np.concatenate([envelope[:, None], mfcc.T, chroma.T, peaks[:, None], beats[:, None]], axis=1)
    return np.ascontiguousarray(feats[:n_frames], dtype=np.float32)


def _cqt_octaves(sr: int) -> int:
    """Octaves of the chroma CQT above C1: librosa's 7 (EDGE's), fewer when 7 would pass Nyquist (fps < 30)."""
    c1_hz = 32.703
    return int(min(CQT_OCTAVES, np.floor(np.log2(0.95 * sr / 2 / c1_hz))))


def _one_hot(indices: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``(N,)`` zeros with ones at ``indices`` (N = len(like))."""
    out = np.zeros(like.shape[-1], dtype=np.float32)
    out[np.asarray(indices, dtype=np.int64)] = 1.0
    return out


def music_beat_frames(y: np.ndarray, sr: int, fps: float = 30.0) -> np.ndarray:
    """Frame indices (at ``fps``) of the musical beats, by librosa's beat tracker.

    The tracker runs on an onset envelope eight times finer than the frame grid (``sr' = fps·512``, hop 64,
    a one-frame 512-sample window; ``start_bpm`` from ``librosa.feature.tempo``, tightness 100 as in EDGE's
    beat column); the beat times are then rounded to the nearest frame ``n ↔ n / fps`` s. On EDGE's own grid
    (hop 512, 2048-sample window) the envelope lags a kick by ≈ 25–40 ms and beats land up to 2 frames late;
    here the lag is ≈ 10 ms, so beats land within one frame of the true beat at 30 fps. librosa's default
    trimming applies: weak beats at the very start and end of the audio may be left out.

    Args:
        y: ``(T,)`` mono samples at ``sr`` Hz.
        fps: frame rate of the returned indices.

    Returns:
        ``(B,)`` int64 sorted, unique frame indices in ``[0, floor(T/sr·fps))``.
    """
    import librosa

    feat_sr = feature_sample_rate(fps)
    y_feat = _at_rate(y, sr, feat_sr)
    n_frames = y_feat.size // HOP_LENGTH
    hop = HOP_LENGTH // BEAT_OVERSAMPLING
    with _one_blas_thread():
        envelope = librosa.onset.onset_strength(
            y=y_feat, sr=feat_sr, hop_length=hop, n_fft=BEAT_N_FFT, n_mels=BEAT_N_MELS
        )
        start_bpm = librosa.feature.tempo(onset_envelope=envelope, sr=feat_sr, hop_length=hop)[0]
        _, times = librosa.beat.beat_track(
            onset_envelope=envelope,
            sr=feat_sr,
            hop_length=hop,
            start_bpm=start_bpm,
            tightness=BEAT_TIGHTNESS,
            units="time",
        )
    frames = np.unique(np.round(np.asarray(times) * fps).astype(np.int64))
    return frames[(frames >= 0) & (frames < n_frames)]


def resample_features(
    feats: np.ndarray, src_fps: float, dst_fps: float, one_hot_columns: tuple[int, ...] | None = None
) -> np.ndarray:
    """Resample per-frame features from ``src_fps`` to ``dst_fps`` (the paper aligns them to the video).

    Continuous columns are linearly interpolated at the target frame times ``m / dst_fps``; one-hot event
    columns (EDGE's peak and beat columns by default, when ``D == 35``) stay one-hot: each event moves to its
    nearest target frame.

    Args:
        feats: ``(N, D)`` features, frame ``n`` at ``n / src_fps`` seconds.
        src_fps, dst_fps: frame rates.
        one_hot_columns: event columns; default ``(33, 34)`` for 35-d EDGE features, none otherwise.

    Returns:
        ``(M, D)`` float32 with ``M = floor(N·dst_fps/src_fps)`` (covers the same duration).
    """
    feats = np.asarray(feats)
    if feats.ndim != 2:
        raise AudioError(f"features must be (N, D), got shape {feats.shape}")
    if src_fps <= 0 or dst_fps <= 0:
        raise AudioError(f"frame rates must be positive, got src_fps={src_fps!r}, dst_fps={dst_fps!r}")
    n, d = feats.shape
    if one_hot_columns is None:
        one_hot_columns = ONE_HOT_COLUMNS if d == EDGE_DIM else ()
    m = int(np.floor(n * dst_fps / src_fps + 1e-9))
    if src_fps == dst_fps:
        return np.ascontiguousarray(feats, dtype=np.float32)
    src_t = np.arange(n) / src_fps
    dst_t = np.arange(m) / dst_fps
    # linear interpolation of every column at once: left index and weight per target frame
    pos = np.clip(dst_t * src_fps, 0, n - 1)
    left = np.minimum(np.floor(pos).astype(np.int64), max(n - 2, 0))
    weight = (pos - left)[:, None]
    right = np.minimum(left + 1, n - 1)
    out = (1.0 - weight) * feats[left] + weight * feats[right]
    for col in one_hot_columns:
        out[:, col] = 0.0
        events = src_t[np.flatnonzero(feats[:, col] > 0.5)]
        targets = np.clip(np.round(events * dst_fps).astype(np.int64), 0, max(m - 1, 0))
        if m:
            out[targets, col] = 1.0
    return np.ascontiguousarray(out, dtype=np.float32)
