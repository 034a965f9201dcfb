"""Body throughput: procedural SMPL build, batched posing vs frame-by-frame posing, choreography.

ours:     ``pose_body`` with batch 256 (one smplx forward per 256 frames) on a 10-s choreographed dance.
baseline: the same smplx model called once per frame (batch 1), the naive loop, on the first BASELINE
          frames of the same motion (per-frame times are compared).
Also timed: building the procedural body file (``build_procedural_smpl`` + pickling) and loading it through
``smplx.create``, and ``choreograph`` for 10 s of 30-fps motion (which includes one batched posing pass).
Times are best-of-REPEATS wall clock (the machine is shared).

Run:  .venv/bin/python bench/body.py [--seconds 10] [--fps 30] [--baseline-frames 60] [--repeats 3]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time

import numpy as np


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--baseline-frames", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    from dancegen.body import choreograph, load_smpl, pose_body
    from dancegen.body.procedural import build_procedural_smpl

    build_s = _best(lambda: pickle.dumps(build_procedural_smpl(), protocol=4), args.repeats)
    load_s = _best(load_smpl, args.repeats)
    model = load_smpl()
    beats = np.arange(0.25, args.seconds, 0.5)  # 120 bpm
    choreo_s = _best(lambda: choreograph(beats, args.seconds, args.fps, "hiphop", 0, model=model), args.repeats)
    motion = choreograph(beats, args.seconds, args.fps, "hiphop", 0, model=model)
    frames = len(motion)
    batched_s = _best(lambda: pose_body(model, motion, batch=256), args.repeats)
    head = motion.subset(np.arange(min(args.baseline_frames, frames)))
    baseline_s = _best(lambda: pose_body(model, head, batch=1), args.repeats)
    ours_per_frame = batched_s / frames
    baseline_per_frame = baseline_s / len(head)
    print(
        json.dumps(
            {
                "frames": frames,
                "torch_threads": torch.get_num_threads(),
                "procedural_build_and_pickle_s": round(build_s, 4),
                "load_smpl_s": round(load_s, 4),
                "pose_body_batched_s": round(batched_s, 4),
                "pose_body_batched_ms_per_frame": round(1e3 * ours_per_frame, 3),
                "baseline": "smplx forward frame by frame (batch 1)",
                "baseline_ms_per_frame": round(1e3 * baseline_per_frame, 3),
                "speedup_vs_baseline": round(baseline_per_frame / ours_per_frame, 2),
                "choreograph_s": round(choreo_s, 4),
                "choreograph_x_realtime": round(args.seconds / choreo_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
