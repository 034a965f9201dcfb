"""The evaluation pipeline under kfp.local, and its fetch step, against the version the training run registered."""

import filecmp

import pytest
from kfp import dsl

from dancegen.lifecycle.errors import PipelineError
from dancegen.lifecycle.registry_steps import fetch_model
from dancegen.lifecycle.runner import run_local

pytestmark = pytest.mark.integration


def test_fetch_copies_the_registered_model_and_names_a_missing_alias(training_run, tmp_path):
    model = dsl.Model(name="model", uri=str(tmp_path / "champion"), metadata={})
    assert fetch_model(model, training_run.model_name, "champion", tracking_uri=training_run.tracking_uri) == "1"
    trained = training_run.output("train-stage-4", "model") / "model"
    fetched = tmp_path / "champion" / "model"
    assert filecmp.cmp(trained / "model_index.json", fetched / "model_index.json", shallow=False)
    assert model.metadata == {"registered_model": training_run.model_name, "version": "1", "reference": "champion"}
    with pytest.raises(PipelineError, match="no version of .* holds the alias 'candidate'"):  # promotion removed it
        fetch_model(dsl.Model(name="model", uri=str(tmp_path / "x"), metadata={}), training_run.model_name, "candidate",
                    tracking_uri=training_run.tracking_uri)  # fmt: skip


def test_a_version_is_not_better_than_itself(training_run, tmp_path):
    dataset = training_run.output("sdgpip-generate", "dataset")
    outputs = run_local(
        "evaluation",
        [
            f"dataset_uri={dataset}",
            f"model_name={training_run.model_name}",
            "version=1",
            "baseline=champion",
            "eval_steps=1",
            "gates=psnr=higher",
            f"tracking_uri={training_run.tracking_uri}",
        ],
        tmp_path / "root",
    )
    assert outputs["better"] is False
    assert outputs["reason"].startswith("candidate is not better: psnr ") and "(higher is better)" in outputs["reason"]
    value = outputs["reason"].split("psnr ")[1].split(" vs ")
    assert value[0] == value[1].split(" ")[0]  # the same model, seed and clips give the same score
