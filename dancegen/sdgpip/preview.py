"""Looking at an SDGPip clip: a contact-sheet PNG and an MP4 of all maps side by side, with the music."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from dancegen.errors import DancegenError
from dancegen.sdgpip.generate import load_manifest
from dancegen.sdgpip.shards import MAP_STREAMS, ClipSample, decode_sample, read_shard
from dancegen.storage import Location, atomic_write_bytes
from dancegen.video import write_mp4


def heatmap_image(heatmaps: np.ndarray, size: int) -> np.ndarray:
    """(F, J, h, w) uint8 heatmaps → (F, size, size, 3) uint8: max over joints, colour-mapped."""
    peak = heatmaps.max(axis=1)  # (F, h, w)
    out = np.empty((len(peak), size, size, 3), np.uint8)
    for i, frame in enumerate(peak):
        big = cv2.resize(frame, (size, size), interpolation=cv2.INTER_LINEAR)
        out[i] = cv2.cvtColor(cv2.applyColorMap(big, cv2.COLORMAP_INFERNO), cv2.COLOR_BGR2RGB)
    return out


def side_by_side(sample: ClipSample) -> np.ndarray:
    """(F, H, 6·W, 3) uint8: rgb | depth | normal | semantic | skeleton | heatmaps."""
    size = sample.maps["rgb"].shape[1]
    panels = [sample.maps[name] for name in MAP_STREAMS] + [heatmap_image(sample.heatmaps, size)]
    return np.concatenate(panels, axis=2)


def contact_sheet(sample: ClipSample, columns: int = 6) -> np.ndarray:
    """A grid: one row per map stream (+ heatmaps), ``columns`` frames spread over the clip."""
    size = sample.maps["rgb"].shape[1]
    picks = np.linspace(0, len(sample.features) - 1, columns).round().astype(int)
    rows = [sample.maps[name][picks] for name in MAP_STREAMS] + [heatmap_image(sample.heatmaps[picks], size)]
    grid = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    labels = list(MAP_STREAMS) + ["heatmaps"]
    for r, label in enumerate(labels):
        cv2.putText(grid, label, (6, r * size + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1, cv2.LINE_AA)
    return grid


def load_clip(data: str | os.PathLike, key: str | None = None) -> ClipSample:
    """One decoded clip of a dataset (the first one when ``key`` is None)."""
    manifest = load_manifest(data)
    location = Location.parse(data)
    for record in manifest["shards"]:
        if key is not None and key not in record["clips"]:
            continue
        for sample_key, members in read_shard(location.read_bytes(f"shards/{record['name']}.tar")):
            if key is None or sample_key == key:
                return decode_sample(sample_key, members)
    raise DancegenError(f"clip {key!r} is not in the dataset {data}")


def preview_clip(data: str | os.PathLike, out: str | os.PathLike, key: str | None = None) -> tuple[Path, Path]:
    """Write ``<out>/<key>.png`` (contact sheet) and ``<out>/<key>.mp4`` (side by side, with music)."""
    sample = load_clip(data, key)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{sample.key}.png"
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(contact_sheet(sample), cv2.COLOR_RGB2BGR))
    if not ok:
        raise DancegenError(f"could not encode the contact sheet for {sample.key}")
    atomic_write_bytes(png, encoded.tobytes())
    mp4 = write_mp4(
        out / f"{sample.key}.mp4",
        side_by_side(sample),
        sample.meta["fps"],
        audio=sample.audio,
        sample_rate=sample.sample_rate,
        crf=23,
    )
    atomic_write_bytes(out / f"{sample.key}.json", json.dumps(sample.meta, indent=2).encode())
    return png, mp4
