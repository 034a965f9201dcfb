"""MlflowTracker against a real MLflow server whose artifacts land in a real SeaweedFS bucket."""

from __future__ import annotations

import json
import secrets
import socket
import threading

import numpy as np
import pytest
from mlflow import MlflowClient

from dancegen.process import free_port
from dancegen.tracking.errors import TrackingError
from dancegen.tracking.mlflow_tracker import MlflowTracker
from dancegen.train.tracking import Tracker


def test_run_artifacts_are_objects_in_the_bucket(mlflow_env, tmp_path):
    checkpoint = tmp_path / "step_000010.safetensors"
    checkpoint.write_bytes(np.arange(64, dtype=np.float32).tobytes())
    report = tmp_path / "metrics.json"
    report.write_text(json.dumps({"fvd": 123.0}))
    videos = tmp_path / "samples"
    videos.mkdir()
    (videos / "clip0.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    grid = np.random.default_rng(0).integers(0, 256, size=(24, 40, 3), dtype=np.uint8)

    with MlflowTracker(experiment="test-artifacts", run_name="tiny") as tracker:
        assert isinstance(tracker, Tracker)
        data = {"region": "us-east-1", "endpoint": mlflow_env.s3.endpoint}  # settings, not secrets: kept
        tracker.log_params({"model": {"channels": 8, "heads": 2}, "train": {"lr": 1e-4}, "data": data})
        for step in range(5):
            tracker.log_metrics({"loss": 1.0 / (step + 1), "grad_norm": 0.5}, step=step)
        tracker.log_image(grid, "samples", step=4)
        tracker.log_artifact(checkpoint)
        tracker.log_artifact(report)
        tracker.log_artifact(videos)

    client = MlflowClient(mlflow_env.tracking_uri)
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["model.channels"] == "8" and run.data.params["train.lr"] == "0.0001"
    assert run.data.params["data.region"] == "us-east-1" and run.data.params["data.endpoint"] == mlflow_env.s3.endpoint
    history = client.get_metric_history(tracker.run_id, "loss")
    assert [m.step for m in sorted(history, key=lambda m: m.step)] == [0, 1, 2, 3, 4]
    assert sorted(history, key=lambda m: m.step)[-1].value == pytest.approx(0.2)

    prefix = f"mlflow/{run.info.experiment_id}/{tracker.run_id}/artifacts/"
    objects = {key[len(prefix) :]: data for key, data in mlflow_env.bucket_objects().items() if key.startswith(prefix)}
    assert objects["checkpoints/step_000010.safetensors"] == checkpoint.read_bytes()
    assert json.loads(objects["reports/metrics.json"]) == {"fvd": 123.0}
    assert objects["samples/clip0.mp4"] == (videos / "clip0.mp4").read_bytes()
    assert json.loads(objects["config/config.json"])["model"] == {"channels": 8, "heads": 2}
    pngs = [name for name in objects if name.startswith("images/") and name.endswith(".png")]
    assert len(pngs) == 1 and objects[pngs[0]].startswith(b"\x89PNG")


def test_no_credential_reaches_the_store_or_the_bucket(mlflow_env, tmp_path):
    s3_secret = mlflow_env.s3.secret_key  # also in this process's AWS_SECRET_ACCESS_KEY
    password = "pw-" + secrets.token_hex(12)  # in no environment variable: only the key name gives it away
    config = {
        "storage": {"aws_secret_access_key": s3_secret, "endpoint": f"https://dancer:{password}@s3.example.org"},
        "apiToken": password,
        "notes": f"copied from the shell: {s3_secret}",
        "keypoints": 24,
    }
    leaky = tmp_path / "leaky.yaml"
    leaky.write_text(f"aws_secret_access_key: {s3_secret}\n")
    with MlflowTracker(experiment="test-secrets", tags={"db_password": password}) as tracker:
        tracker.log_params(config)
        tracker.set_tags({"origin": f"s3 with {s3_secret}"})
        tracker.log_json(config, "reports/resolved.json")
        with pytest.raises(TrackingError, match="contains a credential"):
            tracker.log_artifact(leaky)

    run = MlflowClient(mlflow_env.tracking_uri).get_run(tracker.run_id)
    assert run.data.params["keypoints"] == "24"
    assert run.data.params["storage.aws_secret_access_key"] == "REDACTED"
    assert run.data.params["storage.endpoint"] == "https://dancer:REDACTED@s3.example.org"
    store = mlflow_env.server.db_path
    store_bytes = b"".join(p.read_bytes() for p in store.parent.glob(store.name + "*"))  # db, -wal, -shm
    assert tracker.run_id.encode() in store_bytes  # the scan looks at the right store
    objects = mlflow_env.bucket_objects()
    assert any(tracker.run_id in key for key in objects)
    for needle in (s3_secret.encode(), password.encode()):
        assert needle not in store_bytes
        assert not [key for key, data in objects.items() if needle in data or needle in key.encode()]
    assert s3_secret not in mlflow_env.server.process.log_file.read_text()


class _ClosingServer:
    """A TCP listener that accepts and immediately closes each connection, counting them (a dead proxy)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def test_unreachable_server_is_one_line_after_bounded_retries():
    server = _ClosingServer()
    try:
        uri = f"http://127.0.0.1:{server.port}"
        with pytest.raises(TrackingError) as caught:
            MlflowTracker(tracking_uri=uri, attempts=3, backoff=0.01)
    finally:
        server.close()
    assert server.accepted == 3
    message = str(caught.value)
    assert "\n" not in message and uri in message and "3 attempts" in message

    nobody = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(TrackingError, match=f"{nobody} is unreachable after 2 attempts") as caught:
        MlflowTracker(tracking_uri=nobody, attempts=2, backoff=0.01)
    assert "\n" not in str(caught.value)


def test_bad_image_and_missing_artifact_are_errors(mlflow_env, tmp_path):
    with MlflowTracker(experiment="test-errors") as tracker:
        with pytest.raises(TrackingError, match=r"\(H, W, 3\) uint8"):
            tracker.log_image(np.zeros((8, 8), np.float32), "grid", step=0)
        with pytest.raises(TrackingError, match="does not exist"):
            tracker.log_artifact(tmp_path / "missing.pt")
