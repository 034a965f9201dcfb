"""One place that reads and writes files in a local directory or an S3 prefix.

``Location.parse("out/ds")`` and ``Location.parse("s3://bucket/prefix")`` give objects with the same
methods. Local writes are atomic (temporary file + ``os.replace``); S3 ``put_object`` is atomic by
nature. S3 credentials and endpoint come from the standard environment: ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION`` and ``AWS_ENDPOINT_URL`` (or
``MLFLOW_S3_ENDPOINT_URL``, which MLflow users already set). Connection problems are retried with
backoff by botocore, then raised as :class:`~dancegen.errors.StorageError` naming the endpoint.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dancegen.errors import StorageError


def is_s3(uri: str | os.PathLike) -> bool:
    return str(uri).startswith("s3://")


def s3_endpoint() -> str | None:
    """The S3 endpoint URL from the environment, or None for AWS itself."""
    return os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None


def s3_client():
    """A boto3 S3 client configured from the environment, with retries and short timeouts."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        s3={"addressing_style": "path"},
    )
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint(),
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=config,
    )


def _s3_error(exc: Exception, what: str) -> StorageError:
    endpoint = s3_endpoint() or "AWS S3"
    name = type(exc).__name__
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
    if code in ("NoSuchBucket",):
        return StorageError(f"{what}: S3 bucket does not exist (endpoint {endpoint})")
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"):
        return StorageError(f"{what}: S3 refused the credentials ({code}) at {endpoint}; check AWS_ACCESS_KEY_ID")
    if "EndpointConnectionError" in name or "ConnectionError" in name or "ConnectTimeout" in name:
        return StorageError(f"{what}: S3 endpoint {endpoint} is unreachable; set AWS_ENDPOINT_URL or start the stack")
    if "NoCredentials" in name:
        return StorageError(f"{what}: no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    return StorageError(f"{what}: S3 error {code or name} at {endpoint}")


@dataclass(frozen=True)
class Location:
    """A directory-like place: a local directory or ``s3://bucket/prefix``.

    Names passed to the methods are relative, '/'-separated (``"shards/train-000000.tar"``).
    """

    uri: str

    @classmethod
    def parse(cls, uri: str | os.PathLike) -> Location:
        text = str(uri)
        if is_s3(text):
            bucket = text[5:].split("/", 1)[0]
            if not bucket:
                raise StorageError(f"{text!r} has no bucket name; use s3://bucket/prefix")
            return cls(text.rstrip("/"))
        return cls(str(Path(text).expanduser()))

    # -- addressing -------------------------------------------------------------------------
    @property
    def is_s3(self) -> bool:
        return is_s3(self.uri)

    @property
    def bucket(self) -> str:
        return self.uri[5:].split("/", 1)[0]

    @property
    def prefix(self) -> str:
        parts = self.uri[5:].split("/", 1)
        return parts[1] if len(parts) > 1 else ""

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def join(self, name: str) -> str:
        """URI of ``name`` inside this location."""
        return f"{self.uri}/{name}" if self.is_s3 else str(Path(self.uri) / name)

    def child(self, name: str) -> Location:
        return Location(self.join(name))

    # -- operations -------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Create the directory (local) or check the bucket exists (S3); raise StorageError otherwise."""
        if self.is_s3:
            try:
                s3_client().head_bucket(Bucket=self.bucket)
            except Exception as exc:  # botocore raises several unrelated classes
                code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                if code in ("404", "NoSuchBucket"):
                    where = s3_endpoint() or "AWS"
                    raise StorageError(f"S3 bucket {self.bucket!r} does not exist at {where}") from None
                raise _s3_error(exc, f"cannot use {self.uri}") from None
            return
        path = Path(self.uri)
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-", delete=True)
            probe.close()
        except OSError as exc:
            raise StorageError(f"output directory {self.uri} is not writable: {exc.strerror}") from None

    def exists(self, name: str) -> bool:
        if self.is_s3:
            try:
                s3_client().head_object(Bucket=self.bucket, Key=self._key(name))
                return True
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                if code in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise _s3_error(exc, f"cannot check {self.join(name)}") from None
        return (Path(self.uri) / name).exists()

    def read_bytes(self, name: str) -> bytes:
        if self.is_s3:
            try:
                return s3_client().get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
            except Exception as exc:
                raise _s3_error(exc, f"cannot read {self.join(name)}") from None
        try:
            return (Path(self.uri) / name).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {self.join(name)}: {exc.strerror}") from None

    def write_bytes(self, name: str, data: bytes) -> str:
        """Write atomically; return the URI written."""
        if self.is_s3:
            try:
                s3_client().put_object(Bucket=self.bucket, Key=self._key(name), Body=data)
            except Exception as exc:
                raise _s3_error(exc, f"cannot write {self.join(name)}") from None
            return self.join(name)
        path = Path(self.uri) / name
        atomic_write_bytes(path, data)
        return str(path)

    def upload_file(self, name: str, local_path: str | os.PathLike) -> str:
        """Copy a finished local file into this location atomically; return the URI."""
        if self.is_s3:
            try:
                s3_client().upload_file(str(local_path), self.bucket, self._key(name))
            except Exception as exc:
                raise _s3_error(exc, f"cannot upload to {self.join(name)}") from None
            return self.join(name)
        dst = Path(self.uri) / name
        if Path(local_path).resolve() != dst.resolve():
            atomic_write_bytes(dst, Path(local_path).read_bytes())
        return str(dst)

    def download_file(self, name: str, local_path: str | os.PathLike) -> Path:
        """Copy ``name`` to a local path (a no-op rename-free read for local locations)."""
        if not self.is_s3:
            return Path(self.uri) / name
        local_path = Path(local_path)
        local_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3_client().download_file(self.bucket, self._key(name), str(local_path))
        except Exception as exc:
            raise _s3_error(exc, f"cannot download {self.join(name)}") from None
        return local_path

    def list(self, prefix: str = "") -> Iterator[str]:
        """Names (relative to this location) that start with ``prefix``, sorted."""
        if self.is_s3:
            names = []
            try:
                pages = (
                    s3_client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix))
                )
                for page in pages:
                    for obj in page.get("Contents", []):
                        key = obj["Key"]
                        names.append(key[len(self.prefix) + 1 :] if self.prefix else key)
            except Exception as exc:
                raise _s3_error(exc, f"cannot list {self.uri}") from None
            yield from sorted(names)
            return
        root = Path(self.uri)
        if not root.exists():
            return
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and rel.startswith(prefix) and not path.name.startswith(".tmp-"):
                yield rel

    def delete(self, name: str) -> None:
        if self.is_s3:
            try:
                s3_client().delete_object(Bucket=self.bucket, Key=self._key(name))
            except Exception as exc:
                raise _s3_error(exc, f"cannot delete {self.join(name)}") from None
            return
        (Path(self.uri) / name).unlink(missing_ok=True)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None
