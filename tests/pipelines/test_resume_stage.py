"""A training step killed after its first checkpoint resumes there on the rerun (work_root), and a finished
one is reused without starting torchrun."""

import json
import logging
import os
from pathlib import Path

import pytest
from kfp import dsl

from dancegen.lifecycle.errors import PipelineError
from dancegen.lifecycle.training import train_stage
from dancegen.train.trainer import KILL_AFTER_STEP

pytestmark = pytest.mark.integration


def test_killed_stage_resumes_from_its_checkpoint_then_is_reused(training_run, tmp_path, monkeypatch, caplog):
    data = dsl.Dataset(name="dataset", uri=str(training_run.output("sdgpip-generate", "dataset")), metadata={})
    init = dsl.Model(name="model", uri=str(training_run.output("train-stage", "model")), metadata={})
    settings = dict(init=init, max_steps=2, overrides="checkpoint.every=1;log.progress=false", work_root=str(tmp_path))

    def attempt(number):
        model = dsl.Model(name="model", uri=str(tmp_path / f"attempt{number}" / "model"), metadata={})
        return train_stage(1, data, model, **settings)

    monkeypatch.setenv(KILL_AFTER_STEP, "1")
    with pytest.raises(PipelineError, match=r"training stage 1 failed \(torchrun exit code"):
        attempt(1)
    monkeypatch.delenv(KILL_AFTER_STEP)
    exported = Path(attempt(2))
    info = json.loads((exported / "training.json").read_text())
    assert (info["stage"], info["step"], info["resumed_from"]) == (1, 2, 1)
    assert os.path.realpath(tmp_path / "attempt1" / "model") == os.path.realpath(tmp_path / "attempt2" / "model")

    with caplog.at_level(logging.INFO, logger="dancegen.lifecycle"):
        assert Path(attempt(3)).resolve() == exported.resolve()
    assert "stage 1: reusing the finished run" in caplog.text
