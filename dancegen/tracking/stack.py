"""The local tracking stack: a SeaweedFS S3 server and an MLflow tracking server on 127.0.0.1.

Everything lives under ``$DANCEGEN_HOME/stack`` (``dancegen.paths.home_dir()``)::

    stack/credentials.json   S3 access/secret key, generated once, mode 0600
    stack/stack.json         ports and bucket chosen at the first ``up``
    stack/seaweedfs/         S3 data, PID and log of ``weed mini``
    stack/mlflow/            mlflow.db (runs, registry), PID and log of ``mlflow server``

``up`` is idempotent (a running, healthy stack is left alone), ``down`` stops both servers by PID, and
``status`` reports endpoints and health. ``stack_env()`` gives the environment clients need.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from dancegen.paths import home_dir
from dancegen.process import port_open
from dancegen.storage import atomic_write_bytes
from dancegen.tracking.errors import TrackingError
from dancegen.tracking.mlflow_server import MlflowServer
from dancegen.tracking.s3server import S3Server

DEFAULT_S3_PORT = 8333
DEFAULT_MLFLOW_PORT = 5000
DEFAULT_BUCKET = "dancegen"
ARTIFACT_PREFIX = "mlflow"  # MLflow artifacts go to s3://<bucket>/mlflow/…; datasets may use other prefixes


@dataclass(frozen=True)
class StackConfig:
    """Ports and bucket of the local stack (``stack.json``)."""

    s3_port: int = DEFAULT_S3_PORT
    mlflow_port: int = DEFAULT_MLFLOW_PORT
    bucket: str = DEFAULT_BUCKET


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    endpoint: str
    pid: int | None
    healthy: bool

    @property
    def state(self) -> str:
        if self.pid is None:
            return "stopped"
        return "healthy" if self.healthy else "running, not healthy"


@dataclass(frozen=True)
class StackStatus:
    root: Path
    bucket: str
    services: tuple[ServiceStatus, ...]

    @property
    def healthy(self) -> bool:
        return all(service.healthy for service in self.services)

    @property
    def running(self) -> bool:
        return any(service.pid is not None for service in self.services)

    def lines(self) -> list[str]:
        """Human-readable status, one service per line."""
        out = [f"stack at {self.root} (bucket s3://{self.bucket})"]
        for service in self.services:
            pid = f" pid {service.pid}" if service.pid else ""
            out.append(f"  {service.name:<8} {service.endpoint:<24} {service.state}{pid}")
        return out


class LocalStack:
    """The SeaweedFS + MLflow pair under ``home/stack`` (``home`` defaults to ``$DANCEGEN_HOME``)."""

    def __init__(self, home: Path | None = None) -> None:
        self.root = Path(home if home is not None else home_dir()) / "stack"

    # -- files -----------------------------------------------------------------------------
    @property
    def credentials_file(self) -> Path:
        return self.root / "credentials.json"

    @property
    def config_file(self) -> Path:
        return self.root / "stack.json"

    def exists(self) -> bool:
        """True once ``up`` has run here (keys and ports are on disk)."""
        return self.credentials_file.is_file() and self.config_file.is_file()

    def config(self) -> StackConfig:
        if not self.config_file.is_file():
            return StackConfig()
        try:
            return StackConfig(**json.loads(self.config_file.read_text()))
        except (ValueError, TypeError) as exc:
            raise TrackingError(
                f"{self.config_file} is unreadable ({exc}); delete it and run `dancegen stack up`"
            ) from None

    def _credentials(self, create: bool) -> dict[str, str]:
        """The S3 keys; generated once (mode 0600) when ``create``."""
        path = self.credentials_file
        if path.is_file():
            try:
                keys = json.loads(path.read_text())
                return {"access_key": keys["access_key"], "secret_key": keys["secret_key"]}
            except (ValueError, KeyError, TypeError):
                raise TrackingError(f"{path} is unreadable; delete it and run `dancegen stack up`") from None
        if not create:
            raise TrackingError(f"the local stack has no keys yet ({path}); run `dancegen stack up`")
        keys = {"access_key": "DG" + secrets.token_hex(9).upper(), "secret_key": secrets.token_urlsafe(30)}
        atomic_write_bytes(path, json.dumps(keys).encode())  # mkstemp creates the file 0600
        path.chmod(0o600)
        return keys

    # -- servers ---------------------------------------------------------------------------
    def s3_server(self) -> S3Server:
        keys = self._credentials(create=False)
        return S3Server(self.root / "seaweedfs", keys["access_key"], keys["secret_key"], s3_port=self.config().s3_port)

    def mlflow_server(self) -> MlflowServer:
        config = self.config()
        return MlflowServer(
            self.root / "mlflow",
            port=config.mlflow_port,
            artifacts_destination=f"s3://{config.bucket}/{ARTIFACT_PREFIX}",
            s3_env=self.s3_server().env(),
        )

    def up(self, s3_port: int | None = None, mlflow_port: int | None = None, bucket: str | None = None) -> bool:
        """Start whatever is not running, create the bucket, wait until healthy; True if anything started."""
        self.root.mkdir(parents=True, exist_ok=True)
        old = self.config()
        new = StackConfig(
            s3_port=s3_port or old.s3_port, mlflow_port=mlflow_port or old.mlflow_port, bucket=bucket or old.bucket
        )
        status = self.status() if self.exists() else None
        if status and status.running and new != old:
            raise TrackingError(
                f"the local stack is running with {old}; run `dancegen stack down` before changing ports or bucket"
            )
        if status and status.healthy:
            return False
        self._credentials(create=True)
        atomic_write_bytes(self.config_file, json.dumps(new.__dict__).encode())
        s3, mlflow = self.s3_server(), self.mlflow_server()
        for server, port in ((s3, new.s3_port), (mlflow, new.mlflow_port)):
            if server.process.pid() is None and port_open(port):
                raise TrackingError(
                    f"port {port} on 127.0.0.1 is taken by another program; "
                    "choose another with `dancegen stack up --s3-port/--mlflow-port`"
                )
        s3.start()
        _ensure_bucket(s3, new.bucket)
        mlflow.start()
        return True

    def down(self) -> list[str]:
        """Stop MLflow, then SeaweedFS, by PID; return the names of the servers that were stopped."""
        if not self.exists():
            return []
        stopped = []
        for server in (self.mlflow_server(), self.s3_server()):
            if server.stop():
                stopped.append(server.process.name)
        return stopped

    def status(self) -> StackStatus:
        """Endpoints, PIDs and health of both servers (no keys are shown)."""
        config = self.config()
        if not self.exists():
            services = (
                ServiceStatus("s3", f"http://127.0.0.1:{config.s3_port}", None, False),
                ServiceStatus("mlflow", f"http://127.0.0.1:{config.mlflow_port}", None, False),
            )
            return StackStatus(self.root, config.bucket, services)
        services = []
        for name, server in (("s3", self.s3_server()), ("mlflow", self.mlflow_server())):
            pid = server.process.pid()
            healthy = False
            if pid is not None:
                try:
                    healthy = bool(server.healthy())
                except Exception:  # connection refused, timeouts, S3 errors: all mean "not healthy"
                    healthy = False
            endpoint = server.endpoint if isinstance(server, S3Server) else server.tracking_uri
            services.append(ServiceStatus(name, endpoint, pid, healthy))
        return StackStatus(self.root, config.bucket, tuple(services))

    def env(self) -> dict[str, str]:
        """Client environment: MLFLOW_TRACKING_URI plus the S3 variables (AWS_*, MLFLOW_S3_ENDPOINT_URL)."""
        return {"MLFLOW_TRACKING_URI": self.mlflow_server().tracking_uri, **self.s3_server().env()}


def _ensure_bucket(server: S3Server, bucket: str) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
    )
    existing = {entry["Name"] for entry in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)


def stack_env(home: Path | None = None) -> dict[str, str]:
    """Environment for clients of the local stack (raises TrackingError if it was never set up)."""
    stack = LocalStack(home)
    if not stack.exists():
        raise TrackingError(f"no local stack under {stack.root}; run `dancegen stack up`")
    return stack.env()
