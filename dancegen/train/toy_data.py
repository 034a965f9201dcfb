"""A random dataset in SDGPip's exact layout, for tests and benchmarks of the trainer.

Random arrays (seeded), not renders: flat coloured rectangles that move from frame to frame (they survive
H.264), Gaussian-blob heatmaps, normal-distributed music features. The shards are written with
:func:`dancegen.sdgpip.shards.write_shard` and the manifest has the keys ``load_manifest`` readers use
(``splits``, ``shards``, ``counts``), so the trainer reads it exactly as it reads real SDGPip output.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

import dancegen
from dancegen.sdgpip.shards import FORMAT_VERSION, MAP_STREAMS, ClipSample, encode_sample, write_shard
from dancegen.storage import atomic_write_bytes


def random_clip(key: str, frames: int, size: int, feature_dim: int, joints: int, motion: str, seed: int) -> ClipSample:
    """One clip of random content: maps (F, size, size, 3) uint8, heatmaps (F, joints, size/8, size/8)."""
    rng = np.random.default_rng(seed)
    maps = {}
    for name in MAP_STREAMS:
        video = np.full((frames, size, size, 3), 20, np.uint8)
        colour = rng.integers(60, 230, size=3, dtype=np.uint8)
        for f in range(frames):
            top, left = (rng.integers(0, size // 2, size=2) // 2) * 2
            video[f, top : top + size // 2, left : left + size // 2] = colour
        maps[name] = video
    side = size // 8
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1)  # (side, side, 2)
    centres = rng.uniform(0, side, size=(frames, joints, 2))
    blobs = np.exp(-((grid[None, None] - centres[:, :, None, None]) ** 2).sum(-1) / 2.0)
    return ClipSample(
        key=key,
        meta={"key": key, "fps": 15.0, "frames": frames, "size": size, "motion": motion, "split": "train"},
        audio=rng.uniform(-0.1, 0.1, 8000 * frames // 15).astype(np.float32),
        sample_rate=8000,
        features=rng.normal(size=(frames, feature_dim)).astype(np.float32),
        poses=rng.normal(scale=0.1, size=(frames, 72)).astype(np.float32),
        trans=np.zeros((frames, 3), np.float32),
        joints2d=rng.uniform(0, size, size=(frames, joints, 2)).astype(np.float32),
        heatmaps=(blobs * 255).astype(np.uint8),
        maps=maps,
        reference=maps["rgb"][0].copy(),
    )


def write_random_dataset(
    out: str | Path,
    clips: int = 4,
    frames: int = 8,
    size: int = 64,
    clips_per_shard: int = 2,
    feature_dim: int = 35,
    joints: int = 24,
    motions: tuple[str, ...] = ("choreographer", "aist"),
    seed: int = 0,
) -> dict:
    """Write ``clips`` random clips (motion sources cycling through ``motions``) as train shards + manifest."""
    out = Path(out)
    (out / "shards").mkdir(parents=True, exist_ok=True)
    records = []
    for number, start in enumerate(range(0, clips, clips_per_shard)):
        name = f"train-{number:06d}"
        samples = []
        for i in range(start, min(start + clips_per_shard, clips)):
            key = f"t{i:05d}-c000"
            clip = random_clip(key, frames, size, feature_dim, joints, motions[i % len(motions)], seed * 1000 + i)
            samples.append((key, encode_sample(clip, fps=15.0)))
        path = out / "shards" / f"{name}.tar"
        write_shard(path, samples)
        record = {
            "name": name,
            "split": "train",
            "clips": [key for key, _ in samples],
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "bytes": path.stat().st_size,
        }
        atomic_write_bytes(out / "shards" / f"{name}.json", json.dumps(record, sort_keys=True).encode())
        records.append(record)
    manifest = {
        "format": "dancegen-sdgpip",
        "format_version": FORMAT_VERSION,
        "dancegen_version": dancegen.__version__,
        "config": {"fps": 15.0, "size": size, "random": True, "seed": seed},
        "counts": {"clips": clips, "shards": len(records), "frames_per_clip": frames, "train_clips": clips},
        "splits": {"train": [r["name"] for r in records], "val": [], "test": []},
        "shards": records,
        "tracks": [],
    }
    atomic_write_bytes(out / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
    return manifest
