"""Model references: local directories, s3:// prefixes (real SeaweedFS) and models:/ registry URIs (real MLflow)."""

import shutil
from pathlib import Path

import pytest
import torch

from dancegen.errors import WeightsError
from dancegen.infer import load_model, resolve_model_dir
from dancegen.storage import Location
from dancegen.train.checkpoints import run_paths


def tree(root: Path) -> dict[str, bytes]:
    """Relative path → bytes of every file under ``root`` (bookkeeping files left out)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".complete"
    }


def test_a_local_directory_is_used_in_place(model_dir):
    assert resolve_model_dir(model_dir) == model_dir
    assert resolve_model_dir(str(model_dir)) == model_dir


def test_a_training_run_stands_for_its_exported_model(model_dir, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(model_dir, run / run_paths().model)
    assert resolve_model_dir(run) == run / "model"


@pytest.mark.parametrize("reference", ["models:/dancegen", "models:/dancegen@", "models:/dancegen/latest/x"])
def test_malformed_registry_uris_name_the_option(reference):
    with pytest.raises(WeightsError, match="--model .* is not a registry URI"):
        resolve_model_dir(reference)


def test_loaded_models_are_reused_until_the_directory_changes(model_dir):
    first = load_model(model_dir)
    assert load_model(str(model_dir)) is first


@pytest.mark.integration
def test_s3_prefix_is_downloaded_and_loaded(s3_env, model_dir, tiny_model):
    location = Location.parse(f"s3://{s3_env}/runs/r1/model")
    for name in tree(model_dir):
        location.upload_file(name, model_dir / name)
    local = resolve_model_dir(location.uri)
    assert tree(local) == tree(model_dir)
    assert tree(resolve_model_dir(f"s3://{s3_env}/runs/r1")) == tree(model_dir)  # the run root → run/model
    loaded = load_model(location.uri)
    assert torch.equal(loaded.unet.conv_in.weight, tiny_model.unet.conv_in.weight)
    with pytest.raises(WeightsError, match="holds no files"):
        resolve_model_dir(f"s3://{s3_env}/runs/empty")


@pytest.mark.integration
def test_registry_alias_resolves_to_the_model_dir_artifact(model_dir, tmp_path, monkeypatch):
    import mlflow

    from dancegen.tracking.endpoints import mlflow_uris
    from dancegen.tracking.models import PYFUNC_MODEL_FILE

    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path / "cache"))
    client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    experiment = client.create_experiment("generators", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow_uris(tracking_uri):  # the fluent calls below; restored after (another test has another server)
        with mlflow.start_run(experiment_id=experiment):
            info = mlflow.pyfunc.log_model(
                name="generator",
                python_model=str(PYFUNC_MODEL_FILE),
                artifacts={"model_dir": str(model_dir)},
                pip_requirements=["dancegen"],
            )
        version = mlflow.register_model(info.model_uri, "dancegen").version
        client.set_registered_model_alias("dancegen", "champion", version)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///elsewhere.db")  # a stale registry must not be asked
    local = resolve_model_dir("models:/dancegen@champion")
    run_id = client.get_model_version("dancegen", version).run_id
    assert local == tmp_path / "cache" / "models" / "dancegen" / f"v{version}-{run_id[:12]}" / "model"
    assert tree(local) == tree(model_dir)
    assert resolve_model_dir(f"models:/dancegen/{version}") == local  # the version is downloaded once
    with pytest.raises(WeightsError, match="--model models:/dancegen@nobody: not in the registry"):
        resolve_model_dir("models:/dancegen@nobody")
