"""Tiny synthetic clip sets on disk: ground-truth and generated mp4s (64×64, 15 fps) with procedural music."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dancegen.audio import generate_track
from dancegen.video import write_mp4

FPS = 15.0
SECONDS = 2.0


def dancer_keypoints(beat_times: np.ndarray, frames: int, fps: float, shift: float = 0.0) -> np.ndarray:
    """(F, 2, 2) keypoints of a block that swings between beats: it stops (speed minimum) on each beat + ``shift`` s."""
    t = np.arange(frames) / fps - shift
    period = float(np.median(np.diff(beat_times)))
    phase = (t - beat_times[0]) / period  # integer at every beat
    x = 32 + 12 * np.cos(np.pi * phase)  # cos: speed 0 at whole beats
    centre = np.stack([x, np.full(frames, 30.0)], axis=-1)
    return np.stack([centre, centre + [0.0, 6.0]], axis=1)


def draw(keypoints: np.ndarray, colour=(210, 120, 40)) -> np.ndarray:
    """(F, 64, 64, 3) uint8 frames of a 12×16 block at each frame's first keypoint."""
    frames = np.full((len(keypoints), 64, 64, 3), 25, np.uint8)
    for f, (x, y) in enumerate(keypoints[:, 0]):
        left, top = int(round(x)) - 6, int(round(y)) - 8
        frames[f, top : top + 16, max(left, 0) : left + 12] = colour
    return frames


def write_clip_set(
    directory: Path, names: list[str], noise: int = 0, keypoints: bool = False, seed: int = 0
) -> dict[str, np.ndarray]:
    """One mp4 (with music) per name; ``noise`` adds uniform pixel noise; returns each clip's keypoints."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for index, name in enumerate(names):
        track = generate_track("pop", SECONDS, seed=index, sr=22050)
        points = dancer_keypoints(track.beat_times, int(SECONDS * FPS), FPS)
        frames = draw(points)
        if noise:
            frames = np.clip(frames.astype(int) + rng.integers(-noise, noise + 1, frames.shape), 0, 255).astype(
                np.uint8
            )
        write_mp4(directory / f"{name}.mp4", frames, FPS, audio=track.audio, sample_rate=track.sr)
        if keypoints:
            np.savez(directory / f"{name}.keypoints.npz", keypoints=points, source=np.array("test-keypoints"))
        written[name] = points
    return written


@pytest.fixture
def clip_dirs(tmp_path) -> tuple[Path, Path]:
    """``real/`` and ``fake/`` with two clips each (fake = real + pixel noise), no keypoint sidecars."""
    real, fake = tmp_path / "real", tmp_path / "fake"
    write_clip_set(real, ["a", "b"])
    write_clip_set(fake, ["a", "b"], noise=12)
    return real, fake
