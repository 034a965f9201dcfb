"""SDGPip end to end at 512², 15 fps: clips per second with N worker processes vs 1 in-process worker (baseline).

Target (issue): ≥ 1 five-second clip per second on a 2-core machine. Prints one JSON object.

Both runs are steady state: the in-process caches and the worker pool (which outlives a run, keeping each
worker's GL context, body model and renderer) are warmed first. ``pool_warmup_s`` is that warm-up run
(spawning the workers, their imports and numba compilation, then 2 clips per worker): a real run pays the
start-up once. The machine is shared, so besides wall-clock clips/s each
run reports the CPU seconds per clip (this process and its live workers, llvmpipe threads included) and
the load averages when it started; ``idle_estimate_clips_per_s`` = cores / CPU-s per clip is what the same
work would give on otherwise idle cores.

Usage: .venv/bin/python bench/sdgpip.py [--clips 8] [--size 512] [--workers 2] [--track-seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import psutil

from dancegen.sdgpip.config import SDGPipConfig
from dancegen.sdgpip.generate import run_sdgpip


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process, its live children (the pool's workers) and its
    finished children (a pool that was shut down)."""
    times = os.times()
    total = times.children_user + times.children_system
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _run(out: str, clips: int, size: int, workers: int, track_seconds: float, seed: int = 0) -> dict:
    per_track = int(track_seconds // 5.0)
    cfg = SDGPipConfig(
        out=out, synthetic_tracks=-(-clips // per_track), track_seconds=track_seconds, clip_seconds=5.0, fps=15.0,
        size=size, clips_per_shard=clips, workers=workers, seed=seed,
    )  # fmt: skip
    load = [round(x, 2) for x in os.getloadavg()]
    cpu0, start = _cpu_seconds(), time.perf_counter()
    manifest = run_sdgpip(cfg)
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu0
    n = manifest["counts"]["clips"]
    return {"workers": workers, "clips": n, "seconds": round(wall, 2), "clips_per_s": round(n / wall, 3),
            "cpu_s_per_clip": round(cpu / n, 2), "load_average_1_5_15": load}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--track-seconds", type=float, default=20.0,
                        help="synthetic track length: 20 = SDGPip's default (4 clips per track); 5 = one clip per "
                             "track (all track-level work counted per clip, the worst case)")  # fmt: skip
    args = parser.parse_args()
    cores, size, seconds = os.cpu_count() or 1, args.size, args.track_seconds
    with tempfile.TemporaryDirectory() as tmp:
        _run(f"{tmp}/warm1", 1, size, 1, 5.0, seed=1)  # in-process: procedural body, GL, numba, librosa
        start = time.perf_counter()
        _run(f"{tmp}/warm2", 2 * args.workers, size, args.workers, 5.0, seed=1)  # spawn + warm every worker
        startup = time.perf_counter() - start
        baseline = _run(f"{tmp}/one", args.clips, size, 1, seconds)
        ours = _run(f"{tmp}/many", args.clips, size, args.workers, seconds)
    print(json.dumps({
        "benchmark": "sdgpip_end_to_end", "size": size, "fps": 15, "clip_seconds": 5, "track_seconds": seconds,
        "ours": ours, "baseline": {"name": "same pipeline, 1 worker (in-process)", **baseline},
        "ratio": round(ours["clips_per_s"] / baseline["clips_per_s"], 2),
        "idle_estimate_clips_per_s": round(cores / ours["cpu_s_per_clip"], 2),
        "pool_warmup_s": round(startup, 1), "target_clips_per_s": 1.0, "cpus": cores,
        "load_average_1_5_15_end": [round(x, 2) for x in os.getloadavg()],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
