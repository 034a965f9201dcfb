"""Tiny random-initialised models, a synthetic song and a photo for the generation tests (CPU, seconds each)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import soundfile as sf
import torch

from dancegen.models import DanceModel

SAMPLE_RATE = 22050


def song(seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """(T,) float32 mono: a 220 Hz tone with a click every half second (120 bpm)."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    clicks = (np.mod(t, 0.5) < 0.02).astype(np.float32)
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.5 * clicks * np.sin(2 * np.pi * 1760 * t)).astype(np.float32)


def photo(height: int = 64, width: int = 64, seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 RGB: a smooth random picture with a bright figure in the middle."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    cv2.ellipse(image, (width // 2, height // 2), (width // 8, height // 3), 0, 0, 360, (240, 220, 200), -1)
    return image


@pytest.fixture(scope="package", autouse=True)
def _one_thread():
    """One torch thread: the tiny networks gain nothing from more, and the 2 shared cores stay usable."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def make_song():
    """``make_song(seconds)`` → (T,) float32 at SAMPLE_RATE."""
    return song


@pytest.fixture(scope="session")
def make_photo():
    """``make_photo(height, width)`` → (H, W, 3) uint8 RGB."""
    return photo


@pytest.fixture(scope="session")
def tiny_model() -> DanceModel:
    torch.manual_seed(0)
    return DanceModel.from_preset("tiny")


@pytest.fixture(scope="session")
def model_dir(tiny_model, tmp_path_factory):
    """The tiny model saved in the DanceModel.save_pretrained layout (what training exports)."""
    return tiny_model.save_pretrained(tmp_path_factory.mktemp("model") / "model")


@pytest.fixture(scope="session")
def song_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("music") / "song.wav"
    sf.write(path, song(12.0), SAMPLE_RATE)
    return path


@pytest.fixture(scope="session")
def photo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("photo") / "me.png"
    cv2.imwrite(str(path), cv2.cvtColor(photo(), cv2.COLOR_RGB2BGR))
    return path
