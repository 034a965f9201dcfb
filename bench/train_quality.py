"""Training quality of the tiny preset: all four stages on a small SDGPip dataset, timed, then pose following.

1. Data: ``--data DIR`` or a new SDGPip dataset of procedural music at the tiny model's size (64 px) and
   frame rate (3 fps: 15-frame 5-s clips, within M2PEnc's 16 frames, the rate ``dancegen generate`` picks).
2. Stages 0–3 with the tiny preset's defaults (stage 0 starts with the VAE phase), one after another in
   one torchrun job of ``--procs`` CPU processes (gloo, DeepSpeed ZeRO-2) with ``--threads`` torch threads
   each: one thread per process, as on a 2-core machine shared with other jobs two threads in one process
   stalled in OpenMP barriers (a tiny-model step was ≈ 10× slower at load 3). Each stage is timed, with
   the load average around it.
3. Pose following on held-out clips (split ``test``, tracks never trained on): ``--frames`` frames, each
   denoised alone (25 DDIM steps, no classifier-free guidance: training never drops the reference) for the
   clip's reference photo. The measure is the mean IoU of the frame's foreground with the silhouette of
   its rendered semantic map (:mod:`dancegen.metrics.silhouette`), for
   - the trained model, guidance from the frame's rendered maps (pose-driven, stage 0's task) and from the
     clip's music (music-driven, what ``dancegen generate`` does; music does not fix one pose, so this
     need not match the ground truth);
   - baseline: the untrained model (the preset's random initialisation that stage 0 starts from);
   - the trained pose-driven frames against the silhouettes of other held-out frames (a pose-blind model
     scores the same as on their own);
   - the reference photo itself and the ground-truth frames (the measure's ceiling).
4. A sample grid PNG, one row per held-out frame: skeleton | semantic | reference | generated (pose) |
   generated (music) | untrained | ground truth.

Prints one JSON object. Run: ``.venv/bin/python bench/train_quality.py --out /tmp/tq [--grid docs/img/x.png]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZE, FPS = 64, 3.0
OVERRIDES = ["log.tracker=files", "log.progress=false"]  # metrics and sample grids under <run>/tracking
COLUMNS = ("skeleton", "semantic", "reference", "pose-driven", "music-driven", "untrained", "ground truth")


def make_dataset(out: Path, tracks: int, seed: int) -> dict:
    from dancegen.sdgpip.config import SDGPipConfig
    from dancegen.sdgpip.generate import run_sdgpip

    cfg = SDGPipConfig(out=str(out), synthetic_tracks=tracks, track_seconds=20.0, clip_seconds=5.0, fps=FPS,
                       size=SIZE, clips_per_shard=8, seed=seed)  # fmt: skip
    return run_sdgpip(cfg)["counts"]


def train_stages(data: str, runs: Path, timings_path: Path) -> None:
    """Worker (one torchrun rank): stages 0–3 of the tiny preset one after another; rank 0 writes per stage
    the seconds, steps, final losses and the load average before/after to ``timings_path``."""
    from dancegen.train.autoencoder import vae_phase_steps
    from dancegen.train.config import load_train_config
    from dancegen.train.trainer import train

    timings, init = [], None
    for stage in range(4):
        cli = {"data": {"path": data}, "out": str(runs / f"s{stage}"), "init_from": init}
        cfg = load_train_config(stage=stage, preset="tiny", cli=cli, overrides=OVERRIDES)
        load_before, start = os.getloadavg()[0], time.perf_counter()
        result = train(cfg)
        seconds = time.perf_counter() - start
        timings.append({
            "stage": stage, "seconds": round(seconds, 1), "steps": result.step,
            "vae_phase_steps": vae_phase_steps(cfg),
            "final_losses": {k: round(v, 4) for k, v in result.metrics.items() if k in ("loss", "pix", "guid", "heat")},
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        })  # fmt: skip
        init = result.model_dir
    if os.environ.get("RANK", "0") == "0":
        timings_path.write_text(json.dumps({"stages": timings, "model_dir": init}))


def run_stages(data: str, runs: Path, procs: int, threads: int) -> dict:
    """The four stages in one torchrun job of ``procs`` CPU processes; its timings plus the job's wall time."""
    timings_path = runs / "timings.json"
    runs.mkdir(parents=True)
    command = [
        str(Path(sys.executable).parent / "torchrun"), "--standalone", f"--nproc_per_node={procs}", __file__,
        "--worker", "--data", data, "--out", str(runs), "--timings", str(timings_path),
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": str(threads)}, stdout=sys.stderr)
    if process.returncode != 0:
        raise SystemExit(f"training failed (exit code {process.returncode}); see the log above")
    return {**json.loads(timings_path.read_text()), "job_seconds": round(time.perf_counter() - start, 1)}


def held_out_frames(data: str, count: int, map_types: tuple[str, ...]) -> dict:
    """``count`` frames spread over the test split's clips: maps, frames, references, features, frame ids."""
    from dancegen.sdgpip.generate import load_manifest
    from dancegen.sdgpip.shards import decode_sample, read_shard

    clips = []
    for name in load_manifest(data)["splits"]["test"]:
        for key, members in read_shard(Path(data) / "shards" / f"{name}.tar"):
            clips.append(decode_sample(key, members, streams=("rgb", *map_types)))
    per_clip = -(-count // len(clips))
    picks = []
    for clip in clips:
        length = len(clip.features)
        picks += [(clip, int(i)) for i in np.linspace(0, length - 1, per_clip + 2)[1:-1].round()]
    picks = picks[:count]
    return {
        "keys": [f"{clip.key}#{i}" for clip, i in picks],
        "maps": {m: np.stack([clip.maps[m][i] for clip, i in picks]) for m in map_types},  # (N, S, S, 3) uint8
        "frames": np.stack([clip.maps["rgb"][i] for clip, i in picks]),
        "references": np.stack([clip.reference for clip, _ in picks]),
        "features": [clip.features for clip, _ in picks],  # each (F, D)
        "frame_ids": [i for _, i in picks],
    }


def to_unit(images: np.ndarray):
    """(N, S, S, 3) uint8 → (N, 3, S, S) float32 tensor in [-1, 1]."""
    import torch

    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


def generate(model, held: dict, music: bool, steps: int, seed: int) -> np.ndarray:
    """One frame per held-out frame, guidance from its maps or (``music``) from its clip's music."""
    import torch

    from dancegen.infer.frames import guidance_from_maps, guidance_from_music, sample_frames

    for component in model.components().values():
        if isinstance(component, torch.nn.Module):
            component.eval()
    if music:
        guidance = torch.cat([
            guidance_from_music(model, torch.from_numpy(f), torch.tensor([i]))
            for f, i in zip(held["features"], held["frame_ids"], strict=True)
        ])  # fmt: skip
    else:
        guidance = guidance_from_maps(model, {m: to_unit(v) for m, v in held["maps"].items()})
    return sample_frames(model, to_unit(held["references"]), guidance, steps=steps, seed=seed)


def write_grid(path: Path, held: dict, generated: dict[str, np.ndarray], rows: int) -> None:
    import cv2

    from dancegen.train.grids import grid, to_rgb

    images = [held["maps"]["skeleton"], held["maps"]["semantic"], held["references"], generated["pose"],
              generated["music"], generated["untrained"], held["frames"]]  # fmt: skip
    columns = [(label, to_rgb(to_unit(image[:rows]), 128)) for label, image in zip(COLUMNS, images, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(grid(columns), cv2.COLOR_RGB2BGR))


def pose_following(held: dict, generated: dict[str, np.ndarray]) -> dict:
    from dancegen.metrics.silhouette import silhouette_iou

    semantic = held["maps"]["semantic"]
    other = np.roll(semantic, len(semantic) // 2, axis=0)  # another held-out frame's silhouette
    scores = {
        "trained_pose_driven": silhouette_iou(generated["pose"], semantic),
        "trained_music_driven": silhouette_iou(generated["music"], semantic),
        "baseline_untrained_pose_driven": silhouette_iou(generated["untrained"], semantic),
        "trained_pose_driven_vs_other_frames_silhouettes": silhouette_iou(generated["pose"], other),
        "reference_photo": silhouette_iou(held["references"], semantic),
        "ground_truth_frames": silhouette_iou(held["frames"], semantic),
    }
    report = {name: round(float(values.mean()), 4) for name, values in scores.items()}
    baseline = report["baseline_untrained_pose_driven"]
    report["ratio_trained_pose_driven_vs_untrained"] = round(report["trained_pose_driven"] / baseline, 3)
    report["ratio_trained_music_driven_vs_untrained"] = round(report["trained_music_driven"] / baseline, 3)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="work directory (dataset, runs, grid)")
    parser.add_argument("--data", help="an SDGPip dataset at 64 px / 3 fps (default: make one in --out)")
    parser.add_argument("--tracks", type=int, default=12, help="procedural tracks of a new dataset")
    parser.add_argument("--procs", type=int, default=2, help="training processes (torchrun, gloo)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--frames", type=int, default=12, help="held-out frames to generate")
    parser.add_argument("--steps", type=int, default=25, help="DDIM steps per frame")
    parser.add_argument("--grid", help="also copy the sample grid PNG here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timings", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out)
    if args.worker:
        train_stages(args.data, out, Path(args.timings))
        return
    report: dict = {"benchmark": "tiny preset: stages 0-3 on CPU, then pose following on held-out clips"}
    with contextlib.redirect_stdout(sys.stderr):  # libraries log to stdout; it carries only the JSON report
        import torch

        from dancegen.models.dancer import DanceModel

        torch.set_num_threads(args.threads)
        data = args.data
        if not data:
            data = str(out / "dataset")
            shutil.rmtree(data, ignore_errors=True)
            start = time.perf_counter()
            report["dataset"] = {"path": data, **make_dataset(Path(data), args.tracks, args.seed)}
            report["dataset"]["seconds"] = round(time.perf_counter() - start, 1)
        shutil.rmtree(out / "runs", ignore_errors=True)
        trained_run = run_stages(data, out / "runs", args.procs, args.threads)
        report["training"] = {
            "processes": args.procs, "threads_per_process": args.threads, "stages": trained_run["stages"],
            "stages_seconds_total": round(sum(s["seconds"] for s in trained_run["stages"]), 1),
            "job_seconds_with_startup": trained_run["job_seconds"],
        }  # fmt: skip
        trained = DanceModel.from_pretrained(trained_run["model_dir"])
        torch.manual_seed(args.seed)  # the initialisation stage 0 starts from
        untrained = DanceModel.from_preset("tiny")
        held = held_out_frames(data, args.frames, tuple(trained.guidance_encoder.map_types))
        start = time.perf_counter()
        generated = {
            "pose": generate(trained, held, music=False, steps=args.steps, seed=args.seed),
            "music": generate(trained, held, music=True, steps=args.steps, seed=args.seed),
            "untrained": generate(untrained, held, music=False, steps=args.steps, seed=args.seed),
        }
        report["generation_seconds"] = round(time.perf_counter() - start, 1)
        report["pose_following"] = {"held_out_frames": held["keys"], **pose_following(held, generated)}
        grid_path = out / "tiny_sample_grid.png"
        write_grid(grid_path, held, generated, args.frames)
        if args.grid:
            Path(args.grid).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(grid_path, args.grid)
        report.update(sample_grid=str(grid_path), cpu_count=os.cpu_count(),
                      load_average_at_end=[round(v, 2) for v in os.getloadavg()])  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
