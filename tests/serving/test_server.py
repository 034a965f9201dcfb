"""The server: every model loads, `serve status` reports it, a model that cannot load stops the start cleanly."""

from __future__ import annotations

import shutil

import psutil
import pytest
from typer.testing import CliRunner

from dancegen.process import free_port, port_open
from dancegen.serving.commands import serve_app
from dancegen.serving.errors import ServingError
from dancegen.serving.server import TritonServer


def test_all_models_load_and_status_reports_them(triton):
    status = triton.status()
    assert status["running"] and status["ready"]
    states = {model["name"]: model["state"] for model in status["models"]}
    assert states == dict.fromkeys(["dance_video", "dance_video_stream", "m2penc", "music_features"], "READY")
    result = CliRunner().invoke(serve_app, ["status"])
    assert result.exit_code == 0, result.output
    assert f"grpc: {triton.grpc_url}" in result.output and "m2penc v1: READY" in result.output


def test_a_model_that_cannot_load_fails_the_start_with_its_reason(repository, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(repository / "music_features", repo / "music_features")
    config = repo / "music_features" / "config.pbtxt"
    config.write_text(config.read_text().replace("dims: 35", "dims: 36"))
    server = TritonServer(
        str(repo), http_port=free_port(), grpc_port=free_port(), metrics_port=free_port(), run_dir=tmp_path / "run"
    )
    with pytest.raises(ServingError, match=r"music_features.*FEATURES.*dims \[-1, 36\].*\[-1, 35\]"):
        server.start(timeout=120)
    assert server.process.pid() is None and not server.state_file.exists()
    assert not port_open(server.http_port)


def test_start_refuses_a_busy_port(repository, triton, tmp_path):
    server = TritonServer(str(repository), http_port=triton.http_port, run_dir=tmp_path / "run")
    with pytest.raises(ServingError, match=f"port {triton.http_port} on 127.0.0.1 is in use; pass another --http-port"):
        server.start()


def test_cli_start_status_stop_leave_nothing_running(repository, tmp_path, monkeypatch):
    monkeypatch.setenv("DANCEGEN_HOME", str(tmp_path / "home"))
    repo = tmp_path / "repo"
    shutil.copytree(repository / "music_features", repo / "music_features")  # one light model: a quick start
    ports = [str(free_port()) for _ in range(3)]
    runner = CliRunner()
    args = ["start", "--repo", str(repo), "--http-port", ports[0], "--grpc-port", ports[1], "--metrics-port", ports[2]]
    result = runner.invoke(serve_app, args)
    assert result.exit_code == 0, result.output
    server = TritonServer.recorded()
    processes = [psutil.Process(server.process.pid()), *psutil.Process(server.process.pid()).children(recursive=True)]
    assert len(processes) == 2  # tritonserver and the music_features stub
    result = runner.invoke(serve_app, ["status"])
    assert result.exit_code == 0 and "music_features v1: READY" in result.output
    result = runner.invoke(serve_app, ["stop"])
    assert result.exit_code == 0 and "Triton stopped" in result.output
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)
    assert not any(port_open(int(port)) for port in ports)
    result = runner.invoke(serve_app, ["status"])
    assert result.exit_code == 1 and "not running" in result.output
