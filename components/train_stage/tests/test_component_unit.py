"""train_stage.python_func: bad settings fail before any training process starts (runs: tests/pipelines)."""

import pytest
from kfp import dsl

from components.train_stage import train_stage
from dancegen.errors import ConfigError, WeightsError


def artifacts(tmp_path):
    data = dsl.Dataset(name="dataset", uri=str(tmp_path / "data"), metadata={})
    model = dsl.Model(name="model", uri=str(tmp_path / "run"), metadata={})
    return data, model


def test_unknown_executor_and_bad_overrides_are_config_errors(tmp_path):
    data, model = artifacts(tmp_path)
    with pytest.raises(ConfigError, match="executor 'k8s' is unknown; use 'local'"):
        train_stage.python_func(stage=0, data=data, model=model, executor="k8s")
    with pytest.raises(ConfigError, match="'deepspeed.zero_stage' = 4"):
        train_stage.python_func(stage=0, data=data, model=model, zero_stage=4)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_an_init_run_without_an_exported_model_is_refused(tmp_path):
    data, model = artifacts(tmp_path)
    (tmp_path / "stage0-run").mkdir()
    init = dsl.Model(name="model", uri=str(tmp_path / "stage0-run"), metadata={})
    with pytest.raises(WeightsError, match="stage0-run has no model/model_index.json"):
        train_stage.python_func(stage=1, data=data, model=model, init=init)
