"""EDGE features (shape, fps, equality with librosa's own per-feature calls), resampling, FeatureConfig."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from dancegen.audio import (
    EDGE_DIM,
    FeatureConfig,
    edge_features,
    extract_features,
    generate_track,
    resample_features,
)
from dancegen.audio.features import BEAT_COLUMN, PEAK_COLUMN
from dancegen.errors import AudioError, WeightsError


@pytest.fixture(scope="module")
def song():
    return generate_track("pop", 5.0, seed=3, bpm=120.0)


@pytest.mark.parametrize(("fps", "frames"), [(30, 150), (15, 75)])
def test_shape_follows_fps(song, fps, frames):
    feats = edge_features(song.audio, song.sr, fps=fps)
    assert feats.shape == (frames, EDGE_DIM) and feats.dtype == np.float32
    assert np.all(np.isfinite(feats))
    for col in (PEAK_COLUMN, BEAT_COLUMN):
        assert set(np.unique(feats[:, col])) == {0.0, 1.0}


def test_equals_the_plain_librosa_recipe(song):
    """The shared-STFT implementation gives EDGE's per-feature librosa calls, value for value."""
    sr = 15360
    y = librosa.resample(song.audio, orig_sr=song.sr, target_sr=sr)
    envelope = librosa.onset.onset_strength(y=y, sr=sr)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20).T
    chroma = librosa.feature.chroma_cens(y=y, sr=sr, hop_length=512, n_chroma=12).T
    peaks = np.zeros_like(envelope)
    peaks[librosa.onset.onset_detect(onset_envelope=envelope, sr=sr, hop_length=512)] = 1.0
    start_bpm = librosa.feature.tempo(y=librosa.resample(song.audio, orig_sr=song.sr, target_sr=22050), sr=22050)[0]
    _, beat_idx = librosa.beat.beat_track(
        onset_envelope=envelope, sr=sr, hop_length=512, start_bpm=start_bpm, tightness=100
    )
    beats = np.zeros_like(envelope)
    beats[beat_idx] = 1.0
    expected = np.concatenate([envelope[:, None], mfcc, chroma, peaks[:, None], beats[:, None]], axis=1)[:150]
    np.testing.assert_allclose(edge_features(song.audio, song.sr), expected, rtol=1e-5, atol=1e-5)


def test_beat_column_marks_the_kicks(song):
    feats = edge_features(song.audio, song.sr)
    beat_frames = np.flatnonzero(feats[:, BEAT_COLUMN])
    true_frames = song.beat_times * 30
    assert len(beat_frames) >= 8
    # EDGE's coarse onset envelope lags a kick by up to ~1.5 frames
    assert np.all(np.min(np.abs(beat_frames[:, None] - true_frames[None, :]), axis=1) <= 2)


def test_rejects_fps_without_whole_sample_rate(song):
    with pytest.raises(AudioError, match="fps"):
        edge_features(song.audio, song.sr, fps=30.001)


def test_rejects_stereo_array(song):
    with pytest.raises(AudioError, match="mono"):
        edge_features(np.stack([song.audio, song.audio]), song.sr)


@pytest.mark.parametrize(("dst_fps", "frames"), [(60, 300), (20, 100), (24, 120), (30, 150)])
def test_resample_shapes_and_one_hot(dst_fps, frames):
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((150, EDGE_DIM)).astype(np.float32)
    feats[:, PEAK_COLUMN] = 0
    feats[:, BEAT_COLUMN] = 0
    feats[rng.choice(150, 20, replace=False), PEAK_COLUMN] = 1
    feats[np.arange(5, 150, 15), BEAT_COLUMN] = 1  # beats every 0.5 s at 30 fps
    out = resample_features(feats, 30, dst_fps)
    assert out.shape == (frames, EDGE_DIM) and out.dtype == np.float32
    for col in (PEAK_COLUMN, BEAT_COLUMN):
        assert set(np.unique(out[:, col])) <= {0.0, 1.0}
    # beats are 0.5 s apart, so none merge: same count, each within half a target frame of its time
    src_times = np.arange(5, 150, 15) / 30
    dst_times = np.flatnonzero(out[:, BEAT_COLUMN]) / dst_fps
    assert dst_times.size == src_times.size
    assert np.max(np.abs(dst_times - src_times)) <= 0.5 / dst_fps + 1e-9


def test_resample_interpolates_continuous_columns_linearly():
    ramp = np.repeat(np.arange(30, dtype=np.float32)[:, None], 4, axis=1)  # value = frame index at 30 fps
    out = resample_features(ramp, 30, 60)
    # target frame m sits at source frame m/2; the last one past the source's end holds the last value
    np.testing.assert_allclose(out[:, 0], np.minimum(np.arange(60) / 2.0, 29.0), atol=1e-6)
    assert out.shape == (60, 4)


def test_resample_rejects_bad_input():
    with pytest.raises(AudioError, match=r"\(N, D\)"):
        resample_features(np.zeros(10), 30, 60)
    with pytest.raises(AudioError, match="positive"):
        resample_features(np.zeros((10, 35)), 0, 60)


def test_feature_config_is_strict():
    from pydantic import ValidationError

    assert FeatureConfig().dim == 35
    assert FeatureConfig(kind="jukebox", jukebox_path="/w").dim == 4800
    with pytest.raises(ValidationError):
        FeatureConfig(kind="mel")
    with pytest.raises(ValidationError):
        FeatureConfig(fps=30, hop=512)


def test_extract_features_follows_the_config(song):
    feats = extract_features(song.audio, song.sr, FeatureConfig(fps=15))
    np.testing.assert_array_equal(feats, edge_features(song.audio, song.sr, fps=15))
    with pytest.raises(WeightsError, match="audio.jukebox_path"):
        extract_features(song.audio, song.sr, FeatureConfig(kind="jukebox"))
