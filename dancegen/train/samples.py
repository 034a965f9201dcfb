"""One SDGPip clip → one training sample, and samples → a batch of tensors.

A stage asks for ``frames`` target frames per clip (1 for stages 0/2, a window for 3, the whole clip for
1); the window start comes from a seeded generator, so the same (seed, epoch, sample index) always picks
the same frames. Images are resized to the model's ``image_size`` (area filter down, linear up; the
semantic part map nearest-neighbour so part colours stay exact) and scaled to [-1, 1]. Music features
always cover the whole clip (the 5-s segment the music encoder sees at inference); ``frame_ids`` say which
of its frames are the targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np
import torch

from dancegen.errors import ConfigError
from dancegen.sdgpip.shards import ClipSample


@dataclass(frozen=True)
class SampleSpec:
    """What a stage needs from a clip.

    frames: target frames per sample, ``None`` for all of the clip's frames.
    image_size: side of the square images the model takes.
    map_types: guidance maps to decode (empty when the stage uses none).
    need_frames: decode the target video (``rgb``) and the reference photo.
    need_heatmaps: keep the joint heatmaps.
    feature_dim, heatmap_channels: the model's expectations, checked against the data.
    """

    frames: int | None
    image_size: int
    map_types: tuple[str, ...] = ()
    need_frames: bool = True
    need_heatmaps: bool = False
    feature_dim: int | None = None
    heatmap_channels: int | None = None

    @property
    def streams(self) -> tuple[str, ...]:
        """The shard's video streams to decode."""
        return (("rgb",) if self.need_frames else ()) + tuple(self.map_types)


@dataclass
class TrainSample:
    """One clip prepared for training. F target frames, F_clip clip frames, S = image_size.

    features: (F_clip, D) float32; frame_ids: (F,) int64 indices into the clip;
    frames: (3, F, S, S) float32 in [-1, 1] or None; reference: (3, S, S) float32 in [-1, 1] or None;
    maps: map type → (3, F, S, S) float32 in [-1, 1]; heatmaps: (F, J, h, w) float32 in [0, 1] or None.
    """

    key: str
    features: np.ndarray
    frame_ids: np.ndarray
    frames: np.ndarray | None = None
    reference: np.ndarray | None = None
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    heatmaps: np.ndarray | None = None


def resize_images(images: np.ndarray, size: int, nearest: bool = False) -> np.ndarray:
    """(N, H, W, 3) uint8 → (N, size, size, 3) uint8."""
    if images.shape[1] == size and images.shape[2] == size:
        return images
    if nearest:
        interpolation = cv2.INTER_NEAREST
    else:
        interpolation = cv2.INTER_AREA if images.shape[1] > size else cv2.INTER_LINEAR
    return np.stack([cv2.resize(image, (size, size), interpolation=interpolation) for image in images])


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """(N, S, S, 3) uint8 → (3, N, S, S) float32 in [-1, 1]."""
    return (images.astype(np.float32) / 127.5 - 1.0).transpose(3, 0, 1, 2)


def resize_clip(clip: ClipSample, spec: SampleSpec) -> ClipSample:
    """The clip with every decoded map stream and the reference at the model's ``image_size`` (for caching;
    :func:`prepare_sample` then resizes nothing)."""
    size = spec.image_size
    maps = {name: resize_images(video, size, nearest=name == "semantic") for name, video in clip.maps.items()}
    reference = None if clip.reference is None else resize_images(clip.reference[None], size)[0]
    return replace(clip, maps=maps, reference=reference)


def clip_bytes(clip: ClipSample) -> int:
    """Memory held by a decoded clip's arrays."""
    arrays = [clip.audio, clip.features, clip.heatmaps, clip.reference, *clip.maps.values()]
    return sum(array.nbytes for array in arrays if array is not None)


def check_clip(clip: ClipSample, spec: SampleSpec, data: str) -> None:
    """Raise ConfigError when the dataset does not fit the model (feature size, heatmap joints, length),
    whether or not this stage uses them: a dataset that cannot train every stage is refused at the first."""
    if spec.feature_dim is not None and clip.features.shape[1] != spec.feature_dim:
        raise ConfigError(
            f"dataset {data} has {clip.features.shape[1]}-d music features but the model's music encoder takes "
            f"{spec.feature_dim} (feature_dim); use a dataset of matching features or set model.overrides"
        )
    if spec.heatmap_channels is not None and clip.heatmaps.shape[1] != spec.heatmap_channels:
        raise ConfigError(
            f"dataset {data} has {clip.heatmaps.shape[1]} heatmap joints but m2penc.heatmap_channels is "
            f"{spec.heatmap_channels}; set model.overrides.m2penc.heatmap_channels={clip.heatmaps.shape[1]}"
        )
    if spec.frames is not None and len(clip.features) < spec.frames:
        raise ConfigError(
            f"dataset {data} has {len(clip.features)}-frame clips but the stage asks for {spec.frames} frames; "
            f"lower stages.stageN.frames"
        )


def prepare_sample(clip: ClipSample, spec: SampleSpec, rng: np.random.Generator) -> TrainSample:
    """Pick the target frames with ``rng`` and convert the decoded clip (see :class:`TrainSample`)."""
    clip_frames = len(clip.features)
    count = clip_frames if spec.frames is None else spec.frames
    start = int(rng.integers(0, clip_frames - count + 1))
    frame_ids = np.arange(start, start + count, dtype=np.int64)
    sample = TrainSample(key=clip.key, features=clip.features.astype(np.float32), frame_ids=frame_ids)
    if spec.need_frames:
        sample.frames = to_unit_range(resize_images(clip.maps["rgb"][frame_ids], spec.image_size))
        sample.reference = to_unit_range(resize_images(clip.reference[None], spec.image_size))[:, 0]
    for name in spec.map_types:
        images = resize_images(clip.maps[name][frame_ids], spec.image_size, nearest=name == "semantic")
        sample.maps[name] = to_unit_range(images)
    if spec.need_heatmaps:
        sample.heatmaps = clip.heatmaps[frame_ids].astype(np.float32) / 255.0
    return sample


def collate(samples: list[TrainSample]) -> dict[str, torch.Tensor | dict[str, torch.Tensor] | list[str]]:
    """Stack samples: ``features (B, F_clip, D)``, ``frame_ids (B, F)``, ``frames (B, 3, F, S, S)``,
    ``reference (B, 3, S, S)``, ``maps {type: (B, 3, F, S, S)}``, ``heatmaps (B, F, J, h, w)``, ``keys``."""
    first = samples[0]
    batch: dict = {
        "keys": [s.key for s in samples],
        "features": torch.from_numpy(np.stack([s.features for s in samples])),
        "frame_ids": torch.from_numpy(np.stack([s.frame_ids for s in samples])),
        "maps": {name: torch.from_numpy(np.stack([s.maps[name] for s in samples])) for name in first.maps},
    }
    if first.frames is not None:
        batch["frames"] = torch.from_numpy(np.stack([s.frames for s in samples]))
        batch["reference"] = torch.from_numpy(np.stack([s.reference for s in samples]))
    if first.heatmaps is not None:
        batch["heatmaps"] = torch.from_numpy(np.stack([s.heatmaps for s in samples]))
    return batch
