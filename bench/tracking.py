"""MLflow logging overhead per training step, as a percentage of a tiny-preset-like step (target ≤ 5 %).

Starts its own SeaweedFS + MLflow server (sqlite, artifacts proxied to S3) in a temporary directory, then
times one small torch model's forward/backward/optimizer step (≈ 0.3 s on this CPU) in four modes,
interleaved in short blocks (in rotating order) so that machine load hits all of them alike:

* ``baseline``: the step alone (the named baseline);
* ``sync``: the step + ``MlflowTracker.log_metrics`` of 8 scalars, one blocking ``log_batch`` request per step;
* ``async``: one request per step, queued to MLflow's background logger;
* ``batched``: the tracker's default: metrics collected for ``flush_seconds`` (5 s), then one async request.

Prints one JSON object per run: median wall step times and their ratio/overhead % against the baseline,
the mean process-CPU overhead % (robust when other jobs load the machine) and the mean wall time spent
inside ``log_metrics`` as a % of the baseline step.

    .venv/bin/python bench/tracking.py [--steps 48] [--block 6]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import torch

from dancegen.process import free_port
from dancegen.tracking.mlflow_server import MlflowServer
from dancegen.tracking.mlflow_tracker import MlflowTracker
from dancegen.tracking.s3server import S3Server


def tiny_model() -> torch.nn.Module:
    """A small conv net shaped like a tiny video U-Net block stack: (B, 4, 32, 32) latents in and out."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(4, 64, 3, padding=1),
        torch.nn.SiLU(),
        torch.nn.Conv2d(64, 64, 3, padding=1),
        torch.nn.SiLU(),
        torch.nn.Conv2d(64, 64, 3, padding=1),
        torch.nn.SiLU(),
        torch.nn.Conv2d(64, 4, 3, padding=1),
    )


def make_step(batch: int):
    torch.manual_seed(0)
    model = tiny_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    latents = torch.randn(batch, 4, 32, 32)
    noise = torch.randn_like(latents)

    def step() -> dict[str, float]:
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(latents + noise), noise)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        value = loss.item()
        return {
            "loss": value,
            "loss_pix": value * 0.5,
            "loss_guid": value * 0.5,
            "grad_norm": float(grad_norm),
            "lr": 1e-4,
            "samples_per_s": batch / 0.3,
            "epoch": 0.0,
            "data_wait_s": 0.0,
        }

    return step


def calibrate(target_seconds: float = 0.3) -> int:
    """The batch size whose step takes about ``target_seconds`` of CPU (one torch thread)."""
    batch = 4
    step = make_step(batch)
    step()
    started = time.process_time()
    for _ in range(3):
        step()
    per_sample = (time.process_time() - started) / (3 * batch)
    return max(1, round(target_seconds / per_sample))


def timed_step(step, tracker: MlflowTracker | None, index: int) -> tuple[float, float, float | None]:
    """Wall and process-CPU seconds of one training step (+ its log_metrics call), wall seconds inside
    log_metrics. CPU time counts every thread of this process (torch's, MLflow's logging thread), not the
    server's, and is far less disturbed by other work on a shared machine than wall time."""
    started, cpu_started = time.perf_counter(), time.process_time()
    metrics = step()
    log_seconds = None
    if tracker is not None:
        before_log = time.perf_counter()
        tracker.log_metrics(metrics, index)
        log_seconds = time.perf_counter() - before_log
    return time.perf_counter() - started, time.process_time() - cpu_started, log_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=48, help="steps per mode")
    parser.add_argument("--block", type=int, default=6, help="consecutive steps of one mode before switching")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    torch.set_num_threads(1)  # one compute thread: no OpenMP spin-waits in the CPU figures; the server gets a core

    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
        root = Path(tmp)
        s3 = S3Server(root / "s3", "BENCH" + secrets.token_hex(6).upper(), secrets.token_urlsafe(24), free_port())
        s3.start()
        mlflow_server = None
        try:
            import boto3

            boto3.client(
                "s3",
                endpoint_url=s3.endpoint,
                aws_access_key_id=s3.access_key,
                aws_secret_access_key=s3.secret_key,
                region_name="us-east-1",
            ).create_bucket(Bucket="bench")
            mlflow_server = MlflowServer(root / "mlflow", free_port(), "s3://bench/mlflow", s3_env=s3.env())
            mlflow_server.start()
            uri = mlflow_server.tracking_uri

            batch = calibrate()
            step = make_step(batch)
            for _ in range(3):  # warm-up: allocator, kernels
                step()
            trackers = {
                "sync": MlflowTracker("bench", "sync", tracking_uri=uri, async_metrics=False, flush_seconds=0),
                "async": MlflowTracker("bench", "async", tracking_uri=uri, async_metrics=True, flush_seconds=0),
                "batched": MlflowTracker("bench", "batched", tracking_uri=uri),
            }
            for tracker in trackers.values():  # first request opens the HTTP session
                tracker.log_metrics({"warmup": 0.0}, 0)
                tracker.flush()
            modes = ["baseline", *trackers]
            steps: dict[str, list[float]] = {mode: [] for mode in modes}
            cpu: dict[str, list[float]] = {mode: [] for mode in modes}
            logs: dict[str, list[float]] = {mode: [] for mode in trackers}
            for block in range(max(1, args.steps // args.block)):
                turn = block % len(modes)
                for mode in modes[turn:] + modes[:turn]:  # rotate so no mode always runs first
                    for offset in range(args.block):
                        index = 1 + block * args.block + offset
                        step_seconds, cpu_seconds, log_seconds = timed_step(step, trackers.get(mode), index)
                        steps[mode].append(step_seconds)
                        cpu[mode].append(cpu_seconds)
                        if log_seconds is not None:
                            logs[mode].append(log_seconds)
            flush_started = time.perf_counter()
            for tracker in trackers.values():
                tracker.end()
            end_seconds = time.perf_counter() - flush_started
        finally:
            if mlflow_server is not None:
                mlflow_server.stop()
            s3.stop()

    base = statistics.median(steps["baseline"])
    base_cpu = statistics.mean(cpu["baseline"])
    result = {
        "benchmark": "mlflow logging overhead per training step",
        "baseline": "the same training step without tracking",
        "batch": batch,
        "steps_per_mode": len(steps["baseline"]),
        "metrics_per_step": 8,
        "baseline_step_s": round(base, 4),
        "baseline_step_cpu_s": round(base_cpu, 4),
        "target_overhead_pct": 5.0,
        "end_flush_s": round(end_seconds, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),  # other work on the machine inflates both modes
    }
    for mode in logs:
        median = statistics.median(steps[mode])
        result[mode] = {
            "step_s": round(median, 4),
            "ratio_vs_baseline": round(median / base, 4),
            "overhead_pct": round(100 * (median / base - 1), 2),
            "cpu_overhead_pct": round(100 * (statistics.mean(cpu[mode]) / base_cpu - 1), 2),
            "log_call_ms": round(1000 * statistics.mean(logs[mode]), 3),
            "log_call_pct_of_step": round(100 * statistics.mean(logs[mode]) / base, 2),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
