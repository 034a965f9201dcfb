"""``dancegen demo``: the main job on embedded defaults, small enough for a 2-core laptop.

Today it runs SDGPip on a few procedural music tracks and writes a guidance-map preview (contact sheet
PNG + MP4 with the music) of one clip.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from dancegen.sdgpip.config import SDGPipConfig
from dancegen.sdgpip.generate import run_sdgpip
from dancegen.sdgpip.preview import preview_clip


def run_demo(out: Path) -> Iterator[str]:
    """Run the demo into ``out``; yield the lines to print."""
    out = Path(out)
    start = time.perf_counter()
    data = out / "dataset"
    cfg = SDGPipConfig(
        out=str(data), synthetic_tracks=3, track_seconds=10.0, clip_seconds=5.0, fps=15.0, size=256, clips_per_shard=2
    )
    yield f"[1/2] SDGPip: {cfg.synthetic_tracks} procedural tracks → {data}"
    manifest = run_sdgpip(cfg)
    yield f"      {manifest['counts']['clips']} clips in {manifest['counts']['shards']} shards"
    yield "[2/2] preview of the first clip"
    png, mp4 = preview_clip(data, out / "preview")
    yield f"contact sheet: {png}"
    yield f"preview video: {mp4}"
    yield f"done in {time.perf_counter() - start:.0f} s"
