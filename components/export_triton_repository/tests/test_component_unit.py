"""export_triton_repository.python_func: a model artifact without an exported model is refused
(an export of a trained model: tests/pipelines)."""

import pytest
from kfp import dsl

from components.export_triton_repository import export_triton_repository
from dancegen.errors import WeightsError


def test_model_without_export_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(WeightsError, match="has no model/model_index.json"):
        export_triton_repository.python_func(
            model=dsl.Model(name="model", uri=str(tmp_path / "run"), metadata={}),
            repository=dsl.Artifact(name="repository", uri=str(tmp_path / "repo"), metadata={}),
        )
    assert not (tmp_path / "repo").exists()
