"""Clips to evaluate: ground-truth and generated videos with their music, paired by name.

On disk a clip is ``<name>.mp4`` (H.264 video with the music as its audio stream), optionally with a
``<name>.keypoints.npz`` sidecar (``keypoints (F, J, 2)`` pixels and ``source``, the name of what made
them) that 2D-BeatAlign uses when no DWPose model is configured. ``dancegen evaluate --real DIR --fake DIR``
pairs the two directories by file name; :func:`write_clip` writes the same layout, so a benchmark's clips
can be scored again from disk.

A generated clip is compared frame by frame with its ground truth, so both must have the same frame rate;
a generated clip of another frame size is resized to the ground truth's, and a pair whose lengths differ
is cut to the shorter one. Each such adjustment is recorded in the pair's ``notes`` (and in the report),
never made silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from dancegen.errors import AudioError, DancegenError
from dancegen.evaluation.errors import EvaluationError
from dancegen.metrics import Clip
from dancegen.storage import atomic_write_bytes

VIDEO_SUFFIX = ".mp4"
KEYPOINTS_SUFFIX = ".keypoints.npz"
FPS_TOLERANCE = 1e-3


@dataclass
class EvalClip:
    """One video with its music.

    frames: (F, H, W, 3) uint8 RGB at ``fps``; audio: (T,) float32 mono at ``sample_rate``;
    keypoints: (F, J, 2) float64 pixel x/y of body joints, or None; keypoint_source: what made them;
    heatmaps: (F, J, h, w) M2PEnc joint heatmaps predicted with a generated clip, or None;
    path: the mp4 this clip was read from or written to, if any.
    """

    name: str
    frames: np.ndarray
    fps: float
    audio: np.ndarray
    sample_rate: int
    keypoints: np.ndarray | None = None
    keypoint_source: str | None = None
    heatmaps: np.ndarray | None = None
    path: Path | None = None

    def metric_clip(self, with_heatmaps: bool = True) -> Clip:
        """The clip as :func:`dancegen.metrics.evaluate` takes it."""
        return Clip(self.frames, self.audio, self.sample_rate, self.fps, self.heatmaps if with_heatmaps else None)


@dataclass
class ClipPair:
    """A ground-truth clip and the clip generated for the same music; ``notes`` list adjustments made."""

    name: str
    real: EvalClip
    fake: EvalClip
    notes: list[str] = field(default_factory=list)


def clip_names(directory: str | os.PathLike, what: str) -> list[str]:
    """Sorted names (file stems) of the ``*.mp4`` files in ``directory``; EvaluationError if none."""
    root = Path(directory)
    if not root.is_dir():
        raise EvaluationError(f"{what} directory {root} does not exist; pass a directory of .mp4 clips")
    names = sorted(path.stem for path in root.iterdir() if path.suffix.lower() == VIDEO_SUFFIX and path.is_file())
    if not names:
        raise EvaluationError(f"{what} directory {root} has no .mp4 files; it must hold one mp4 (with audio) per clip")
    return names


def matched_names(real_dir: str | os.PathLike, fake_dir: str | os.PathLike) -> list[str]:
    """The clip names present in both directories; EvaluationError naming every unmatched clip otherwise."""
    real, fake = clip_names(real_dir, "--real"), clip_names(fake_dir, "--fake")
    only_real, only_fake = sorted(set(real) - set(fake)), sorted(set(fake) - set(real))
    if only_real or only_fake:
        parts = []
        if only_real:
            parts.append(f"only in --real: {', '.join(n + VIDEO_SUFFIX for n in only_real)}")
        if only_fake:
            parts.append(f"only in --fake: {', '.join(n + VIDEO_SUFFIX for n in only_fake)}")
        raise EvaluationError(
            f"real and fake clips do not pair by file name ({'; '.join(parts)}); give every generated clip "
            "the file name of its ground-truth clip"
        )
    return real


def read_keypoints(path: Path) -> tuple[np.ndarray, str] | None:
    """The ``<name>.keypoints.npz`` sidecar of ``path`` as ``(keypoints (F, J, 2), source)``, or None."""
    sidecar = path.with_name(path.stem + KEYPOINTS_SUFFIX)
    if not sidecar.is_file():
        return None
    try:
        with np.load(sidecar, allow_pickle=False) as data:
            keypoints, source = np.asarray(data["keypoints"], np.float64), str(data["source"])
    except (OSError, ValueError, KeyError) as exc:
        raise EvaluationError(
            f"{sidecar} is not a keypoints sidecar (npz with 'keypoints' (F, J, 2) and 'source'): {exc}"
        ) from None
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
        raise EvaluationError(f"{sidecar}: keypoints must be (F, J, 2), got {keypoints.shape}")
    return keypoints, source


def load_clip(path: str | os.PathLike, what: str) -> EvalClip:
    """Decode one mp4 (frames, fps, music) and its keypoints sidecar; ``what`` names the set in errors."""
    from dancegen.audio import load_audio
    from dancegen.video import decode_mp4

    path = Path(path)
    try:
        frames, fps = decode_mp4(path)
    except DancegenError:
        raise
    except Exception as exc:  # PyAV raises its own error types for broken containers
        raise EvaluationError(f"{what} clip {path} is not a decodable mp4 video ({exc})") from None
    try:
        audio, sample_rate = load_audio(path)
    except AudioError as exc:
        raise EvaluationError(
            f"{what} clip {path.name} has no usable music ({exc}); evaluation scores each dance against the "
            "music muxed into its mp4"
        ) from None
    clip = EvalClip(path.stem, frames, fps, audio, sample_rate, path=path)
    sidecar = read_keypoints(path)
    if sidecar is not None:
        clip.keypoints, clip.keypoint_source = sidecar
        if len(clip.keypoints) != len(frames):
            raise EvaluationError(
                f"{what} clip {path.name}: its keypoints sidecar has {len(clip.keypoints)} frames for "
                f"{len(frames)} video frames; rewrite the sidecar"
            )
    return clip


def _resized(clip: EvalClip, height: int, width: int) -> EvalClip:
    """``clip`` with frames (and keypoints) scaled to ``height × width``."""
    h, w = clip.frames.shape[1:3]
    interpolation = cv2.INTER_AREA if h > height or w > width else cv2.INTER_LINEAR
    frames = np.stack([cv2.resize(frame, (width, height), interpolation=interpolation) for frame in clip.frames])
    keypoints = None
    if clip.keypoints is not None:  # pixel centres stay aligned: x' = (x + 0.5)·W'/W − 0.5
        scale = np.array([width / w, height / h])
        keypoints = (clip.keypoints + 0.5) * scale - 0.5
    return replace(clip, frames=frames, keypoints=keypoints)


def _trimmed(clip: EvalClip, frames: int) -> EvalClip:
    """The first ``frames`` frames of ``clip`` (keypoints and heatmaps too; the audio is kept whole)."""
    return replace(
        clip,
        frames=clip.frames[:frames],
        keypoints=None if clip.keypoints is None else clip.keypoints[:frames],
        heatmaps=None if clip.heatmaps is None else clip.heatmaps[:frames],
    )


def align_pair(name: str, real: EvalClip, fake: EvalClip) -> ClipPair:
    """Pair two clips of one music: same fps required; size and length adjusted (and noted), see module doc."""
    if abs(real.fps - fake.fps) > FPS_TOLERANCE:
        raise EvaluationError(
            f"clip {name}: the generated video runs at {fake.fps:g} fps and the ground truth at {real.fps:g} fps; "
            "generate at the ground truth's frame rate (frames are compared one to one)"
        )
    notes = []
    if fake.frames.shape[1:3] != real.frames.shape[1:3]:
        (fh, fw), (rh, rw) = fake.frames.shape[1:3], real.frames.shape[1:3]
        notes.append(f"generated frames resized from {fw}x{fh} to the ground truth's {rw}x{rh}")
        fake = _resized(fake, rh, rw)
    if len(fake.frames) != len(real.frames):
        frames = min(len(fake.frames), len(real.frames))
        notes.append(f"cut to {frames} frames (generated {len(fake.frames)}, ground truth {len(real.frames)})")
        real, fake = _trimmed(real, frames), _trimmed(fake, frames)
    return ClipPair(name, real, fake, notes)


def load_pairs(real_dir: str | os.PathLike, fake_dir: str | os.PathLike) -> list[ClipPair]:
    """Every clip of ``real_dir`` paired with the same-named clip of ``fake_dir`` (see :func:`matched_names`)."""
    pairs = []
    for name in matched_names(real_dir, fake_dir):
        real = load_clip(Path(real_dir) / f"{name}{VIDEO_SUFFIX}", "real")
        fake = load_clip(Path(fake_dir) / f"{name}{VIDEO_SUFFIX}", "fake")
        pairs.append(align_pair(name, real, fake))
    return pairs


def write_clip(directory: str | os.PathLike, clip: EvalClip) -> Path:
    """Write ``<directory>/<name>.mp4`` (with the music) and its keypoints sidecar; return the mp4 path."""
    import io

    from dancegen.infer.music import Music, soundtrack
    from dancegen.video import write_mp4

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    audio, rate = soundtrack(Music(np.asarray(clip.audio, np.float32), clip.sample_rate), len(clip.frames), clip.fps)
    path = write_mp4(directory / f"{clip.name}{VIDEO_SUFFIX}", clip.frames, clip.fps, audio=audio, sample_rate=rate)
    if clip.keypoints is not None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, keypoints=clip.keypoints.astype(np.float64), source=np.array(clip.keypoint_source))
        atomic_write_bytes(directory / f"{clip.name}{KEYPOINTS_SUFFIX}", buffer.getvalue())
    return path
