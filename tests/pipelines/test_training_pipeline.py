"""The training pipeline end to end under kfp.local: SDGPip → stages 0–3 → evaluate → register → promote →
export, and a rerun that reuses every finished step."""

import json
import os

import mlflow
import pytest

pytestmark = pytest.mark.integration


def test_first_run_registers_and_promotes_the_first_version(training_run):
    assert training_run.first == {
        "version": "1",
        "promoted": True,
        "reason": "no champion yet: v1 becomes champion",
    }


def test_rerun_reuses_every_finished_step_and_registers_nothing_new(training_run):
    assert training_run.second == {"version": "1", "promoted": True, "reason": "v1 is already the champion"}
    first, second = training_run.run_dirs()
    assert {p.name for p in second.iterdir() if p.is_dir()} == {"promote-model"}  # never cached: the registry moves
    client = mlflow.MlflowClient(training_run.tracking_uri)
    versions = client.search_model_versions(f"name = '{training_run.model_name}'")
    assert [v.version for v in versions] == ["1"]


def test_stages_chain_through_their_exported_models(training_run):
    previous = None
    for stage, task in enumerate(("train-stage", "train-stage-2", "train-stage-3", "train-stage-4")):
        run = training_run.output(task, "model")
        info = json.loads((run / "model" / "training.json").read_text())
        assert (info["stage"], info["step"]) == (stage, 1)
        assert info["config"]["data"]["path"] == os.path.realpath(training_run.output("sdgpip-generate", "dataset"))
        assert info["config"]["init_from"] == (os.path.realpath(previous / "model") if previous else None)
        previous = run
    work = training_run.root / "work"
    assert os.path.realpath(previous).startswith(str(work / "stage3"))  # resumable work lives under work_root


def test_evaluation_scores_the_test_split_with_honest_unavailable_metrics(training_run):
    manifest = json.loads((training_run.output("sdgpip-generate", "dataset") / "manifest.json").read_text())
    results = training_run.json("evaluate", "results")
    test_shard = manifest["splits"]["test"][0]
    assert results["clips"] == next(s["clips"] for s in manifest["shards"] if s["name"] == test_shard)
    status = {entry["name"]: entry for entry in results["metrics"]}
    assert status["ssim"]["status"] == status["psnr"]["status"] == "ok"
    assert status["lpips"]["status"] == "unavailable" and "lpips_weights" in status["lpips"]["reason"]
    assert status["fvd"]["status"] == "unavailable" and "i3d_torchscript" in status["fvd"]["reason"]
    assert set(results["scalars"]) == {name for name, entry in status.items() if entry["status"] == "ok"}
    assert json.loads(training_run.output("evaluate", "metrics").read_text()) == results["scalars"]
    page = training_run.output("evaluate", "report").read_text()
    assert page.count('<video controls src="data:video/mp4;base64,') == len(results["clips"])
    assert "lpips_weights is not set" in page


def test_registered_version_carries_metrics_dataset_and_evaluation(training_run):
    client = mlflow.MlflowClient(training_run.tracking_uri)
    version = client.get_model_version(training_run.model_name, "1")
    results = training_run.json("evaluate", "results")
    assert float(version.tags["metric.psnr"]) == pytest.approx(results["scalars"]["psnr"])
    assert len(version.tags["dataset.manifest_sha256"]) == 64
    assert client.get_model_version_by_alias(training_run.model_name, "champion").version == "1"
    run = client.get_run(version.run_id)
    assert run.data.metrics["psnr"] == pytest.approx(results["scalars"]["psnr"])
    assert run.data.params["stage"] == "3"
    listed = {item.path for item in client.list_artifacts(version.run_id, "evaluation")}
    assert listed == {"evaluation/evaluation.json", "evaluation/evaluation.html"}


def test_export_writes_a_triton_repository_of_the_trained_model(training_run):
    repository = training_run.output("export-triton-repository", "repository")
    configs = sorted(repository.glob("*/config.pbtxt"))
    assert configs, f"no <model>/config.pbtxt in {sorted(p.name for p in repository.iterdir())}"
    assert all((config.parent / "1" / "model.py").is_file() for config in configs)
