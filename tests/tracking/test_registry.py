"""Registration tags, alias-based promotion behind metric gates, and clear errors, on a real MLflow server."""

from __future__ import annotations

import os
import secrets

import mlflow
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from dancegen.tracking.commands import registry_app
from dancegen.tracking.errors import RegistryError
from dancegen.tracking.provenance import manifest_hash
from dancegen.tracking.registry import CANDIDATE, CHAMPION, ModelRegistry, parse_gates

GATES = {"fvd": "lower", "beat_align": "higher"}


@pytest.fixture
def model_name():
    return "dancegen-" + secrets.token_hex(3)


def test_register_tags_and_candidate_alias(mlflow_env, logged_generator, model_name):
    registry = ModelRegistry()
    manifest = {"clips": 8, "shards": ["train-000000.tar"]}
    version = registry.register(
        logged_generator.model_uri,
        model_name,
        metrics={"fvd": 300.0, "beat_align": 0.21},
        dataset_manifest=manifest,
        config={"train": {"lr": 1e-4}, "s3": {"secret_key": "do-not-store-me"}},
        revision="0123abcd",
    )
    mv = MlflowClient(mlflow_env.tracking_uri).get_model_version(model_name, version)
    assert mv.tags["metric.fvd"] == "300.0" and mv.tags["metric.beat_align"] == "0.21"
    assert mv.tags["dataset.manifest_sha256"] == manifest_hash(manifest)
    assert mv.tags["git.revision"] == "0123abcd"
    assert '"lr": 0.0001' in mv.tags["config"] and "do-not-store-me" not in mv.tags["config"]
    assert registry.version_by_alias(model_name, CANDIDATE) == version
    assert registry.version_by_alias(model_name, CHAMPION) is None


def test_promotion_gate_both_ways(mlflow_env, logged_generator, model_name):
    registry = ModelRegistry()
    uri = logged_generator.model_uri
    v1 = registry.register(uri, model_name, metrics={"fvd": 300.0, "beat_align": 0.20})
    first = registry.promote(model_name, v1, GATES)
    assert first.promoted and "no champion yet" in first.reason
    assert registry.version_by_alias(model_name, CHAMPION) == v1

    v2 = registry.register(uri, model_name, metrics={"fvd": 320.0, "beat_align": 0.25})  # worse FVD
    second = registry.promote(model_name, v2, GATES)
    assert not second.promoted and second.previous_champion == v1
    assert "fvd 320 is not lower than champion v1's 300" in second.reason
    assert "beat_align" not in second.reason  # only the failing gate is named
    assert registry.version_by_alias(model_name, CHAMPION) == v1
    assert registry.version_by_alias(model_name, CANDIDATE) == v2

    v3 = registry.register(uri, model_name, metrics={"fvd": 250.0, "beat_align": 0.30})
    third = registry.promote(model_name, v3, GATES)
    assert third.promoted and [c.passed for c in third.checks] == [True, True]
    assert registry.version_by_alias(model_name, CHAMPION) == v3
    assert registry.version_by_alias(model_name, CANDIDATE) is None  # it was v3's alias; v3 is champion now
    tie = registry.register(uri, model_name, metrics={"fvd": 250.0, "beat_align": 0.31})
    assert not registry.promote(model_name, tie, GATES).promoted  # a tie does not beat the champion
    assert (
        MlflowClient(mlflow_env.tracking_uri)
        .get_model_version(model_name, v2)
        .tags["promotion"]
        .startswith("stays candidate")
    )


def test_missing_model_version_and_metric_are_clear_errors(mlflow_env, logged_generator, model_name):
    registry = ModelRegistry()
    with pytest.raises(RegistryError, match=f"no registered model '{model_name}'"):
        registry.promote(model_name, 1, GATES)
    v1 = registry.register(logged_generator.model_uri, model_name, metrics={"fvd": 300.0, "beat_align": 0.2})
    with pytest.raises(RegistryError, match=rf"has no version '9'.*versions: {v1}\)"):
        registry.promote(model_name, 9, GATES)
    registry.promote(model_name, v1, GATES)  # no champion yet: no metric needed
    v2 = registry.register(logged_generator.model_uri, model_name, metrics={"fvd": 200.0})
    with pytest.raises(RegistryError, match=f"'beat_align' is missing on {model_name} v{v2}"):
        registry.promote(model_name, v2, GATES)
    with pytest.raises(RegistryError, match="METRIC=lower or METRIC=higher"):
        parse_gates(["fvd=smaller"])


def test_a_gate_metric_neither_version_has_is_skipped(mlflow_env, logged_generator, model_name):
    registry = ModelRegistry()  # FVD unavailable (no I3D weights) on both: beat_align alone decides
    v1 = registry.register(logged_generator.model_uri, model_name, metrics={"beat_align": 0.2})
    registry.promote(model_name, v1, GATES)
    v2 = registry.register(logged_generator.model_uri, model_name, metrics={"beat_align": 0.3})
    result = registry.promote(model_name, v2, GATES)
    assert result.promoted and [c.metric for c in result.checks] == ["beat_align"]
    assert "fvd unavailable on both: gate skipped" in result.reason
    v3 = registry.register(logged_generator.model_uri, model_name, metrics={"beat_align": 0.1})
    assert not registry.promote(model_name, v3, GATES).promoted
    v4 = registry.register(logged_generator.model_uri, model_name, metrics={})
    result = registry.promote(model_name, v4, {"fvd": "lower"})  # nothing left to compare: not promoted
    assert not result.promoted and "no gate metric to compare" in result.reason
    result = registry.promote(model_name, v4, {})  # no gates at all: promoted unconditionally
    assert result.promoted and "no gates configured" in result.reason


def test_cli_promote_and_list(mlflow_env, logged_generator, model_name):
    registry = ModelRegistry()
    v1 = registry.register(logged_generator.model_uri, model_name, metrics={"fvd": 300.0})
    v2 = registry.register(logged_generator.model_uri, model_name, metrics={"fvd": 280.0})
    runner = CliRunner()
    args = ["promote", "--model", model_name, "--gate", "fvd=lower", "--version"]
    assert "champion — no champion yet" in runner.invoke(registry_app, [*args, v1]).output
    promoted = runner.invoke(registry_app, [*args, v2])
    assert promoted.exit_code == 0 and "champion — promoted over v1: fvd 280 < champion v1's 300" in promoted.output
    listing = runner.invoke(registry_app, ["list", "--model", model_name])
    lines = listing.output.splitlines()
    assert lines[0].startswith(f"{model_name}  v{v2}") and "champion" in lines[0] and "fvd=280" in lines[0]
    missing = runner.invoke(registry_app, ["promote", "--model", model_name, "--version", "42"])
    assert isinstance(missing.exception, RegistryError)


def test_registering_leaves_no_server_behind_in_the_process(mlflow_server, logged_generator, model_name, monkeypatch):
    """A later call with another server (a test's, a user's) must not inherit this one (fluent MLflow globals)."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    before = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    ModelRegistry(mlflow_server.tracking_uri).register(logged_generator.model_uri, model_name)
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == before
    assert "MLFLOW_TRACKING_URI" not in os.environ and "MLFLOW_REGISTRY_URI" not in os.environ
