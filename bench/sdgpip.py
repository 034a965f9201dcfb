"""SDGPip end to end at 512², 15 fps: clips per second with 2 worker processes vs 1 (the baseline).

Target (issue): ≥ 1 five-second clip per second on a 2-core machine. Prints one JSON object.
Usage: .venv/bin/python bench/sdgpip.py [--clips 6] [--size 512]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from dancegen.sdgpip.config import SDGPipConfig
from dancegen.sdgpip.generate import run_sdgpip


def _run(out: str, clips: int, size: int, workers: int) -> dict:
    cfg = SDGPipConfig(
        out=out, synthetic_tracks=clips, track_seconds=5.0, clip_seconds=5.0, fps=15.0, size=size,
        clips_per_shard=clips, workers=workers,
    )  # fmt: skip
    cpu0 = os.times()
    start = time.perf_counter()
    manifest = run_sdgpip(cfg)
    wall = time.perf_counter() - start
    cpu1 = os.times()
    cpu = (cpu1.user + cpu1.system + cpu1.children_user + cpu1.children_system) - (
        cpu0.user + cpu0.system + cpu0.children_user + cpu0.children_system
    )
    n = manifest["counts"]["clips"]
    return {"workers": workers, "clips": n, "seconds": round(wall, 2), "clips_per_s": round(n / wall, 3),
            "cpu_s_per_clip": round(cpu / n, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _run(f"{tmp}/warm", 1, args.size, 1)  # build the procedural body, warm caches and imports
        baseline = _run(f"{tmp}/one", args.clips, args.size, workers=1)
        ours = _run(f"{tmp}/two", args.clips, args.size, workers=2)
    print(json.dumps({
        "benchmark": "sdgpip_end_to_end", "size": args.size, "fps": 15, "clip_seconds": 5,
        "ours": ours, "baseline": {"name": "same pipeline, 1 worker process", **baseline},
        "ratio": round(ours["clips_per_s"] / baseline["clips_per_s"], 2),
        "target_clips_per_s": 1.0, "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
