"""Synthesised one-shot sounds for the procedural music generator (drums, bass notes, chord pads).

Each function returns a ``(T,)`` float32 array at sample rate ``sr`` with a peak near 1.0; the caller scales
and places it. Noise-based sounds draw from the caller's ``numpy.random.Generator``, so a track is a pure
function of its seed.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt


def midi_to_hz(note: float) -> float:
    """Frequency in Hz of a MIDI note number (69 = A4 = 440 Hz)."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def _decay(sr: int, seconds: float, decay_s: float) -> np.ndarray:
    """``(T,)`` exponential envelope exp(-t / decay_s)."""
    t = np.arange(int(seconds * sr)) / sr
    return np.exp(-t / decay_s)


def kick(
    sr: int, *, pitch_hz: float = 50.0, sweep: float = 3.0, decay_s: float = 0.12, click: float = 0.4
) -> np.ndarray:
    """Bass drum: a sine whose pitch falls from ``pitch_hz·(1+sweep)`` to ``pitch_hz``, plus a short click.

    Returns:
        ``(T,)`` float32, about 6·decay_s long.
    """
    seconds = 6.0 * decay_s
    t = np.arange(int(seconds * sr)) / sr
    freq = pitch_hz * (1.0 + sweep * np.exp(-t / 0.03))  # Hz, falling quickly to the body pitch
    phase = 2.0 * np.pi * np.cumsum(freq) / sr
    body = np.sin(phase) * np.exp(-t / decay_s)
    transient = click * np.exp(-t / 0.002) * np.sin(2.0 * np.pi * 3000.0 * t)
    out = body + transient
    return (out / np.max(np.abs(out))).astype(np.float32)


def snare(
    sr: int, rng: np.random.Generator, *, tone_hz: float = 190.0, decay_s: float = 0.12, noise_mix: float = 0.7
) -> np.ndarray:
    """Snare/clap: band-passed noise (1–6 kHz) over a decaying tone.

    Returns:
        ``(T,)`` float32, about 5·decay_s long.
    """
    env = _decay(sr, 5.0 * decay_s, decay_s)
    t = np.arange(env.size) / sr
    band = butter(2, [1000.0, min(6000.0, 0.45 * sr)], btype="bandpass", fs=sr, output="sos")
    noise = sosfilt(band, rng.standard_normal(env.size))
    noise /= np.max(np.abs(noise)) + 1e-12
    tone = np.sin(2.0 * np.pi * tone_hz * t) * np.exp(-t / (0.5 * decay_s))
    out = (noise_mix * noise + (1.0 - noise_mix) * tone) * env
    return (out / np.max(np.abs(out))).astype(np.float32)


def hat(sr: int, rng: np.random.Generator, *, decay_s: float = 0.03) -> np.ndarray:
    """Hi-hat or ride: high-passed noise (above 7 kHz or 0.6·Nyquist) with a fast decay.

    Returns:
        ``(T,)`` float32, about 5·decay_s long.
    """
    env = _decay(sr, 5.0 * decay_s, decay_s)
    cutoff = min(7000.0, 0.3 * sr)
    noise = sosfilt(butter(4, cutoff, btype="highpass", fs=sr, output="sos"), rng.standard_normal(env.size))
    out = noise * env
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def tone(
    sr: int,
    freq_hz: float,
    seconds: float,
    *,
    harmonics: int = 6,
    brightness: float = 1.0,
    attack_s: float = 0.01,
    release_s: float = 0.05,
    decay_s: float | None = None,
) -> np.ndarray:
    """A harmonic note (saw-like for brightness 1, near-sine for small brightness) with an attack/release ramp.

    Args:
        freq_hz: fundamental frequency.
        seconds: note length including the release.
        harmonics: partials summed (those above Nyquist are dropped).
        brightness: partial k has amplitude ``k ** -(1 / brightness)``.
        attack_s, release_s: linear fade-in and fade-out lengths.
        decay_s: optional exponential decay (plucked sound) instead of a flat sustain.

    Returns:
        ``(T,)`` float32, T = seconds·sr.
    """
    n = max(int(seconds * sr), 1)
    t = np.arange(n) / sr
    out = np.zeros(n)
    for k in range(1, harmonics + 1):
        if k * freq_hz >= 0.45 * sr:
            break
        out += k ** (-1.0 / max(brightness, 1e-3)) * np.sin(2.0 * np.pi * k * freq_hz * t)
    env = np.ones(n)
    n_attack, n_release = min(int(attack_s * sr), n), min(int(release_s * sr), n)
    if n_attack:
        env[:n_attack] = np.linspace(0.0, 1.0, n_attack)
    if n_release:
        env[-n_release:] *= np.linspace(1.0, 0.0, n_release)
    if decay_s is not None:
        env *= np.exp(-t / decay_s)
    out *= env
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def chord(
    sr: int, notes: list[float], seconds: float, *, attack_s: float = 0.06, brightness: float = 0.6
) -> np.ndarray:
    """A pad chord: the MIDI ``notes`` summed, soft attack so the chord adds little onset energy.

    Returns:
        ``(T,)`` float32, T = seconds·sr.
    """
    voices = [tone(sr, midi_to_hz(n), seconds, harmonics=5, brightness=brightness, attack_s=attack_s,
                   release_s=0.1) for n in notes]  # fmt: skip
    out = np.sum(voices, axis=0)
    return (out / (np.max(np.abs(out)) + 1e-12)).astype(np.float32)


def place(buffer: np.ndarray, sound: np.ndarray, start: int, gain: float) -> None:
    """Add ``gain·sound`` into ``buffer`` from sample ``start`` on (clipped at the buffer's end), in place."""
    if start >= buffer.size or start < 0:
        return
    end = min(buffer.size, start + sound.size)
    buffer[start:end] += gain * sound[: end - start]
