"""Endpoint resolution (environment first, then the local stack) and credential scrubbing, without servers."""

from __future__ import annotations

import os

import mlflow
import pytest

from dancegen.tracking.endpoints import Endpoints, mlflow_uris, resolve_endpoints
from dancegen.tracking.errors import TrackingError
from dancegen.tracking.scrub import REDACTED, is_secret_key, known_secrets, scrub, scrub_text, secrets_in_file


def test_environment_wins_group_by_group(tmp_path):
    environ = {"MLFLOW_TRACKING_URI": "http://mlflow:5000", "AWS_ENDPOINT_URL": "http://minio:9000"}
    endpoints = resolve_endpoints(environ, home=tmp_path)
    assert endpoints.tracking_uri == "http://mlflow:5000"
    assert endpoints.s3_endpoint == "http://minio:9000"
    assert (endpoints.tracking_source, endpoints.s3_source) == ("environment", "environment")
    assert "AWS_SECRET_ACCESS_KEY" not in endpoints.env  # never filled in from elsewhere
    only_tracking = resolve_endpoints({"MLFLOW_TRACKING_URI": "http://mlflow:5000"}, home=tmp_path)
    assert only_tracking.s3_source == "none" and only_tracking.s3_endpoint is None


def test_exported_variables_leave_with_the_block_and_set_ones_stay(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_DEFAULT_REGION": "us-east-1"}
    endpoints = Endpoints("http://127.0.0.1:2", env, "local stack", "local stack")
    with endpoints.exported():
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"  # the user's setting wins
    assert "AWS_ENDPOINT_URL" not in os.environ and os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"


def test_mlflow_uris_are_restored_with_their_variables(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:3")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    before = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    with mlflow_uris("http://127.0.0.1:4"):
        assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == "http://127.0.0.1:4"
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == before
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://127.0.0.1:3" and "MLFLOW_REGISTRY_URI" not in os.environ


def test_nothing_configured_names_the_fix(tmp_path):
    with pytest.raises(TrackingError, match="set MLFLOW_TRACKING_URI or start the local stack"):
        resolve_endpoints({}, home=tmp_path)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("aws_secret_access_key", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("apiKey", True),
        ("storage.password", True),
        ("hf_token", True),
        ("Credentials", True),
        ("keypoints", False),
        ("heatmap_channels", False),
        ("monkey", False),
        ("lr", False),
    ],
)
def test_secret_key_names(name, secret):
    assert is_secret_key(name) is secret


def test_scrub_masks_keys_urls_and_known_values(tmp_path):
    known = "sk-" + "q" * 20
    config = {
        "s3": {"secret_key": "abc", "uri": "s3://bucket/x", "endpoint": "https://u:pw123456@host/p"},
        "list": [{"token": "t"}, f"prefix {known} suffix"],
        "keypoints": 24,
        "password": "",
    }
    clean = scrub(config, secrets=[known])
    assert clean["s3"] == {"secret_key": REDACTED, "uri": "s3://bucket/x", "endpoint": f"https://u:{REDACTED}@host/p"}
    assert clean["list"] == [{"token": REDACTED}, f"prefix {REDACTED} suffix"]
    assert clean["keypoints"] == 24 and clean["password"] == ""
    assert config["s3"]["secret_key"] == "abc"  # the input is not modified
    assert scrub_text("plain text", secrets=[known]) == "plain text"
    blob = tmp_path / "ckpt.bin"
    blob.write_bytes(b"\x00" * 1000 + known.encode() + b"\x01" * 10)
    assert secrets_in_file(blob, [known]) and not secrets_in_file(blob, ["not-there-at-all"])


def test_environment_secrets_skip_the_working_directory(monkeypatch, tmp_path):
    # reports and artifacts name paths under the working directory: $PWD is not a password, $MYSQL_PWD is
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("OLDPWD", str(tmp_path.parent))
    monkeypatch.setenv("MYSQL_PWD", "hunter2-hunter2")
    secrets = known_secrets()
    assert "hunter2-hunter2" in secrets
    assert str(tmp_path) not in secrets and str(tmp_path.parent) not in secrets
