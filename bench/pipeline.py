"""Local pipeline overhead: the training pipeline under kfp.local vs the same steps called directly (target ≤ 1.2×).

Both variants run SDGPip → training stages 0–3 (torchrun, one process) → evaluate → register → promote →
export with the same settings, from scratch, against one SeaweedFS + MLflow server started here:

* ``baseline``: the :mod:`dancegen.lifecycle` step functions called one after another in one fresh process
  (the named baseline: what a script would do);
* ``pipeline``: ``dancegen pipeline run --local`` (:func:`dancegen.lifecycle.runner.run_local`): each step a
  subprocess started by kfp.local, artifacts passed by path, the task cache written.

Also reported: a rerun of the pipeline with the same parameters (every step reused but the promotion).
Every process runs with ``OMP_NUM_THREADS=1`` so that CPU seconds measure work, not idle OpenMP threads
spinning (which depends on how loaded the shared machine is). With ``--rounds N`` the two variants alternate
(baseline first in odd rounds) and the medians are reported. Prints one JSON object on stdout (the steps'
logs go to stderr).

The pipeline's extra cost is fixed (each of its 9 steps is a process that starts Python, imports kfp and
what the step needs, e.g. diffusers ≈ 5 s for evaluate and for register's input-example check), so the ratio
depends on the workload: the default is a micro run (4 steps per stage); ``--steps 60`` is closer to a
real one.

    .venv/bin/python bench/pipeline.py [--tracks 3] [--seconds 2] [--steps 4] [--eval-steps 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from kfp import dsl

from dancegen.lifecycle.evaluation import evaluate_model
from dancegen.lifecycle.registry_steps import promote_model, register_model
from dancegen.lifecycle.runner import run_local
from dancegen.lifecycle.steps import export_triton_repository, generate_dataset
from dancegen.lifecycle.training import train_stage
from dancegen.process import free_port
from dancegen.tracking.mlflow_server import MlflowServer
from dancegen.tracking.s3server import S3Server


def _clock(fn, *args) -> dict:
    """Wall and CPU seconds (this process and its children) of ``fn(*args)``."""
    before, start = os.times(), time.perf_counter()
    fn(*args)
    after, wall = os.times(), time.perf_counter() - start
    cpu = sum(getattr(after, k) - getattr(before, k) for k in ("user", "system", "children_user", "children_system"))
    return {"seconds": round(wall, 1), "cpu_seconds": round(cpu, 1)}


def run_direct(root: Path, args, tracking_uri: str, model_name: str) -> None:
    """The pipeline's steps as plain calls, artifacts as KFP artifact objects on local paths."""

    def artifact(kind, task: str, name: str):
        return kind(name=name, uri=str(root / task / name), metadata={})

    dataset = artifact(dsl.Dataset, "sdgpip", "dataset")
    generate_dataset(dataset, args.tracks, args.seconds, args.seconds, args.fps, args.size, workers=1)
    previous = None
    for stage in range(4):
        model = artifact(dsl.Model, f"stage{stage}", "model")
        train_stage(stage, dataset, model, init=previous, max_steps=args.steps, processes=1)
        previous = model
    results, report = artifact(dsl.Artifact, "evaluate", "results"), artifact(dsl.HTML, "evaluate", "report")
    metrics = artifact(dsl.Metrics, "evaluate", "metrics")
    evaluate_model(previous, dataset, results, report, metrics=metrics, steps=args.eval_steps)
    version = register_model(
        previous, results, report, dataset, model_name=model_name, experiment="bench", tracking_uri=tracking_uri
    )
    promote_model(model_name, version, gates="psnr=higher", tracking_uri=tracking_uri)
    export_triton_repository(previous, artifact(dsl.Artifact, "export", "repository"))


def pipeline_params(args, tracking_uri: str, model_name: str) -> list[str]:
    steps = [f"stage{stage}_steps={args.steps}" for stage in range(4)]
    return [
        f"tracks={args.tracks}", f"track_seconds={args.seconds}", f"clip_seconds={args.seconds}", f"fps={args.fps}",
        f"size={args.size}", "sdgpip_workers=1", "processes=1", *steps, f"eval_steps={args.eval_steps}",
        "gates=psnr=higher", "experiment=bench", f"model_name={model_name}", f"tracking_uri={tracking_uri}",
    ]  # fmt: skip


def workload_args(args) -> list[str]:
    return [f"--tracks={args.tracks}", f"--seconds={args.seconds}", f"--fps={args.fps}", f"--size={args.size}",
            f"--steps={args.steps}", f"--eval-steps={args.eval_steps}"]  # fmt: skip


def run_variant(variant: str, number: int, base: Path, args, tracking_uri: str) -> None:
    """Round ``number`` of ``variant`` in its own directory and registered model (a rerun reuses both).

    The baseline is a fresh process too (a script calling the steps), so that neither variant finds the
    other's imports, compiled kernels or loaded models warm in this process."""
    if variant == "baseline":
        root, name = base / f"direct{number}", f"bench-direct-{number}"
        command = [sys.executable, __file__, *workload_args(args), f"--direct-root={root}", f"--direct-model={name}",
                   f"--tracking-uri={tracking_uri}"]  # fmt: skip
        subprocess.run(command, check=True, stdout=sys.stderr)
    else:
        run_local("training", pipeline_params(args, tracking_uri, f"bench-pipeline-{number}"), base / f"pipe{number}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tracks", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0, help="track and clip length")
    parser.add_argument("--fps", type=float, default=8.0)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per stage")
    parser.add_argument("--eval-steps", type=int, default=4, help="DDIM steps when evaluating")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of both variants (medians)")
    parser.add_argument("--direct-root", type=Path, help=argparse.SUPPRESS)  # the baseline's own process
    parser.add_argument("--direct-model", help=argparse.SUPPRESS)
    parser.add_argument("--tracking-uri", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.direct_root:
        run_direct(args.direct_root, args, args.tracking_uri, args.direct_model)
        return
    os.environ["OMP_NUM_THREADS"] = "1"  # nothing imported so far loads torch; every step process inherits it
    report = os.fdopen(os.dup(1), "w")  # the JSON goes here; everything else (steps, subprocesses) to stderr
    os.dup2(2, 1)
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        base = Path(tmp)
        os.environ["DANCEGEN_HOME"] = str(base / "home")
        s3 = S3Server(base / "s3", "AK" + secrets.token_hex(8).upper(), secrets.token_urlsafe(24), s3_port=free_port())
        s3.start()
        server = None
        try:
            boto3.client(
                "s3", endpoint_url=s3.endpoint, aws_access_key_id=s3.access_key,
                aws_secret_access_key=s3.secret_key, region_name="us-east-1",
            ).create_bucket(Bucket="mlflow")  # fmt: skip
            server = MlflowServer(base / "mlflow", free_port(), "s3://mlflow/bench", s3_env=s3.env())
            server.start()
            uri = server.tracking_uri
            runs: dict[str, list[dict]] = {"baseline": [], "pipeline": []}
            for number in range(args.rounds):
                order = ["baseline", "pipeline"] if number % 2 == 0 else ["pipeline", "baseline"]
                for variant in order:
                    runs[variant].append(_clock(run_variant, variant, number, base, args, uri))
            rerun = _clock(run_variant, "pipeline", args.rounds - 1, base, args, uri)
        finally:
            if server is not None:
                server.stop()
            s3.stop()
    baseline, ours = (
        {key: statistics.median(run[key] for run in runs[variant]) for key in ("seconds", "cpu_seconds")}
        for variant in ("baseline", "pipeline")
    )
    payload = {
        "benchmark": "pipeline_local_overhead",
        "workload": {"tracks": args.tracks, "clip_seconds": args.seconds, "fps": args.fps, "size": args.size,
                     "steps_per_stage": args.steps, "eval_steps": args.eval_steps, "processes_per_stage": 1,
                     "omp_num_threads": 1, "rounds": args.rounds},
        "ours": {"name": "training pipeline under kfp.local (SubprocessRunner)", **ours},
        "baseline": {"name": "the same dancegen.lifecycle steps called directly, in one fresh process", **baseline},
        "ratio": round(ours["seconds"] / baseline["seconds"], 3),
        "cpu_ratio": round(ours["cpu_seconds"] / baseline["cpu_seconds"], 3),
        "target_ratio": 1.2,
        "rerun": {"name": "same pipeline again: every step reused except the promotion", **rerun},
        "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
    }  # fmt: skip
    print(json.dumps(payload), file=report, flush=True)


if __name__ == "__main__":
    main()
