"""`dancegen stack up|status|down` against real servers, with DANCEGEN_HOME in tmp_path and free ports."""

from __future__ import annotations

import json
import stat

import boto3
from typer.testing import CliRunner

from dancegen.process import free_port, pid_alive
from dancegen.tracking.commands import stack_app
from dancegen.tracking.endpoints import resolve_endpoints
from dancegen.tracking.mlflow_server import mlflow_healthy
from dancegen.tracking.stack import LocalStack, stack_env


def test_stack_up_status_down_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.setenv("DANCEGEN_HOME", str(tmp_path))
    runner = CliRunner()
    s3_port, mlflow_port = free_port(), free_port()
    stack = LocalStack()
    try:
        first = runner.invoke(stack_app, ["up", "--s3-port", str(s3_port), "--mlflow-port", str(mlflow_port)])
        assert first.exit_code == 0, first.output
        assert "stack started" in first.output
        pids = [s.pid for s in stack.status().services]
        second = runner.invoke(stack_app, ["up"])  # no ports: the ones chosen before are kept
        assert second.exit_code == 0 and "already running" in second.output
        assert [s.pid for s in stack.status().services] == pids

        status = runner.invoke(stack_app, ["status"])
        assert status.exit_code == 0
        assert f"http://127.0.0.1:{s3_port}" in status.output and f"http://127.0.0.1:{mlflow_port}" in status.output
        assert status.output.count("healthy") == 2

        keys_file = tmp_path / "stack" / "credentials.json"
        assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
        keys = json.loads(keys_file.read_text())
        assert keys["secret_key"] not in status.output + first.output

        env = stack_env()
        assert env["MLFLOW_TRACKING_URI"] == f"http://127.0.0.1:{mlflow_port}" and mlflow_healthy(
            env["MLFLOW_TRACKING_URI"]
        )
        s3 = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        assert "dancegen" in {b["Name"] for b in s3.list_buckets()["Buckets"]}

        for name in ("MLFLOW_TRACKING_URI", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        fallback = resolve_endpoints()
        assert (fallback.tracking_source, fallback.s3_source) == ("local stack", "local stack")
        assert fallback.env["AWS_SECRET_ACCESS_KEY"] == keys["secret_key"]
        real = resolve_endpoints({"MLFLOW_TRACKING_URI": "https://mlflow.example.org"})
        assert real.tracking_uri == "https://mlflow.example.org" and real.tracking_source == "environment"
        assert real.s3_source == "local stack"  # S3 is resolved on its own
    finally:
        down = runner.invoke(stack_app, ["down"])
    assert down.exit_code == 0 and "mlflow" in down.output and "seaweedfs" in down.output
    assert not any(pid_alive(pid) for pid in pids)
    assert "not running" in runner.invoke(stack_app, ["down"]).output
    stopped = runner.invoke(stack_app, ["status"])
    assert stopped.exit_code == 1 and stopped.output.count("stopped") == 2
