"""evaluate.python_func: a model artifact without an exported model is refused up front
(the evaluation of a trained model: tests/pipelines)."""

import pytest
from kfp import dsl

from components.evaluate import evaluate
from dancegen.errors import WeightsError


def test_model_without_export_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(WeightsError, match="has no model/model_index.json"):
        evaluate.python_func(
            model=dsl.Model(name="model", uri=str(tmp_path / "run"), metadata={}),
            data=dsl.Dataset(name="dataset", uri=str(tmp_path / "data"), metadata={}),
            metrics=dsl.Metrics(name="metrics", uri=str(tmp_path / "metrics"), metadata={}),
            results=dsl.Artifact(name="results", uri=str(tmp_path / "results"), metadata={}),
            report=dsl.HTML(name="report", uri=str(tmp_path / "report"), metadata={}),
        )
    assert not (tmp_path / "results").exists()
