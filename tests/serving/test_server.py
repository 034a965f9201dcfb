"""The server: every model loads, `serve status` reports it, a model that cannot load stops the start cleanly."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import numpy as np
import psutil
import pytest
from typer.testing import CliRunner

from dancegen.process import free_port, port_open
from dancegen.serving.commands import serve_app
from dancegen.serving.errors import ServingError
from dancegen.serving.server import MALLOC_SETTINGS, TritonServer


def test_all_models_load_and_status_reports_them(triton):
    status = triton.status()
    assert status["running"] and status["ready"]
    states = {model["name"]: model["state"] for model in status["models"]}
    assert states == dict.fromkeys(["dance_video", "dance_video_stream", "m2penc", "music_features"], "READY")
    result = CliRunner().invoke(serve_app, ["status"])
    assert result.exit_code == 0, result.output
    assert f"grpc: {triton.grpc_url}" in result.output and "m2penc v1: READY" in result.output


def _minor_faults(process: psutil.Process) -> int:
    """minflt of /proc/<pid>/stat (psutil 7.2 does not report page faults)."""
    return int(Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


def test_stubs_keep_freed_activations_instead_of_faulting_them_in_per_request(triton, grpc_client, tiny_model):
    stub = next(
        p
        for p in psutil.Process(triton.process.pid()).children(recursive=True)
        if any(part.endswith("m2penc/1/model.py") for part in p.cmdline())
    )
    assert {name: stub.environ().get(name) for name in MALLOC_SETTINGS} == MALLOC_SETTINGS
    features = np.random.default_rng(0).standard_normal((1, tiny_model.music_encoder.config.max_frames, 35), np.float32)
    grpc_client.m2penc(features)  # warm: the heap grows to the pass's size once
    before = _minor_faults(stub)
    for _ in range(5):
        grpc_client.m2penc(features)
    # glibc's defaults hand freed activations back to the kernel: ≈ 1800 faults per 15-frame pass here
    assert (_minor_faults(stub) - before) / 5 < 300


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


def test_an_interrupted_start_leaves_no_server_running(repository, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(repository / "music_features", repo / "music_features")
    server = TritonServer(repo, http_port=free_port(), grpc_port=free_port(), run_dir=tmp_path / "run")
    assert server.repo == str(repo)  # a Path is taken as its text (the state file is JSON)

    def interrupted(self) -> bool:
        launched.append(self.process.pid())
        raise KeyboardInterrupt  # fault injection: Ctrl-C while waiting for readiness

    launched: list = []
    monkeypatch.setattr(TritonServer, "ready", interrupted)
    with pytest.raises(KeyboardInterrupt):
        server.start(timeout=60)
    assert launched and launched[0] is not None
    with contextlib.suppress(psutil.NoSuchProcess):  # gone, or a zombie nobody reaped
        assert psutil.Process(launched[0]).status() == psutil.STATUS_ZOMBIE
    assert server.process.pid() is None and not server.state_file.exists()


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
