"""Compiled pipelines: KFP loads them back, every step's component is named, and orchestration (retries,
resources, caching) sits on the tasks."""

import kfp.components
import pytest
import yaml

from dancegen.lifecycle.runner import compile_pipelines


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("compiled")
    return {path.stem.removesuffix("_pipeline"): path for path in compile_pipelines(out)}


def tasks_of(spec):
    return spec["root"]["dag"]["tasks"]


def test_training_yaml_names_every_step_and_retries_each(compiled):
    path = compiled["training"]
    assert kfp.components.load_component_from_file(str(path)).name == "dancegen-training"
    spec = yaml.safe_load(path.read_text())
    assert set(spec["components"]) == {
        "comp-sdgpip-generate",
        "comp-train-stage",
        "comp-train-stage-2",
        "comp-train-stage-3",
        "comp-train-stage-4",
        "comp-evaluate",
        "comp-register-model",
        "comp-promote-model",
        "comp-export-triton-repository",
    }
    tasks = tasks_of(spec)
    assert all(task["retryPolicy"]["maxRetryCount"] >= 1 for task in tasks.values())
    assert [tasks[f"train-stage{s}"]["taskInfo"]["name"] for s in ("", "-2", "-3", "-4")] == [
        "stage 0: pose to video", "stage 1: M2PEnc", "stage 2: U-Net", "stage 3: temporal layers",
    ]  # fmt: skip
    assert "init" not in tasks["train-stage"]["inputs"].get("artifacts", {})
    assert tasks["train-stage-2"]["inputs"]["artifacts"]["init"]["taskOutputArtifact"]["producerTask"] == "train-stage"
    assert tasks["promote-model"]["cachingOptions"] == {}  # caching off: the champion moves
    assert tasks["register-model"]["cachingOptions"] == {"enableCache": True}
    assert "promote-model" in tasks["export-triton-repository"]["dependentTasks"]
    for name, executor in spec["deploymentSpec"]["executors"].items():
        assert executor["container"]["image"].startswith("dancegen/package:"), name
        assert {"resourceCpuLimit", "resourceMemoryLimit"} <= set(executor["container"]["resources"]), name


def test_evaluation_yaml_fetches_uncached_and_imports_the_dataset(compiled):
    path = compiled["evaluation"]
    assert kfp.components.load_component_from_file(str(path)).name == "dancegen-evaluation"
    spec = yaml.safe_load(path.read_text())
    assert {"comp-fetch-model", "comp-fetch-model-2", "comp-evaluate", "comp-evaluate-2", "comp-compare-models"} <= set(
        spec["components"]
    )
    tasks = tasks_of(spec)
    assert tasks["fetch-model"]["cachingOptions"] == tasks["fetch-model-2"]["cachingOptions"] == {}
    assert "importer" in spec["deploymentSpec"]["executors"]["exec-importer"]
    assert all(task.get("retryPolicy", {}).get("maxRetryCount", 0) >= 1 for n, task in tasks.items() if n != "importer")
