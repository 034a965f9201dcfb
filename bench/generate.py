"""Generation cost vs music length: does long-video stitching keep the cost linear? (paper §3.4)

ours:     ``dancegen.infer.generate`` on 60 s of music — 5-s segments stitched by noise conditioning, each
          segment after the first re-denoising ``overlap`` frames it shares with the previous one — plus the
          mp4 encoding with the music.
baseline: the same call on 5 s of music (one segment), scaled linearly: 12 × time(5 s).
``linear_ratio = time(60 s) / (12 · time(5 s))``: 1.0 is perfectly linear; the overlap frames push it up,
the fixed per-call costs (reference encoding, feature set-up) pull it down. ``realtime_factor`` is compute
seconds per second of video (< 1 is faster than real time).

Tiny preset, random initialisation, CPU, one torch thread (the machine is shared; more threads only add
contention here), the model's default fps and overlap. Each length is timed best-of-``--repeats`` after a
warm-up call (librosa's numba kernels compile on first use); wall clock and process CPU time are reported,
the ratios use CPU time, which the other tenants of the machine disturb less.

Run:  .venv/bin/python bench/generate.py [--steps 10] [--repeats 2]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def _timed(fn, repeats: int):
    """Best-of-``repeats`` (wall seconds, process CPU seconds) of ``fn()``, and its last result."""
    best, result = (float("inf"), float("inf")), None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="DDIM steps per segment")
    parser.add_argument("--guidance-scale", type=float, default=3.5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(1)
    import numpy as np

    from dancegen.audio import generate_track
    from dancegen.infer import generate
    from dancegen.models import DanceModel

    torch.manual_seed(0)
    model = DanceModel.from_preset("tiny")
    song = generate_track("house", 60.0, seed=0, bpm=120.0)
    image = np.full((64, 64, 3), 128, np.uint8)
    image[16:56, 24:40] = (220, 190, 170)

    def run(seconds: float):
        music = (song.audio[: int(round(seconds * song.sr))], song.sr)
        result = generate(
            music, image, model, steps=args.steps, guidance_scale=args.guidance_scale, progress=False, seed=0
        )
        result.to_mp4()
        return result

    run(2.0)  # warm-up: numba kernels, denoiser processors
    (wall5, cpu5), short = _timed(lambda: run(5.0), args.repeats)
    (wall60, cpu60), long = _timed(lambda: run(60.0), max(1, args.repeats - 1))
    denoised = lambda result: sum(s.frames for s in result.segments)  # noqa: E731
    print(
        json.dumps(
            {
                "bench": "generate",
                "preset": "tiny",
                "steps": args.steps,
                "guidance_scale": args.guidance_scale,
                "torch_threads": torch.get_num_threads(),
                "fps": long.fps,
                "segment_frames": long.segments[0].frames,
                "overlap_frames": long.segments[1].overlap,
                "segments": {"5s": len(short.segments), "60s": len(long.segments)},
                "frames": {"5s": len(short.frames), "60s": len(long.frames)},
                "denoised_frames": {"5s": denoised(short), "60s": denoised(long)},
                "wall_seconds": {"5s": round(wall5, 3), "60s": round(wall60, 3)},
                "cpu_seconds": {"5s": round(cpu5, 3), "60s": round(cpu60, 3)},
                "baseline": "12 x generation of 5 s (one segment), same model and settings",
                "linear_ratio": round(cpu60 / (12 * cpu5), 3),
                "linear_ratio_wall": round(wall60 / (12 * wall5), 3),
                "denoised_frames_ratio": round(denoised(long) / (12 * denoised(short)), 3),
                "realtime_factor": {"5s": round(cpu5 / 5.0, 3), "60s": round(cpu60 / 60.0, 3)},
                "realtime_factor_wall": {"5s": round(wall5 / 5.0, 3), "60s": round(wall60 / 60.0, 3)},
            }
        )
    )


if __name__ == "__main__":
    main()
