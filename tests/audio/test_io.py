"""Loading and validating music files: formats, mono mix, resampling, and every bad-input error."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dancegen.audio import decode_audio_bytes, load_audio
from dancegen.errors import AudioError

SR = 22050


def _tone(seconds: float = 2.0, freq: float = 440.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(y: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    return float(np.fft.rfftfreq(y.size, 1 / sr)[np.argmax(spectrum)])


def _write_mp3(path, y: np.ndarray, sr: int) -> None:
    """Encode with PyAV's libmp3lame (the FFmpeg build in the av wheel)."""
    import av

    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=sr, layout="mono")
        frame = av.AudioFrame.from_ndarray(y[None, :], format="fltp", layout="mono")
        frame.sample_rate = sr
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_each_format_decodes_to_the_same_tone(tmp_path, fmt):
    y = _tone()
    path = tmp_path / f"tone.{fmt}"
    if fmt == "mp3":
        _write_mp3(path, y, SR)
    else:
        sf.write(path, y, SR)
    out, sr = load_audio(path)
    assert sr == SR and out.dtype == np.float32 and out.ndim == 1
    assert abs(out.size - y.size) < 0.1 * SR  # mp3 adds encoder padding, nothing more
    assert abs(_peak_hz(out, sr) - 440.0) < 3.0
    assert 0.3 < np.abs(out).max() < 0.6


def test_stereo_is_averaged_and_resampled(tmp_path):
    left = _tone()
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, np.zeros_like(left)], axis=1), SR)
    out, sr = load_audio(path, sr=16000)
    assert sr == 16000 and out.shape == (32000,)
    assert np.abs(out).max() == pytest.approx(0.25, abs=0.02)  # (L + R) / 2


def test_decode_audio_bytes_matches_load_audio(tmp_path):
    path = tmp_path / "tone.flac"
    sf.write(path, _tone(), SR)
    from_file, _ = load_audio(path, sr=15360)
    from_bytes, sr = decode_audio_bytes(path.read_bytes(), 15360)
    assert sr == 15360
    np.testing.assert_array_equal(from_file, from_bytes)


def _error(call) -> str:
    with pytest.raises(AudioError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path):
    message = _error(lambda: load_audio(tmp_path / "nope.wav"))
    assert "nope.wav" in message and "does not exist" in message


def test_directory(tmp_path):
    assert "is a directory" in _error(lambda: load_audio(tmp_path))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    message = _error(lambda: load_audio(path))
    assert "empty.wav" in message and "empty (0 bytes)" in message
    assert "empty" in _error(lambda: decode_audio_bytes(b"", 22050))


@pytest.mark.parametrize(
    "content",
    [b"this is a text file, not music\n" * 20, None],
    ids=["text", "truncated-wav"],
)
def test_corrupt_file(tmp_path, content):
    path = tmp_path / "broken.wav"
    if content is None:  # a real wav header whose data was cut off after 40 bytes
        sf.write(path, _tone(), SR)
        content = path.read_bytes()[:40]
    path.write_bytes(content)
    message = _error(lambda: load_audio(path))
    assert "broken.wav" in message and "could not be decoded" in message


def test_corrupt_bytes_name_the_request():
    message = _error(lambda: decode_audio_bytes(b"\x00\x01garbage" * 50, 22050, name="request 7"))
    assert message.startswith("request 7 could not be decoded")


def test_silent_file(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(3 * SR, np.float32), SR)
    message = _error(lambda: load_audio(path))
    assert "silence.wav" in message and "silent" in message


def test_quiet_but_audible_file_passes(tmp_path):
    path = tmp_path / "quiet.wav"
    sf.write(path, 0.01 * _tone(), SR)  # −46 dBFS: quiet, not silent
    y, _ = load_audio(path)
    assert y.size == 2 * SR


def test_too_short_file(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, _tone(seconds=1.5), SR)
    message = _error(lambda: load_audio(path, min_seconds=5.0))
    assert "short.wav" in message and "1.50 s long" in message and "5.00 s" in message
    y, _ = load_audio(path, min_seconds=1.0)
    assert y.size == int(1.5 * SR)


def test_bad_sample_rate_request(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, _tone(), SR)
    assert "positive integer" in _error(lambda: load_audio(path, sr=0))
