"""A run killed after a checkpoint resumes (``--resume auto``) at the same step and data position.

The reference is the uninterrupted ZeRO-2 stage-1 run of the session job (``z2s1``: 4 steps, checkpoints at
2 and 4). The same config runs through the CLI (``torchrun -m dancegen.train``) and is SIGKILLed right
after its step-2 checkpoint (fault injection), then resumed.
"""

from __future__ import annotations

import json

import pytest
import torch

from dancegen.models.dancer import DanceModel
from dancegen.train.checkpoints import checkpoint_steps, read_train_state
from dancegen.train.commands import main
from dancegen.train.trainer import KILL_AFTER_STEP

from .launch import COMMON, tail, torchrun


def test_killed_run_resumes_at_the_same_step_and_data_position(trained, tiny_dataset, tmp_path, capsys):
    reference = trained["base"] / "z2" / "s1"
    out = tmp_path / "resumed"
    args = [
        "-m", "dancegen.train", "--stage", "1", "--preset", "tiny", "--data", str(tiny_dataset), "--out", str(out),
        "--init", str(trained["base"] / "z2" / "s0" / "model"), "--zero-stage", "2", "--max-steps", "4",
    ]  # fmt: skip
    for override in COMMON:
        args += ["--set", override]

    killed = torchrun(args, env={KILL_AFTER_STEP: "2"})
    assert killed.returncode != 0, tail(killed)
    assert checkpoint_steps(str(out)) == [2] and not (out / "model").exists()

    with pytest.raises(SystemExit) as refused:  # without --resume the occupied --out is refused (in-process CLI)
        main(args[2:])
    assert refused.value.code == 2 and "pass --resume auto" in capsys.readouterr().err

    resumed = torchrun([*args, "--resume", "auto"])
    assert resumed.returncode == 0, tail(resumed)
    assert "step 4 (resumed at step 2)" in resumed.stdout

    for step in (2, 4):
        assert read_train_state(str(out), step)["positions"] == read_train_state(str(reference), step)["positions"]
    logged = [json.loads(line) for line in (out / "tracking" / "metrics.jsonl").read_text().splitlines()]
    expected = [json.loads(line) for line in (reference / "tracking" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in logged] == [1, 2, 3, 4]
    for got, want in zip(logged, expected, strict=True):
        assert got["loss"] == pytest.approx(want["loss"], rel=1e-6, abs=1e-9)
    mine = DanceModel.from_pretrained(out / "model").music_encoder.state_dict()
    theirs = DanceModel.from_pretrained(reference / "model").music_encoder.state_dict()
    assert all(torch.allclose(mine[key], theirs[key], atol=1e-7) for key in theirs)
