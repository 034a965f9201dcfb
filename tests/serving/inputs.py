"""Inputs of the serving tests: music and photos as a client uploads them, and the test repository's limits."""

from __future__ import annotations

import io

import cv2
import numpy as np
import soundfile as sf

from dancegen.audio import generate_track

STREAM_MODEL = "dance_video_stream"
MAX_AUDIO_SECONDS = 8.0  # music_features' limit in the test repository
TEST_PARAMETERS = {
    "music_features": {"max_seconds": MAX_AUDIO_SECONDS},
    "m2penc": {"torch_threads": 1},
    "dance_video": {"torch_threads": 1, "max_steps": 50},
}


def wav_bytes(seconds: float, seed: int = 0) -> bytes:
    """A procedural house track of ``seconds`` as 22.05 kHz PCM16 wav bytes."""
    track = generate_track("house", seconds, seed=seed)
    buffer = io.BytesIO()
    sf.write(buffer, track.audio, track.sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def png_bytes(height: int = 80, width: int = 64, seed: int = 0) -> bytes:
    """A smooth random picture with a bright figure, as PNG bytes (not square: the model crops it)."""
    rng = np.random.default_rng(seed)
    image = cv2.resize(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8), (width, height), interpolation=cv2.INTER_CUBIC)
    cv2.ellipse(image, (width // 2, height // 2), (width // 8, height // 3), 0, 0, 360, (240, 220, 200), -1)
    return cv2.imencode(".png", image)[1].tobytes()
