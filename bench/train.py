"""Trainer throughput and memory on the tiny preset, stage 2 (the U-Net stage), CPU.

- baseline: plain PyTorch in 1 process, no DeepSpeed: the same StageModule, data pipeline and frozen
  inputs, ``torch.optim.AdamW``, one thread.
- measured: ``dancegen.train`` under DeepSpeed ZeRO-2 on 2 processes (torchrun, gloo, one thread each);
  ``scaling_efficiency`` = ZeRO-2 samples/s ÷ (2 × baseline samples/s).
- peak resident memory of every rank for ZeRO 1, 2 and 3 (2 processes each; rank 0's includes the final
  checkpoint consolidation and export, which is small for the tiny model).

Samples/s is the median over the steps after ``--warmup``. Prints one JSON object.
Run: ``.venv/bin/python bench/train.py [--steps 10]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGE = 2


def overrides(zero: int, steps: int) -> list[str]:
    return [
        f"deepspeed.zero_stage={zero}",
        f"stages.stage{STAGE}.max_steps={steps}",
        "checkpoint.every=100000",
        "log.tracker=files",
        "log.every=1",
        "log.sample_every=100000",
        "log.progress=false",
    ]


def worker(args: argparse.Namespace) -> None:
    """One torchrun rank: train, then write this rank's peak RSS."""
    from dancegen.train.config import load_train_config
    from dancegen.train.trainer import train

    cli = {"data": {"path": args.data}, "out": args.out, "init_from": args.init}
    train(load_train_config(stage=STAGE, preset="tiny", cli=cli, overrides=overrides(args.zero, args.steps)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(args.out, f"peak-rss-rank{os.environ['RANK']}.json").write_text(json.dumps({"peak_rss_mb": peak_mb}))


def median_rate(rates: list[float], warmup: int) -> float:
    return statistics.median(rates[warmup:])


def baseline(data: str, init: str, steps: int, warmup: int) -> float:
    """Plain PyTorch, 1 process: samples/s of the same stage without DeepSpeed."""
    import torch

    from dancegen.train.build import load_model, stage_parts
    from dancegen.train.config import load_train_config
    from dancegen.train.data import ClipStream, batches
    from dancegen.train.inputs import stage_inputs, step_generator

    torch.set_num_threads(1)
    cfg = load_train_config(stage=STAGE, preset="tiny", cli={"data": {"path": data}, "init_from": init})
    torch.manual_seed(cfg.seed)
    parts = stage_parts(load_model(cfg), cfg, torch.device("cpu"), torch.float32)
    optimizer = torch.optim.AdamW([p for p in parts.module.parameters() if p.requires_grad], lr=cfg.optim.lr)
    stream = batches(ClipStream(data, parts.spec, seed=cfg.seed), cfg.current.micro_batch_size)
    rates = []
    for step in range(1, steps + 1):
        start = time.perf_counter()
        _, batch = next(stream)
        generator = step_generator(cfg.seed, step, 0, 0)
        inputs = stage_inputs(batch, parts.frozen, cfg.current, generator, torch.device("cpu"), torch.float32)
        loss = parts.module(inputs)["loss"]
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parts.module.parameters(), cfg.optim.grad_clip)
        optimizer.step()
        rates.append(cfg.current.micro_batch_size / (time.perf_counter() - start))
    return median_rate(rates, warmup)


def run_zero(zero: int, data: str, init: str, root: Path, steps: int, warmup: int) -> dict:
    """ZeRO ``zero`` on 2 processes: samples/s (all ranks) and peak RSS per rank."""
    out = root / f"zero{zero}"
    command = [
        str(Path(sys.executable).parent / "torchrun"), "--standalone", "--nproc_per_node=2", __file__,
        "--worker", "--zero", str(zero), "--steps", str(steps), "--data", data, "--init", init, "--out", str(out),
    ]  # fmt: skip
    process = subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True)
    if process.returncode != 0:
        return {"error": (process.stdout + process.stderr)[-2000:]}
    metrics = [json.loads(line) for line in (out / "tracking" / "metrics.jsonl").read_text().splitlines()]
    ranks = sorted(out.glob("peak-rss-rank*.json"))
    return {
        "samples_per_s": round(median_rate([m["samples_per_s"] for m in metrics], warmup), 3),
        "peak_rss_mb_per_rank": [round(json.loads(p.read_text())["peak_rss_mb"], 1) for p in ranks],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--zero", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--init", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    # libraries log to stdout (DeepSpeed's accelerator notice); stdout carries only the JSON report
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp, contextlib.redirect_stdout(sys.stderr):
        from dancegen.models.dancer import DanceModel
        from dancegen.train.toy_data import write_random_dataset

        root = Path(tmp)
        data = str(root / "data")
        write_random_dataset(data, clips=8, frames=8, size=64, clips_per_shard=4)
        init = str(DanceModel.from_preset("tiny").save_pretrained(root / "init"))
        plain = baseline(data, init, args.steps, args.warmup)
        zero = {z: run_zero(z, data, init, root, args.steps, args.warmup) for z in (1, 2, 3)}
    zero2 = zero[2].get("samples_per_s")
    report = {
        "benchmark": "train, tiny preset, stage 2 (U-Net), CPU, fp32, micro batch 2 per process",
        "steps": args.steps,
        "warmup_steps": args.warmup,
        "baseline_plain_torch_1proc_samples_per_s": round(plain, 3),
        "zero2_2proc_samples_per_s": zero2,
        "speedup_vs_baseline": round(zero2 / plain, 3) if zero2 else None,
        "scaling_efficiency": round(zero2 / (2 * plain), 3) if zero2 else None,
        "zero": {f"zero{z}": result for z, result in zero.items()},
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
