"""One real Triton server per test session, serving a tiny random-initialised DanceModel exported by the tests.

The repository is written by ``export_repository`` with small limits (so "too long" requests are cheap to
send), plus ``dance_video_stream``: the same ``dance_video`` model exported decoupled (``--stream-progress``),
so both transaction policies are served by one server. The server runs from ``$DANCEGEN_HOME/triton`` (the
session's isolated home), which is where ``dancegen serve status`` looks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from dancegen.models import DanceModel
from dancegen.paths import home_dir
from dancegen.process import free_port
from dancegen.serving.client import DanceClient
from dancegen.serving.export import ExportOptions, export_repository
from dancegen.serving.interfaces import DANCE_VIDEO, dance_video_interface
from dancegen.serving.model_config import build_model_config
from dancegen.serving.server import TritonServer

from .inputs import STREAM_MODEL, TEST_PARAMETERS, png_bytes, wav_bytes


def add_stream_variant(repo: Path) -> None:
    """Copy ``dance_video`` to ``dance_video_stream`` with a decoupled config (what --stream-progress exports)."""
    target = repo / STREAM_MODEL
    shutil.copytree(repo / DANCE_VIDEO, target)
    config = build_model_config(
        dance_video_interface(stream_progress=True),
        stream_progress=True,
        parameters=TEST_PARAMETERS["dance_video"],
        name=STREAM_MODEL,
    )
    (target / "config.pbtxt").write_text(config)


@pytest.fixture(scope="package", autouse=True)
def _one_thread():
    """One torch thread in the test process: the in-process references are tiny, the 2 cores are shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    return DanceModel.from_preset("tiny").save_pretrained(tmp_path_factory.mktemp("model") / "model")


@pytest.fixture(scope="session")
def tiny_model(model_dir) -> DanceModel:
    return DanceModel.from_pretrained(model_dir)


@pytest.fixture(scope="session")
def frame_shapes(tiny_model) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """What m2penc returns per frame for the tiny preset: guidance (C, h, h) and heatmaps (J, S, S)."""
    cfg = tiny_model.music_encoder.config
    return (
        (cfg.guidance_channels, cfg.guidance_size, cfg.guidance_size),
        (cfg.heatmap_channels, cfg.spatial_size, cfg.spatial_size),
    )


@pytest.fixture(scope="session")
def repository(model_dir, tmp_path_factory) -> Path:
    repo = Path(
        export_repository(
            model_dir, tmp_path_factory.mktemp("triton") / "repo", ExportOptions(parameters=TEST_PARAMETERS)
        )
    )
    add_stream_variant(repo)
    return repo


@pytest.fixture(scope="session")
def triton(repository, _isolated_home):
    """The running server (stopped at the end of the session)."""
    server = TritonServer(
        str(repository),
        http_port=free_port(),
        grpc_port=free_port(),
        metrics_port=free_port(),
        run_dir=home_dir() / "triton",
    )
    server.start(timeout=300)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def grpc_client(triton):
    with DanceClient(triton.grpc_url, "grpc", timeout=120) as client:
        yield client


@pytest.fixture(scope="session")
def http_client(triton):
    with DanceClient(triton.http_url, "http", timeout=120) as client:
        yield client


@pytest.fixture(params=["grpc", "http"])
def client(request, grpc_client, http_client) -> DanceClient:
    """Each test using it runs once per protocol."""
    return grpc_client if request.param == "grpc" else http_client


@pytest.fixture(scope="session")
def song() -> bytes:
    return wav_bytes(4.0)


@pytest.fixture(scope="session")
def photo() -> bytes:
    return png_bytes()
