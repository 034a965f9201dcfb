"""Procedural music: determinism, every genre, the beat grid, tempo bounds, writing wav + beats.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dancegen.audio import BPM_RANGE, beats_path, generate_track, list_genres, load_audio, write_track
from dancegen.audio.synth import LEAD_IN_SECONDS, PRESETS, STEPS_PER_BEAT
from dancegen.errors import AudioError

AIST_GENRES = {"hiphop", "house", "pop", "breaking", "krump", "waack", "jazz", "ballet", "lock", "middle_hiphop"}


def test_genres_cover_aist():
    assert AIST_GENRES <= set(list_genres())


def test_same_seed_same_audio_other_seed_differs():
    a = generate_track("house", 3.0, seed=7)
    b = generate_track("house", 3.0, seed=7)
    c = generate_track("house", 3.0, seed=8)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert a.bpm == b.bpm
    assert not np.array_equal(a.audio, c.audio)


@pytest.mark.parametrize("genre", sorted(AIST_GENRES))
def test_each_genre_generates(genre):
    track = generate_track(genre, 3.0, seed=1, sr=16000)
    preset = PRESETS[genre]
    assert track.audio.shape == (48000,) and track.audio.dtype == np.float32 and track.sr == 16000
    assert np.all(np.isfinite(track.audio)) and 0.5 < np.abs(track.audio).max() <= 0.9 + 1e-6
    assert preset.bpm[0] <= track.bpm <= preset.bpm[1] and BPM_RANGE[0] <= track.bpm <= BPM_RANGE[1]
    np.testing.assert_allclose(np.diff(track.beat_times), 60.0 / track.bpm)
    assert track.beat_times[0] == pytest.approx(LEAD_IN_SECONDS) and track.beat_times[-1] < 3.0
    np.testing.assert_array_equal(track.downbeat_times, track.beat_times[:: preset.beats_per_bar])
    assert np.abs(track.audio[: int(0.9 * LEAD_IN_SECONDS * 16000)]).max() == 0.0  # silent lead-in


@pytest.mark.parametrize("genre", sorted(PRESETS))
def test_every_preset_kicks_on_every_beat(genre):
    preset = PRESETS[genre]
    steps = preset.beats_per_bar * STEPS_PER_BEAT
    for pattern in (preset.kick, preset.snare, preset.hat, preset.bass):
        assert len(pattern) == steps
    assert all(preset.kick[i] != "." for i in range(0, steps, STEPS_PER_BEAT))


def test_explicit_bpm_sets_the_grid():
    track = generate_track("pop", 4.0, seed=0, bpm=96.0)
    assert track.bpm == 96.0
    np.testing.assert_allclose(track.beat_times, LEAD_IN_SECONDS + np.arange(7) * 0.625)


def test_kick_energy_sits_on_the_beats():
    """Low-frequency energy rises right at each beat time (the grid is audible, not just metadata)."""
    track = generate_track("jazz", 4.0, seed=2, bpm=90.0)
    sr, y = track.sr, track.audio
    win = int(0.02 * sr)
    for t in track.beat_times[1:-1]:
        i = int(round(t * sr))
        assert np.sqrt(np.mean(y[i : i + win] ** 2)) > 3 * np.sqrt(np.mean(y[i - win : i] ** 2))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(genre="polka"), "unknown genre"),
        (dict(bpm=200.0), "outside 80–160"),
        (dict(seconds=0.0), "positive"),
        (dict(sr=4000), "too low"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = dict(genre="pop", seconds=2.0, seed=0) | kwargs
    with pytest.raises(AudioError, match=match):
        generate_track(**args)


def test_write_track_round_trips(tmp_path):
    track = generate_track("lock", 2.5, seed=4)
    path = tmp_path / "out" / "lock.wav"
    beats_file = write_track(track, path)
    assert beats_file == beats_path(path) == tmp_path / "out" / "lock.wav.beats.json"
    y, sr = load_audio(path)
    assert sr == track.sr and y.shape == track.audio.shape
    np.testing.assert_allclose(y, track.audio, atol=1.0 / 32768 + 1e-6)  # PCM16 quantisation only
    meta = json.loads(beats_file.read_text())
    assert meta["genre"] == "lock" and meta["bpm"] == track.bpm and meta["sr"] == track.sr
    np.testing.assert_allclose(meta["beat_times"], track.beat_times)
    np.testing.assert_allclose(meta["downbeat_times"], track.downbeat_times)
    assert sorted(p.name for p in path.parent.iterdir()) == ["lock.wav", "lock.wav.beats.json"]  # no temp files
