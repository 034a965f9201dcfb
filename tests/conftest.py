"""Shared fixtures: a real SeaweedFS S3 server on 127.0.0.1 and isolated dancegen home/cache dirs."""

from __future__ import annotations

import os
import secrets

import pytest

from dancegen.process import free_port
from dancegen.tracking.s3server import S3Server


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory):
    """Keep tests away from the user's ~/.local/share/dancegen (the cache stays shared: it is regenerable)."""
    home = tmp_path_factory.mktemp("dancegen-home")
    old = os.environ.get("DANCEGEN_HOME")
    os.environ["DANCEGEN_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("DANCEGEN_HOME", None)
    else:
        os.environ["DANCEGEN_HOME"] = old


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A running SeaweedFS S3 server with fresh random keys; stopped at the end of the session."""
    server = S3Server(
        tmp_path_factory.mktemp("seaweedfs"),
        access_key="AK" + secrets.token_hex(8).upper(),
        secret_key=secrets.token_urlsafe(24),
        s3_port=free_port(),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """Point boto3 (and MLflow) at the test S3 server for one test; yields a fresh bucket name."""
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    from dancegen.storage import s3_client

    bucket = "test-" + secrets.token_hex(4)
    s3_client().create_bucket(Bucket=bucket)
    return bucket
