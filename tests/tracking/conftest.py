"""A real MLflow tracking server for the tracking tests: sqlite store, artifacts proxied to a SeaweedFS bucket."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from dancegen.process import free_port
from dancegen.tracking.mlflow_server import MlflowServer
from dancegen.tracking.s3server import S3Server


def s3_client_for(server: S3Server):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
    )


@dataclass
class MlflowUnderTest:
    server: MlflowServer
    s3: S3Server
    bucket: str

    @property
    def tracking_uri(self) -> str:
        return self.server.tracking_uri

    def s3_client(self):
        return s3_client_for(self.s3)

    def bucket_objects(self) -> dict[str, bytes]:
        """Every object in the artifact bucket: key → bytes."""
        client = self.s3_client()
        objects = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for entry in page.get("Contents", []):
                objects[entry["Key"]] = client.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read()
        return objects


@pytest.fixture(scope="session")
def mlflow_server(s3_server, tmp_path_factory):
    """MLflow on a free port with ``sqlite:///…/mlflow.db`` and ``--artifacts-destination s3://<bucket>/mlflow``."""
    bucket = "mlflow-" + secrets.token_hex(4)
    s3_client_for(s3_server).create_bucket(Bucket=bucket)
    server = MlflowServer(
        tmp_path_factory.mktemp("mlflow"), free_port(), f"s3://{bucket}/mlflow", s3_env=s3_server.env()
    )
    server.start()
    yield MlflowUnderTest(server, s3_server, bucket)
    server.stop()


@pytest.fixture
def mlflow_env(mlflow_server, monkeypatch):
    """Point clients at the test MLflow server (and its S3) for one test."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.tracking_uri)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    for key, value in mlflow_server.s3.env().items():
        monkeypatch.setenv(key, value)
    return mlflow_server


@pytest.fixture(scope="session")
def generator_dir(tmp_path_factory):
    """A stand-in exported-generator directory (the pyfunc only checks that it holds files)."""
    model_dir = tmp_path_factory.mktemp("export") / "generator"
    model_dir.mkdir()
    (model_dir / "model_index.json").write_text('{"preset": "tiny", "seed": 0}')
    return model_dir


@pytest.fixture(scope="session")
def logged_generator(mlflow_server, generator_dir):
    """The pyfunc generator logged once per session (MLflow's ModelInfo); register it as often as needed."""
    from dancegen.tracking.models import log_generator

    return log_generator(generator_dir, experiment="test-models", tracking_uri=mlflow_server.tracking_uri)
