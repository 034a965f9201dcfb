"""Serving m2penc through Triton: latency and throughput vs concurrency, dynamic batching on vs off, server
overhead over an in-process call, and a load run.

ours:      the served ``m2penc`` model (tiny preset, random init, 1 instance, 1 torch thread) with dynamic
           batching (``dancegen serve export`` defaults), called over gRPC by 1, 8 and 32 concurrent clients
           (asyncio, ``tritonclient.grpc.aio``), each sending its next request when the last one is answered.
baselines: (a) the same repository exported with ``--no-dynamic-batching`` (one request per forward pass);
           (b) ``M2PEnc.forward`` on the same input in this process (1 torch thread): the cost with no server.
Two request sizes: ``segment`` = one 5-s segment (1, 15, 35), what ``dance_video`` sends; ``frame`` = one frame
(1, 1, 35), a streaming client. On this CPU the tiny M2PEnc costs ≈ 4 ms per frame whatever the batch, so
batching can only amortise the per-request costs (gRPC, Python backend, per-op dispatch): it pays for
frames, hardly for segments (on a GPU a batch costs about as much as one request).

Figures: p50/p99 latency, throughput and failures per level; ``batching_speedup_at_32`` = throughput with /
without dynamic batching at 32 clients (target ≥ 1.5); ``server_overhead`` = served minus in-process at one
client, as the p50 of interleaved pairs (wall clock, disturbed by the other tenants of the machine) and as CPU
time per request (tritonserver + stub + client − in-process; target ≤ 1.5 ms); a ``--load-seconds`` run at
32 clients on the batching server with its failed-request count and the resident memory of tritonserver +
stubs sampled every 2 s (stable = no growth after the first quarter). Both servers run at once on free ports
and are driven in turns (A B A B per level); clients share the 2 cores with them.

Run:  .venv/bin/python bench/serving.py [--level-seconds 5] [--load-seconds 60]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REQUESTS = {"segment": (1, 15, 35), "frame": (1, 1, 35)}  # 5 s at the tiny model's 3 fps; one frame
LEVELS = (1, 8, 32)
OUTPUTS = ("GUIDANCE", "HEATMAPS")


def _percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1e3
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def _cpu_seconds(processes) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)


async def drive(url: str, clients: int, seconds: float, features: np.ndarray, on_sample=None) -> dict:
    """``clients`` concurrent request loops for ``seconds``: latencies, throughput and failures."""
    from tritonclient.grpc.aio import InferenceServerClient, InferInput, InferRequestedOutput

    client = InferenceServerClient(url)
    latencies: list[float] = []
    failures: dict[str, int] = {}

    async def one() -> None:
        tensor = InferInput("FEATURES", list(features.shape), "FP32")
        tensor.set_data_from_numpy(features)
        start = time.perf_counter()
        try:
            await client.infer(
                "m2penc", [tensor], outputs=[InferRequestedOutput(n) for n in OUTPUTS], client_timeout=60
            )
            latencies.append(time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 — every failure is counted by kind
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1

    await asyncio.gather(*(one() for _ in range(clients)))  # warm-up: connections, first batches
    latencies.clear()
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            await one()

    async def sampler() -> None:
        while time.perf_counter() < deadline:
            on_sample()
            await asyncio.sleep(2.0)

    began = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)), *([sampler()] if on_sample else []))
    elapsed = time.perf_counter() - began
    await client.close()
    return {
        "clients": clients,
        "requests": len(latencies),
        "failed": sum(failures.values()),
        "failures": failures,
        "throughput_rps": round(len(latencies) / elapsed, 1),
        **_percentiles(latencies or [float("nan")]),
        "_latencies": latencies,
    }


def overhead(server, encoder, features: np.ndarray, pairs: int) -> dict:
    """Served vs in-process at one client: wall p50s, p50 of interleaved differences, CPU ms per request."""
    import psutil
    import torch
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(server.grpc_url)
    outputs = [grpcclient.InferRequestedOutput(n) for n in OUTPUTS]
    batch = torch.from_numpy(features)

    def served() -> None:
        tensor = grpcclient.InferInput("FEATURES", list(features.shape), "FP32")
        tensor.set_data_from_numpy(features)
        client.infer("m2penc", [tensor], outputs=outputs)

    def local() -> None:
        with torch.inference_mode():
            encoded = encoder(batch)
        encoded.guidance.numpy(), encoded.heatmaps.numpy()

    def timed(fn) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    for _ in range(5):
        served(), local()
    walls = np.array([(timed(served), timed(local)) for _ in range(pairs)])  # interleaved: same contention
    me = psutil.Process()
    server_side = [psutil.Process(server.process.pid()), *psutil.Process(server.process.pid()).children(recursive=True)]
    cpu = {}
    for name, fn, processes in (("served", served, [me, *server_side]), ("in_process", local, [me])):
        before = _cpu_seconds(processes)
        for _ in range(pairs):
            fn()
        cpu[name] = (_cpu_seconds(processes) - before) / pairs * 1e3
    client.close()
    return {
        "served": _percentiles(walls[:, 0]),
        "in_process": _percentiles(walls[:, 1]),
        "wall_p50_ms": round(float(np.median(walls[:, 0] - walls[:, 1]) * 1e3), 3),
        "cpu_ms_per_request": round(cpu["served"] - cpu["in_process"], 3),
        "cpu_ms": {k: round(v, 3) for k, v in cpu.items()},
    }


def _merge(runs: list[dict]) -> dict:
    """One level's figures from several equally long runs."""
    latencies = [x for run in runs for x in run.pop("_latencies")]
    failures: dict[str, int] = {}
    for run in runs:
        for kind, count in run["failures"].items():
            failures[kind] = failures.get(kind, 0) + count
    return {
        "clients": runs[0]["clients"],
        "requests": len(latencies),
        "failed": sum(failures.values()),
        "failures": failures,
        "throughput_rps": round(float(np.mean([run["throughput_rps"] for run in runs])), 1),
        **_percentiles(latencies or [float("nan")]),
    }


def server_rss_mb(pid: int) -> float:
    """Resident memory of tritonserver and its stub processes, MB."""
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def serve(model_dir: Path, work: Path, dynamic_batching: bool):
    """Export the m2penc-only repository and start a server on free ports; returns (server, start seconds)."""
    from dancegen.process import free_port
    from dancegen.serving.export import ExportOptions, export_repository
    from dancegen.serving.server import TritonServer

    name = "batching" if dynamic_batching else "plain"
    options = ExportOptions(
        models=["m2penc"], dynamic_batching=dynamic_batching, parameters={"m2penc": {"torch_threads": 1}}
    )
    repo = export_repository(model_dir, work / f"repo-{name}", options)
    server = TritonServer(
        repo, http_port=free_port(), grpc_port=free_port(), metrics_port=free_port(), run_dir=work / f"run-{name}"
    )
    began = time.perf_counter()
    server.start(timeout=600)
    return server, round(time.perf_counter() - began, 1)


def load_run(server, seconds: float, features: np.ndarray) -> dict:
    samples: list[float] = []
    pid = server.process.pid()
    result = asyncio.run(drive(server.grpc_url, 32, seconds, features, lambda: samples.append(server_rss_mb(pid))))
    result.pop("_latencies")
    settled = samples[len(samples) // 4 :]  # after warm-up
    return {
        **result,
        "seconds": seconds,
        "request_shape": list(features.shape),
        "rss_mb": {"start": round(samples[0], 1), "end": round(samples[-1], 1), "max": round(max(samples), 1)},
        "rss_growth_after_warmup_mb": round(settled[-1] - settled[0], 1),
        "rss_samples_mb": [round(s, 1) for s in samples],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level-seconds", type=float, default=5.0, help="measurement time per concurrency level")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="length of the 32-client load run")
    parser.add_argument("--pairs", type=int, default=60, help="interleaved served/in-process calls per size")
    args = parser.parse_args()

    with contextlib.redirect_stdout(sys.stderr):  # deepspeed announces its CPU accelerator on stdout
        report = measure(args)
    print(json.dumps(report, indent=2))


def measure(args: argparse.Namespace) -> dict:
    import torch

    from dancegen.models import DanceModel, M2PEnc

    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    torch.manual_seed(0)
    model_dir = DanceModel.from_preset("tiny").save_pretrained(work / "model")
    encoder = M2PEnc.from_pretrained(model_dir / "m2penc").eval()
    rng = np.random.default_rng(0)
    requests = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in REQUESTS.items()}
    report: dict = {
        "model": "m2penc, tiny preset (random init), 1 instance, 1 torch thread; gRPC clients",
        "request_shapes": {name: list(shape) for name, shape in REQUESTS.items()},
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "startup_seconds": {},
    }
    servers = {}
    try:
        for key, dynamic_batching in (("no_batching", False), ("dynamic_batching", True)):
            servers[key], report["startup_seconds"][key] = serve(model_dir, work, dynamic_batching)
        report["server_overhead"] = {
            name: overhead(
                servers["no_batching"], encoder, features, args.pairs if name == "frame" else args.pairs // 3
            )
            for name, features in requests.items()
        }
        for key in servers:
            report[key] = {name: {} for name in requests}
        for name, features in requests.items():
            for clients in LEVELS:  # the two servers alternate (A B A B), so both see the same machine load
                runs = {key: [] for key in servers}
                for _ in range(2):
                    for key, server in servers.items():
                        runs[key].append(asyncio.run(drive(server.grpc_url, clients, args.level_seconds / 2, features)))
                for key in servers:
                    report[key][name][str(clients)] = _merge(runs[key])
        servers.pop("no_batching").stop()
        report["load_run"] = load_run(servers["dynamic_batching"], args.load_seconds, requests["frame"])
    finally:
        for server in servers.values():
            server.stop()
    report["batching_speedup_at_32"] = {
        name: round(
            report["dynamic_batching"][name]["32"]["throughput_rps"]
            / report["no_batching"][name]["32"]["throughput_rps"],
            2,
        )
        for name in REQUESTS
    }
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    frame_overhead = report["server_overhead"]["frame"]
    report["targets"] = {
        "batching_speedup_at_32 (frame) >= 1.5": report["batching_speedup_at_32"]["frame"] >= 1.5,
        "batching_speedup_at_32 (segment) >= 1.5": report["batching_speedup_at_32"]["segment"] >= 1.5,
        "server_overhead cpu_ms_per_request (frame) <= 1.5": frame_overhead["cpu_ms_per_request"] <= 1.5,
        "server_overhead wall_p50_ms (frame) <= 1.5": frame_overhead["wall_p50_ms"] <= 1.5,
        "load_run failed == 0": report["load_run"]["failed"] == 0,
    }
    return report


if __name__ == "__main__":
    main()
