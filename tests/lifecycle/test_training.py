"""The train_stage step's command lines and PyTorchJob fields (the runs themselves: tests/pipelines)."""

import pytest
from kfp import dsl

from dancegen.errors import ConfigError
from dancegen.k8s.pytorchjob import build_pytorchjob, make_config
from dancegen.lifecycle.training import pytorchjob_fields, train_arguments, train_stage


def test_train_arguments_leave_preset_values_alone_when_zero():
    assert train_arguments(0, "tiny", "/d", "/r", None, 0, 0, []) == [
        "--stage", "0", "--preset", "tiny", "--data", "/d", "--out", "/r", "--resume", "auto",
    ]  # fmt: skip
    args = train_arguments(2, "paper", "/d", "/r", "/r1/model", 3, 50, ["optim.lr=1e-5", "log.every=1"])
    assert args[args.index("--init") + 1] == "/r1/model"
    assert args[args.index("--zero-stage") + 1] == "3" and args[args.index("--max-steps") + 1] == "50"
    assert args[-4:] == ["--set", "optim.lr=1e-5", "--set", "log.every=1"]


def test_pytorchjob_fields_point_the_job_at_the_artifact_uris():
    data = dsl.Dataset(name="dataset", uri="minio://mlpipeline/v2/artifacts/r/sdgpip/dataset", metadata={})
    previous = dsl.Model(name="model", uri="s3://runs/v2/artifacts/r/stage1/model", metadata={})
    output = dsl.Model(name="model", uri="s3://runs/v2/artifacts/r/stage2/model", metadata={})
    fields = pytorchjob_fields(2, data, output, previous, "paper", 3, 100, 0, ["optim.lr=1e-5"], "")
    job = build_pytorchjob(make_config(**fields, name="stage2", namespace="kubeflow-user"))
    master = job.spec.pytorch_replica_specs["Master"].template.spec.containers[0]
    args = master.args
    assert args[args.index("--data") + 1] == "s3://mlpipeline/v2/artifacts/r/sdgpip/dataset"
    assert args[args.index("--out") + 1] == "s3://runs/v2/artifacts/r/stage2/model"
    assert args[args.index("--init") + 1] == "s3://runs/v2/artifacts/r/stage1/model/model"
    assert args[args.index("--max-steps") + 1] == "100" and args[args.index("--set") + 1] == "optim.lr=1e-5"
    assert args[args.index("--zero-stage") + 1] == "3" and "--resume" in args
    assert master.image.startswith("dancegen/trainer:") and job.spec.nproc_per_node == "8"  # paper: one per GPU


def test_train_stage_rejects_bad_settings_before_starting_anything(tmp_path):
    data = dsl.Dataset(name="dataset", uri=str(tmp_path / "data"), metadata={})
    model = dsl.Model(name="model", uri=str(tmp_path / "run"), metadata={})
    with pytest.raises(ConfigError, match="executor 'slurm' is unknown"):
        train_stage(0, data, model, executor="slurm")
    with pytest.raises(ConfigError, match="unknown config key 'stages.stage0.bogus'"):
        train_stage(0, data, model, overrides="stages.stage0.bogus=1")
    assert not (tmp_path / "run" / "checkpoints").exists()
