"""A local MLflow tracking server: sqlite backend store, artifacts proxied to an S3 bucket.

``mlflow server --backend-store-uri sqlite:///… --artifacts-destination s3://bucket/prefix --serve-artifacts
--workers 1`` with ``MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false`` is healthy in ≈ 11 s and uses ≈ 430 MB
(RECIPES.md). Clients then need only ``MLFLOW_TRACKING_URI``: artifact uploads go through the server, which
alone holds the S3 keys (passed in its environment, never on its command line).
"""

from __future__ import annotations

import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dancegen.process import ManagedProcess


def mlflow_healthy(tracking_uri: str, timeout: float = 2.0) -> bool:
    """True if ``<tracking_uri>/health`` answers 200 (an MLflow tracking server that is up)."""
    with urllib.request.urlopen(f"{tracking_uri.rstrip('/')}/health", timeout=timeout) as response:
        return response.status == 200


@dataclass
class MlflowServer:
    """MLflow on 127.0.0.1:<port>; store ``root/mlflow.db``, PID and log files in ``root``.

    ``s3_env`` holds the variables the server needs to write the bucket (``S3Server.env()``); the
    artifact destination is an ``s3://bucket[/prefix]`` URI.
    """

    root: Path
    port: int
    artifacts_destination: str
    s3_env: dict[str, str] = field(default_factory=dict)

    @property
    def tracking_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return Path(self.root) / "mlflow.db"

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess("mlflow", Path(self.root))

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{self.db_path}",
            "--artifacts-destination",
            self.artifacts_destination,
            "--serve-artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]

    def start(self, timeout: float = 120.0) -> int:
        """Start unless running (PID file), wait until ``/health`` answers; return the PID."""
        Path(self.root).mkdir(parents=True, exist_ok=True)
        env = {
            **self.s3_env,
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",  # offline machines; nothing should phone home
            "PYTHONUNBUFFERED": "1",
        }
        pid = self.process.start(self.command(), env=env, cwd=Path(self.root))
        self.process.wait_ready(self.healthy, timeout=timeout, interval=0.5)
        return pid

    def healthy(self) -> bool:
        return mlflow_healthy(self.tracking_uri)

    def stop(self) -> bool:
        return self.process.stop()
