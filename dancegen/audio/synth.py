"""Procedural music: genre-flavoured drum/bass/chord tracks on an exact beat grid.

Stands in for the paper's 300 music tracks (AIST's ten genres) wherever real music is absent, so SDGPip and
the tests can run offline. Every track puts a kick on every beat, so its beat grid is audible and librosa's
beat tracker recovers it; ``Track.beat_times`` is that grid, exact: beat ``k`` at ``LEAD_IN_SECONDS + k·60/bpm`` s.
The short silent lead-in lets an onset detector see the first kick (it needs a little audio before an onset).

A track is a pure function of ``(genre, seconds, seed, bpm, sr)``: all randomness comes from one
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.audio import instruments as inst
from dancegen.errors import AudioError

BPM_RANGE = (80.0, 160.0)
STEPS_PER_BEAT = 4  # patterns are written on a 16th-note grid
LEAD_IN_SECONDS = 0.1  # silence before the first beat


@dataclass(frozen=True)
class GenrePreset:
    """How one genre sounds. Patterns hold one bar on the 16th grid: 'X' accent, 'x' hit, 'g' ghost, '.' rest."""

    bpm: tuple[float, float]
    kick: str
    snare: str
    hat: str
    bass: str  # 'x' starts a bass note on that step
    progressions: tuple[tuple[tuple[int, str], ...], ...]  # chords as (semitones above the key, quality)
    beats_per_bar: int = 4
    swing: float = 0.0  # fraction of a 16th by which off-beat 16ths are delayed
    bass_style: str = "root"  # root | octave | walk
    hat_decay_s: float = 0.03
    kick_decay_s: float = 0.12
    chord_gain: float = 0.12
    minor: bool = False


MAJ, MIN, DOM7, MAJ7, MIN7 = "maj", "min", "7", "maj7", "min7"
_QUALITY = {MAJ: (0, 4, 7), MIN: (0, 3, 7), DOM7: (0, 4, 7, 10), MAJ7: (0, 4, 7, 11), MIN7: (0, 3, 7, 10)}
_POP = (((0, MAJ), (7, MAJ), (9, MIN), (5, MAJ)), ((0, MAJ), (5, MAJ), (7, MAJ), (5, MAJ)))
_MINOR = (((0, MIN), (8, MAJ), (3, MAJ), (10, MAJ)), ((0, MIN), (5, MIN), (10, MAJ), (3, MAJ)))
_FUNK = (((0, DOM7), (0, DOM7), (5, DOM7), (0, DOM7)), ((0, MIN7), (5, DOM7), (0, MIN7), (7, DOM7)))
_JAZZ = (((2, MIN7), (7, DOM7), (0, MAJ7), (9, DOM7)), ((0, MAJ7), (9, MIN7), (2, MIN7), (7, DOM7)))

PRESETS: dict[str, GenrePreset] = {
    "hiphop": GenrePreset((85, 115), "X...x...X...x...", "....X.......X...", "x.x.x.x.x.x.x.x.", "x.....x.x.......",
                          _MINOR, swing=0.25, minor=True),
    "middle_hiphop": GenrePreset((85, 110), "X...x...X...x...", "....X..g....X...", "x.x.x.x.x.x.x.x.",
                                 "x...x.....x.x...", _MINOR, swing=0.15, minor=True),
    "house": GenrePreset((118, 130), "X...x...X...x...", "....x.......x...", "..x...x...x...x.", "..x...x...x...x.",
                         _MINOR, bass_style="octave", hat_decay_s=0.08, minor=True),
    "pop": GenrePreset((100, 130), "X...x...X...x...", "....X.......X...", "x.x.x.x.x.x.x.x.", "x.......x.......",
                       _POP, chord_gain=0.15),
    "breaking": GenrePreset((105, 135), "X...x...X...x...", "....X.......X..g", "x.x.x.x.x.x.x.x.",
                            "x..x......x.....", _FUNK, swing=0.1),
    "krump": GenrePreset((130, 160), "X...x...X...x...", "....X.......X...", "x...x...x...x...", "x.......x.......",
                         _MINOR, kick_decay_s=0.16, minor=True),
    "waack": GenrePreset((110, 130), "X...x...X...x...", "....x.......x...", "..x...x...x...x.", "x.x.x.x.x.x.x.x.",
                         _POP, bass_style="octave", hat_decay_s=0.08),
    "jazz": GenrePreset((120, 160), "X...x...X...x...", "....g.......g...", "x...x..xx...x..x", "x...x...x...x...",
                        _JAZZ, swing=0.33, bass_style="walk", hat_decay_s=0.12, chord_gain=0.15),
    "ballet": GenrePreset((80, 110), "X...x...x...", "............", "x...x...x...", "x...........", _POP,
                          beats_per_bar=3, kick_decay_s=0.2, chord_gain=0.2),
    "lock": GenrePreset((100, 130), "X...x...X...x...", "....X.......X...", "x.x.x.x.x.x.x.x.", "x..x..x...x.x...",
                        _FUNK, swing=0.1),
}  # fmt: skip


def list_genres() -> tuple[str, ...]:
    """The genre names :func:`generate_track` accepts (AIST's ten genres)."""
    return tuple(PRESETS)


@dataclass(frozen=True, eq=False)
class Track:
    """A generated piece of music and its true beat grid.

    Attributes:
        audio: ``(T,)`` float32 mono samples, peak ≤ 0.9.
        sr: sample rate in Hz.
        bpm: tempo in beats per minute.
        genre: one of :func:`list_genres`.
        beat_times: ``(B,)`` float64 seconds of every beat, ``LEAD_IN_SECONDS + k·60/bpm``; a kick starts on each.
        downbeat_times: ``(D,)`` float64 seconds of the first beat of each bar.
    """

    audio: np.ndarray
    sr: int
    bpm: float
    genre: str
    beat_times: np.ndarray
    downbeat_times: np.ndarray

    @property
    def seconds(self) -> float:
        return self.audio.size / self.sr


def generate_track(genre: str, seconds: float, seed: int, bpm: float | None = None, sr: int = 22050) -> Track:
    """Synthesise ``seconds`` of music in ``genre``.

    Args:
        genre: one of :func:`list_genres`.
        seconds: duration (> 0).
        seed: all randomness (tempo when ``bpm`` is None, key, chords, drum noise) comes from this seed.
        bpm: tempo in [80, 160]; ``None`` draws one from the genre's range.
        sr: sample rate in Hz (≥ 8000).

    Returns:
        The :class:`Track`; ``audio`` has ``round(seconds·sr)`` samples.
    """
    if genre not in PRESETS:
        raise AudioError(f"unknown genre {genre!r}; choose one of {', '.join(PRESETS)}")
    if not seconds > 0:
        raise AudioError(f"track length {seconds!r} s must be positive")
    if bpm is not None and not BPM_RANGE[0] <= bpm <= BPM_RANGE[1]:
        raise AudioError(f"bpm {bpm!r} is outside {BPM_RANGE[0]:g}–{BPM_RANGE[1]:g}; pick a tempo in that range")
    if sr < 8000:
        raise AudioError(f"sample rate {sr} Hz is too low for synthesis; use at least 8000 (e.g. 22050)")
    preset = PRESETS[genre]
    rng = np.random.default_rng(seed)
    drawn_bpm = float(np.round(rng.uniform(*preset.bpm), 1))
    bpm = float(bpm) if bpm is not None else drawn_bpm
    beat_s = 60.0 / bpm
    n_samples = int(round(seconds * sr))
    n_beats = int(np.ceil(seconds / beat_s))
    beat_times = LEAD_IN_SECONDS + np.arange(n_beats) * beat_s
    beat_times = beat_times[beat_times < seconds]
    downbeat_times = beat_times[:: preset.beats_per_bar]

    key = int(rng.integers(0, 12))  # semitones above C
    progression = preset.progressions[int(rng.integers(len(preset.progressions)))]
    sounds = _drum_kit(preset, sr, rng)
    drums = np.zeros(n_samples + sr, np.float64)  # one extra second so decays never index past the end
    music = np.zeros_like(drums)
    steps_per_bar = preset.beats_per_bar * STEPS_PER_BEAT
    step_s = beat_s / STEPS_PER_BEAT
    n_bars = int(np.ceil(n_beats / preset.beats_per_bar))
    cache: dict[tuple, np.ndarray] = {}  # synthesised chords and bass notes, reused bar after bar
    for bar in range(n_bars):
        bar_start = LEAD_IN_SECONDS + bar * preset.beats_per_bar * beat_s
        chord_root, quality = progression[bar % len(progression)]
        root = 36 + (key + chord_root) % 12  # MIDI, bass octave (C2..B2)
        for step in range(steps_per_bar):
            on_beat = step % STEPS_PER_BEAT == 0
            swing = 0.0 if step % 2 == 0 else preset.swing * step_s
            start = int(round((bar_start + step * step_s + swing) * sr))
            for part, pattern, gain in (("kick", preset.kick, 1.0), ("snare", preset.snare, 0.2),
                                        ("hat", preset.hat, 0.12)):  # fmt: skip
                hit = pattern[step]
                if hit != ".":
                    velocity = {"X": 1.0, "x": 0.9, "g": 0.35}[hit] * (1.0 if on_beat or part != "hat" else 0.7)
                    inst.place(drums, sounds[part], start, gain * velocity)
        _add_bass(music, preset, root, quality, bar_start, step_s, sr, bar, cache)
        if (chord_root, quality) not in cache:  # the progression repeats: synthesise each chord once
            notes = [60 + (key + chord_root) % 12 + i for i in _QUALITY[quality]]
            cache[chord_root, quality] = inst.chord(sr, notes, preset.beats_per_bar * beat_s)
        inst.place(music, cache[chord_root, quality], int(round(bar_start * sr)), preset.chord_gain)
    mix = (drums + music)[:n_samples]
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    audio = (0.9 * mix / peak if peak > 0 else mix).astype(np.float32)
    return Track(audio, sr, bpm, genre, beat_times.astype(np.float64), downbeat_times.astype(np.float64))


def _drum_kit(preset: GenrePreset, sr: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One kick, snare and hat sample for the track, with seeded variation of pitch and decay."""
    return {
        "kick": inst.kick(sr, pitch_hz=rng.uniform(45.0, 60.0), decay_s=preset.kick_decay_s),
        "snare": inst.snare(sr, rng, tone_hz=rng.uniform(160.0, 220.0), decay_s=rng.uniform(0.08, 0.14)),
        "hat": inst.hat(sr, rng, decay_s=preset.hat_decay_s),
    }


def _add_bass(
    music: np.ndarray,
    preset: GenrePreset,
    root: int,
    quality: str,
    bar_start: float,
    step_s: float,
    sr: int,
    bar: int,
    cache: dict[tuple, np.ndarray],
) -> None:
    """Add one bar of bass line (in place): notes start where ``preset.bass`` has 'x' and last until the next."""
    starts = [i for i, c in enumerate(preset.bass) if c == "x"]
    intervals = _QUALITY[quality]
    for n, step in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(preset.bass)
        if preset.bass_style == "octave":
            note = root + (12 if n % 2 else 0)
        elif preset.bass_style == "walk":
            note = root + (intervals[n % len(intervals)] if n < len(starts) - 1 else 10 + (bar % 2))
        else:
            note = root
        length = (end - step) * step_s * 0.9
        if ("bass", note, end - step) not in cache:
            cache["bass", note, end - step] = inst.tone(sr, inst.midi_to_hz(note), length, harmonics=4,
                                                        brightness=0.5, attack_s=0.02,
                                                        release_s=min(0.05, 0.5 * length))  # fmt: skip
        inst.place(music, cache["bass", note, end - step], int(round((bar_start + step * step_s) * sr)), 0.35)


def beats_path(path: str | os.PathLike) -> Path:
    """Where :func:`write_track` puts the beat grid of ``path``: ``<path>.beats.json``."""
    return Path(f"{os.fspath(path)}.beats.json")


def write_track(track: Track, path: str | os.PathLike) -> Path:
    """Write ``track`` as a PCM16 wav at ``path`` and its true beats as ``<path>.beats.json``, both atomically.

    The JSON holds ``{"genre", "bpm", "sr", "seconds", "beat_times", "downbeat_times"}`` (times in seconds).

    Returns:
        The path of the beats file.
    """
    import io

    import soundfile as sf

    from dancegen.storage import atomic_write_bytes

    buffer = io.BytesIO()
    sf.write(buffer, track.audio, track.sr, format="WAV", subtype="PCM_16")
    atomic_write_bytes(path, buffer.getvalue())
    meta = {
        "genre": track.genre,
        "bpm": track.bpm,
        "sr": track.sr,
        "seconds": track.seconds,
        "beat_times": [float(t) for t in track.beat_times],
        "downbeat_times": [float(t) for t in track.downbeat_times],
    }
    out = beats_path(path)
    atomic_write_bytes(out, json.dumps(meta, indent=1).encode())
    return out
