"""Shared, expensive setup of the trainer tests: a tiny random SDGPip dataset and ONE torchrun job (2 CPU
processes, gloo) that trains every stage under ZeRO 1, 2 and 3, an over-fit run and a run on S3.

Every run uses the tiny preset, 2–6 steps and checkpoints every 2 steps (stage 0's VAE phase as many), and a
stage 0 of 30 steps with a 30-step VAE phase that is then resumed; the tests read what the runs left behind
(metrics, checkpoints, exported models).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dancegen.storage import Location
from dancegen.train.toy_data import write_random_dataset

from .launch import COMMON, tail, torchrun

HERE = Path(__file__).parent
CHAIN_STEPS = {1: 2, 2: 2, 3: 2}  # steps per stage for ZeRO 1/2/3; ZeRO-2 stage 1 runs 4 (the resume reference)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """4 clips × 8 frames at 64×64 in 2 shards; motions alternate choreographer / aist."""
    root = tmp_path_factory.mktemp("train-data") / "data"
    write_random_dataset(root, clips=4, frames=8, size=64, clips_per_shard=2)
    return root


def _plan(base: Path, data: Path, s3_data: str, s3_out: str) -> list[dict]:
    plan = []
    for zero, steps in CHAIN_STEPS.items():
        for stage in range(4):
            max_steps = 4 if (zero, stage) == (2, 1) else steps
            plan.append(
                {
                    "name": f"z{zero}s{stage}",
                    "stage": stage,
                    "cli": {"data": {"path": str(data)}, "out": str(base / f"z{zero}" / f"s{stage}")},
                    "overrides": [
                        f"deepspeed.zero_stage={zero}",
                        f"stages.stage{stage}.max_steps={max_steps}",
                        *COMMON,
                    ],
                    "init_run": f"z{zero}s{stage - 1}" if stage else None,
                }
            )
    plan.append(
        {
            "name": "overfit",
            "stage": 1,
            "cli": {"data": {"path": str(data)}, "out": str(base / "overfit")},
            "overrides": ["stages.stage1.max_steps=6", "stages.stage1.lr=3e-3", "data.overfit_batches=1", *COMMON],
            "init_run": "z2s0",
        }
    )
    vae = ["stages.stage0.max_steps=30", "stages.stage0.micro_batch_size=1", "vae.max_steps=30"]
    vae += ["vae.micro_batch_size=4", "vae.lr=3e-3", *COMMON, "checkpoint.every=30", "log.sample_every=30"]
    for name, resume in (("vae", False), ("vae_resume", True)):  # the second finds the VAE phase done
        cli = {"data": {"path": str(data)}, "out": str(base / "vae")}
        plan.append({"name": name, "stage": 0, "cli": cli, "overrides": vae, "init_run": None, "resume": resume})
    plan.append(
        {
            "name": "s3",
            "stage": 1,
            "cli": {"data": {"path": s3_data}, "out": s3_out},
            "overrides": ["stages.stage1.max_steps=2", *COMMON],
            "init_run": "z2s0",
        }
    )
    return plan


@pytest.fixture(scope="session")
def trained(tmp_path_factory, tiny_dataset, s3_server) -> dict:
    """Run the plan; return ``{"results": {name: TrainResult fields}, "base": runs dir, "s3": {...}}``."""
    base = tmp_path_factory.mktemp("train-runs")
    env = s3_server.env()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        from dancegen.storage import s3_client

        s3_client().create_bucket(Bucket="train")
        remote = Location.parse("s3://train/data")
        for path in sorted(p for p in tiny_dataset.rglob("*") if p.is_file()):
            remote.upload_file(path.relative_to(tiny_dataset).as_posix(), path)
    plan_path, results_path = base / "plan.json", base / "results.json"
    plan_path.write_text(json.dumps(_plan(base, tiny_dataset, "s3://train/data", "s3://train/runs/s1")))
    process = torchrun([str(HERE / "run_configs.py"), str(plan_path), str(results_path)], env=env)
    assert process.returncode == 0, tail(process)
    return {"results": json.loads(results_path.read_text()), "base": base, "s3_env": env, "log": tail(process)}
