"""One real run of the training pipeline, shared by the pipeline tests: kfp.local (SubprocessRunner), a
micro preset (SDGPip 3 tracks × 1 s at 64 px, one optimizer step per stage, one process), registration in a
real MLflow server (tests/tracking's fixture: sqlite + SeaweedFS), then the same run again, which must reuse
every finished step."""

from __future__ import annotations

import importlib.util
import json
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


def _tracking_fixtures():
    """tests/tracking/conftest.py as a module of its own (both conftests are named ``conftest``)."""
    path = Path(__file__).parents[1] / "tracking" / "conftest.py"
    spec = importlib.util.spec_from_file_location("tracking_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


mlflow_server = _tracking_fixtures().mlflow_server  # reused, not duplicated

MICRO = [
    "tracks=3",
    "track_seconds=1",
    "clip_seconds=1",
    "fps=8",
    "size=64",
    "sdgpip_workers=1",
    "stage0_steps=1",
    "stage1_steps=1",
    "stage2_steps=1",
    "stage3_steps=1",
    "processes=1",
    "eval_steps=1",
    "gates=psnr=higher",
    "experiment=pipeline-tests",
]


@dataclass
class PipelineRun:
    """Two local runs of the training pipeline with the same parameters in one root."""

    root: Path
    model_name: str
    tracking_uri: str
    first: dict
    second: dict
    params: list[str]

    def run_dirs(self) -> list[Path]:
        """The two runs' output directories, oldest first."""
        return sorted(p for p in (self.root / "outputs").iterdir() if p.is_dir() and not p.name.startswith("."))

    def output(self, task: str, name: str) -> Path:
        """``<first run>/<task>/<name>``: an artifact of the first run."""
        return self.run_dirs()[0] / task / name

    def json(self, task: str, name: str):
        return json.loads(self.output(task, name).read_text())


@pytest.fixture(scope="session")
def training_run(mlflow_server, tmp_path_factory) -> PipelineRun:
    from dancegen.lifecycle.runner import run_local

    root = tmp_path_factory.mktemp("pipeline-root")
    name = f"pipeline-test-{secrets.token_hex(3)}"  # registry-cache directories are keyed by name and version
    params = [*MICRO, f"model_name={name}", f"tracking_uri={mlflow_server.tracking_uri}"]
    first = run_local("training", params, root)
    second = run_local("training", params, root)
    return PipelineRun(root, name, mlflow_server.tracking_uri, first, second, params)
