"""register_model.python_func: a model artifact without an exported model is refused before MLflow is
contacted (registration against a real MLflow server: tests/pipelines)."""

import pytest
from kfp import dsl

from components.register_model import register_model
from dancegen.errors import WeightsError
from dancegen.process import free_port


def test_model_without_export_is_refused_before_contacting_mlflow(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(WeightsError, match="pass the output of train_stage or fetch_model"):
        register_model.python_func(
            model=dsl.Model(name="model", uri=str(tmp_path / "run"), metadata={}),
            results=dsl.Artifact(name="results", uri=str(tmp_path / "results"), metadata={}),
            report=dsl.HTML(name="report", uri=str(tmp_path / "report"), metadata={}),
            data=dsl.Dataset(name="dataset", uri=str(tmp_path / "data"), metadata={}),
            tracking_uri=f"http://127.0.0.1:{free_port()}",
        )
