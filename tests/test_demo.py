"""`dancegen demo` end to end at a micro size: its own local stack (SeaweedFS + MLflow on free ports), the
training pipeline under kfp.local, promotion, generation from models:/dancegen@champion and the same
request served by a real tritonserver."""

import os

import mlflow
import pytest

from dancegen.demo import CHAMPION, MICRO, MODEL_NAME, run_demo
from dancegen.process import free_port
from dancegen.tracking.endpoints import S3_VARS, TRACKING_VARS
from dancegen.tracking.stack import LocalStack
from dancegen.video import probe_mp4

pytestmark = pytest.mark.integration


@pytest.fixture
def demo_home(tmp_path):
    """A private DANCEGEN_HOME with its own stack; the environment is restored afterwards (the demo exports the
    stack's endpoints into os.environ for its pipeline steps, which must not leak into later tests)."""
    saved = dict(os.environ)
    for key in (*TRACKING_VARS, *S3_VARS):
        os.environ.pop(key, None)
    home = tmp_path / "home"
    os.environ["DANCEGEN_HOME"] = str(home)
    stack = LocalStack(home)
    try:
        stack.up(s3_port=free_port(), mlflow_port=free_port())  # the demo reuses it: no clash with a user's stack
        yield home
    finally:
        stack.down()
        os.environ.clear()
        os.environ.update(saved)


def test_demo_trains_promotes_generates_and_serves(demo_home, tmp_path):
    out = tmp_path / "demo-out"
    lines = list(run_demo(out, MICRO, home=demo_home))
    text = "\n".join(lines)
    assert "promoted to champion" in text, text

    song_seconds = MICRO.song_seconds
    for name in ("dance.mp4", "dance_triton.mp4"):
        facts = probe_mp4(out / name)
        assert facts["video_codec"] == "h264" and facts["audio_codec"] == "aac", (name, facts)
        assert abs(facts["video_seconds"] - song_seconds) <= 1.0 / facts["fps"] + 1e-6, (name, facts)
    assert probe_mp4(out / "dance.preview.mp4")["frames"] == probe_mp4(out / "dance.mp4")["frames"]

    report = next(line for line in lines if line.startswith("evaluation report:")).split(":", 1)[1].strip()
    assert "<video controls" in open(report).read()
    assert (out / "guidance-preview").is_dir() and any((out / "guidance-preview").glob("*.png"))

    tracking_uri = LocalStack(demo_home).env()["MLFLOW_TRACKING_URI"]
    champion = mlflow.MlflowClient(tracking_uri).get_model_version_by_alias(MODEL_NAME, "champion")
    assert f"registered {MODEL_NAME} version {champion.version}:" in text
    assert f"MLflow UI:            {tracking_uri}/#/models/{MODEL_NAME}" in text
    assert CHAMPION in text
