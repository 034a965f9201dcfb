"""Server-overhead readings for ``bench/serving.py`` that no Python client takes part in: Triton's own
statistics per request (:func:`inside_server`), and perf_analyzer, Triton's C++ load generator, fetched from the
package registry once, run against the served model in turns with the in-process call (:func:`against_in_process`).

The binary ships in the ``tritonclient`` wheels up to 2.50 (later wheels leave it out, and ``perf-analyzer`` on
the registry here is a 0.1.0 placeholder). It links ``libcudart.so.12`` (taken from the
``nvidia-cuda-runtime-cu12`` wheel; no GPU is needed to run it) and ``libb64.so.0d`` (which nvidia-pytriton
bundles under a hashed name). :func:`locate` downloads the two wheels with pip into
``<cache>/perf_analyzer/<version>/``, extracts the binary and the library, copies libb64 beside it, and checks
that it starts; any failure is :class:`Unavailable` naming the step, so the bench reports "unavailable" rather than a
number. A C++ client leaves the Python client's own cost (≈ 0.3–0.6 ms per request here) out of a latency.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRITONCLIENT = "2.50.0"  # the newest tritonclient wheel with bin/perf_analyzer
CUDA_RUNTIME = "12.4.127"
BINARY = f"tritonclient-{TRITONCLIENT}.data/data/bin/perf_analyzer"
CUDART = "nvidia/cuda_runtime/lib/libcudart.so.12"


class Unavailable(RuntimeError):
    """perf_analyzer cannot be had or run here; the message says why."""


@dataclass(frozen=True)
class PerfAnalyzer:
    binary: Path
    libs: Path  # libcudart.so.12, libb64.so.0d

    def run(self, model: str, url: str, protocol: str, inputs: Path, requests: int) -> dict:
        """One measurement of ``requests`` synchronous requests (concurrency 1) with the tensors of ``inputs``
        (see :func:`write_inputs`): client latency percentiles (ms), throughput and perf_analyzer's split of
        the mean latency (client send/recv, server queue and compute input/infer/output, ms)."""
        with tempfile.TemporaryDirectory(prefix="perf-analyzer-") as work:
            report = Path(work) / "report.csv"
            command = [str(self.binary), "-m", model, "-u", url, "-i", protocol, "--input-data", str(inputs)]
            command += ["--request-count", str(requests), "--concurrency-range", "1"]
            command += ["-f", str(report), "--verbose-csv"]
            done = subprocess.run(command, env=self._env(), capture_output=True, text=True, timeout=600)
            if done.returncode != 0 or not report.is_file():
                last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                raise RuntimeError(f"perf_analyzer failed (exit {done.returncode}): {last[0]}")
            row = next(csv.DictReader(report.open()))
        us = {key: float(value) for key, value in row.items() if key not in ("Concurrency", "Inferences/Second")}
        parts = ("Client Send", "Network+Server Send/Recv", "Server Queue", "Server Compute Input")
        parts += ("Server Compute Infer", "Server Compute Output", "Client Recv")
        return {
            "requests": requests,
            "throughput_rps": round(float(row["Inferences/Second"]), 1),
            **{f"{p}_ms": round(us[f"{p} latency"] / 1e3, 3) for p in ("p50", "p90", "p99")},
            "mean_ms": round(us["Avg latency"] / 1e3, 3),
            "mean_split_ms": {part.lower().replace(" ", "_"): round(us[part] / 1e3, 3) for part in parts},
        }

    def version(self) -> str:
        done = subprocess.run([str(self.binary), "--version"], env=self._env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise Unavailable(f"perf_analyzer does not start: {(done.stderr or done.stdout).strip()[:300]}")
        return f"perf_analyzer from tritonclient {TRITONCLIENT} (C++ client)"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LD_LIBRARY_PATH": os.pathsep.join([str(self.libs), os.environ.get("LD_LIBRARY_PATH", "")]),
        }


def write_inputs(path: Path, name: str, array: np.ndarray) -> Path:
    """perf_analyzer's ``--input-data`` JSON: one request whose input ``name`` is ``array`` (batch dim first)."""
    content = {"content": array.reshape(-1).tolist(), "shape": list(array.shape[1:])}
    path.write_text(json.dumps({"data": [{name: content}]}))
    return path


def locate(cache: Path) -> PerfAnalyzer:
    """The perf_analyzer under ``cache/perf_analyzer/<version>``, fetched there first if missing."""
    target = cache / "perf_analyzer" / TRITONCLIENT
    found = PerfAnalyzer(target / "perf_analyzer", target / "lib")
    if not found.binary.is_file():
        _fetch(target)
    found.version()
    return found


def _fetch(target: Path) -> None:
    libb64 = sorted(_pytriton_libs().glob("libb64*.so*"))
    if not libb64:
        raise Unavailable(f"no libb64 in {_pytriton_libs()} (nvidia-pytriton bundles it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        wheels = staging / "wheels"
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", "-d"]
        command += [str(wheels), f"tritonclient=={TRITONCLIENT}", f"nvidia-cuda-runtime-cu12=={CUDA_RUNTIME}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise Unavailable(f"pip download of perf_analyzer's wheels failed: {done.stderr.strip()[-300:]}")
        (staging / "lib").mkdir()
        for pattern, member, out in (
            ("tritonclient-*.whl", BINARY, "perf_analyzer"),
            ("nvidia_cuda*.whl", CUDART, "lib/libcudart.so.12"),
        ):
            wheel = next(wheels.glob(pattern))
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as source:
                (staging / out).write_bytes(source.read())
        (staging / "perf_analyzer").chmod(0o755)
        shutil.copy2(libb64[0], staging / "lib" / "libb64.so.0d")  # a copy: the venv may go
        shutil.rmtree(wheels)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    except (OSError, KeyError, StopIteration, subprocess.SubprocessError) as exc:
        raise Unavailable(f"cannot unpack perf_analyzer: {type(exc).__name__}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _pytriton_libs() -> Path:
    import pytriton

    return Path(pytriton.__file__).resolve().parents[1] / "nvidia_pytriton.libs"


def against_in_process(
    analyzer: PerfAnalyzer, model: str, urls: dict[str, str], inputs: Path, in_process, rounds: int, requests: int
) -> dict:
    """Served through perf_analyzer (per protocol in ``urls``) against ``in_process()`` calls, in turns: each
    round runs ``requests`` requests per protocol, then ``requests`` in-process calls; ``overhead_p50_ms`` is
    the median over rounds of (served p50 − in-process p50), with each protocol's last split."""
    served: dict[str, list[dict]] = {protocol: [] for protocol in urls}
    local: list[float] = []
    for _ in range(3):
        in_process()
    for _ in range(rounds):
        for protocol, url in urls.items():
            served[protocol].append(analyzer.run(model, url, protocol, inputs, requests))
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            in_process()
            times.append(time.perf_counter() - start)
        local.append(float(np.median(times)) * 1e3)
    report: dict = {"client": analyzer.version(), "rounds": rounds, "requests_per_round": requests}
    report["in_process_p50_ms"] = round(float(np.median(local)), 3)
    for protocol, runs in served.items():
        differences = [run["p50_ms"] - mine for run, mine in zip(runs, local, strict=True)]
        report[protocol] = {
            "p50_ms": round(float(np.median([run["p50_ms"] for run in runs])), 3),
            "p99_ms": round(float(np.median([run["p99_ms"] for run in runs])), 3),
            "overhead_p50_ms": round(float(np.median(differences)), 3),
            "overhead_per_round_ms": [round(d, 3) for d in differences],
            "mean_split_ms": runs[-1]["mean_split_ms"],
        }
    return report


def percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1e3
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


def inside_server(client, served, in_process, pairs: int) -> dict:
    """The server's own time per request: Triton's statistics (the ``success`` duration, from the request's
    arrival at the server to its response's completion: what ``perf_analyzer`` reports as server latency),
    read after every served call, against the same trace in-process (interleaved pairs); and where the
    server's time goes (means of queue, compute_input, compute_infer, compute_output per request)."""

    def stats() -> dict[str, tuple[int, int]]:
        found = client.get_inference_statistics("m2penc", as_json=True)["model_stats"][0]["inference_stats"]
        return {k: (int(v.get("count", 0)), int(v.get("ns", 0))) for k, v in found.items() if isinstance(v, dict)}

    first = before = stats()
    inside, differences = [], []
    for _ in range(pairs):
        served()
        after = stats()
        count, ns = (a - b for a, b in zip(after["success"], before["success"], strict=True))
        before = after
        start = time.perf_counter()
        in_process()
        local = time.perf_counter() - start
        if count == 1:
            inside.append(ns / 1e9)
            differences.append(ns / 1e9 - local)
    requests = before["success"][0] - first["success"][0]
    parts = ("success", "queue", "compute_input", "compute_infer", "compute_output")
    split = {k: round((before[k][1] - first[k][1]) / max(1, requests) / 1e6, 3) for k in parts if k in before}
    return {
        "requests": len(inside),
        **percentiles(inside or [float("nan")]),
        "overhead_p50_ms": round(float(np.median(differences or [float("nan")]) * 1e3), 3),
        "mean_split_ms": split,
    }
