"""MLflow implementation of the training loop's :class:`dancegen.train.tracking.Tracker` protocol.

One tracker = one MLflow run. What goes where (artifacts land in S3 through the server's artifact proxy)::

    log_params(config)          run params (flattened, dotted keys) + artifact config/config.json
    log_metrics(m, step)        run metrics at ``step`` (batched every few seconds, sent asynchronously)
    log_image(grid, name, step) image ``name`` at ``step`` (PNG; shown with a step slider in the UI)
    log_artifact(path)          checkpoints/…, reports/…, videos/… by file type, or the directory's name

Credentials never leave the process: params, tags and the config file are scrubbed
(:mod:`dancegen.tracking.scrub`) and an artifact that contains a known secret is refused. The server is
probed with bounded retries before the run starts; an unreachable server is a one-line
:class:`~dancegen.tracking.errors.TrackingError` naming the endpoint.

    with MlflowTracker(experiment="dancegen-tiny", run_name="stage1") as tracker:
        tracker.log_params(config)
        tracker.log_metrics({"loss": 0.12}, step=10)
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.tracking.endpoints import Endpoints, require_tracking_server, resolve_endpoints
from dancegen.tracking.errors import TrackingError
from dancegen.tracking.provenance import git_revision
from dancegen.tracking.scrub import is_secret_key, known_secrets, scrub, scrub_text, secrets_in_file

MAX_PARAM_CHARS = 6000  # MLflow's param value limit; longer values are cut (the full config is an artifact)
_PARAMS_PER_BATCH = 100  # MLflow's log_batch limits
_METRICS_PER_BATCH = 1000
_ARTIFACT_DIRS = {
    "checkpoints": {".pt", ".pth", ".ckpt", ".safetensors", ".bin"},
    "reports": {".json", ".html", ".md", ".csv", ".txt", ".yaml", ".yml"},
    "videos": {".mp4", ".webm", ".mov", ".gif"},
}


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"optim": {"lr": 1e-5}} → {"optim.lr": 1e-5}."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def artifact_dir_for(path: Path) -> str | None:
    """The run folder an artifact goes to: a directory keeps its name; files are sorted by suffix."""
    if path.is_dir():
        return path.name
    for folder, suffixes in _ARTIFACT_DIRS.items():
        if path.suffix.lower() in suffixes:
            return folder
    return None


class MlflowTracker:
    """One MLflow run; satisfies ``dancegen.train.tracking.Tracker``.

    Args:
        experiment: MLflow experiment name (created if missing).
        run_name: display name of the run.
        tags: extra run tags (scrubbed); ``dancegen.git_revision`` is added when known.
        tracking_uri: server URI; default from :func:`resolve_endpoints` (environment, then local stack).
        attempts, backoff: reachability probe before the run starts (see ``require_tracking_server``).
        async_metrics: send metric batches in MLflow's background queue (waited for in ``end``).
        flush_seconds: collect metrics for this long and send them as one ``log_batch`` (0: every call).
            A local server spends most of a request's cost per request, not per metric, so batching keeps
            tracking off the training step (bench/tracking.py).
    """

    def __init__(
        self,
        experiment: str = "dancegen",
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        tracking_uri: str | None = None,
        attempts: int = 5,
        backoff: float = 0.5,
        async_metrics: bool = True,
        flush_seconds: float = 5.0,
    ) -> None:
        from mlflow import MlflowClient

        endpoints: Endpoints | None = None
        self._unexport: Callable[[], None] = lambda: None  # the endpoints' variables live as long as the run
        if tracking_uri is None:
            endpoints = resolve_endpoints()
            tracking_uri = endpoints.tracking_uri
        self.tracking_uri = tracking_uri
        stack_secrets = [v for k, v in (endpoints.env.items() if endpoints else ()) if is_secret_key(k)]
        self._secrets = known_secrets(stack_secrets)
        require_tracking_server(tracking_uri, attempts=attempts, backoff=backoff)
        if endpoints is not None:
            self._unexport = endpoints.export()
        self._client = MlflowClient(tracking_uri)
        self._async = async_metrics
        self._flush_seconds = flush_seconds
        self._buffer: list[Any] = []  # mlflow.entities.Metric not yet sent
        self._last_flush = time.monotonic()
        self._pending: list[Any] = []  # RunOperations of batches sent asynchronously
        self._ended = False
        run_tags = {**(tags or {})}
        revision = git_revision()
        if revision:
            run_tags.setdefault("dancegen.git_revision", revision)
        with self._calling("start a run"):
            found = self._client.get_experiment_by_name(experiment)
            experiment_id = found.experiment_id if found else self._client.create_experiment(experiment)
            clean_tags = {str(k): str(v) for k, v in scrub(run_tags, self._secrets).items()}
            self.run = self._client.create_run(experiment_id, run_name=run_name, tags=clean_tags)
        self.run_id: str = self.run.info.run_id

    # -- the Tracker protocol ----------------------------------------------------------------
    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log the (nested) config as flat params and as ``config/config.json``, credentials masked."""
        from mlflow.entities import Param

        clean = scrub(dict(params), self._secrets)
        flat = [Param(key, _param_text(value)) for key, value in flatten(clean).items()]
        with self._calling("log params"):
            for start in range(0, len(flat), _PARAMS_PER_BATCH):
                self._client.log_batch(self.run_id, params=flat[start : start + _PARAMS_PER_BATCH], synchronous=True)
            self._client.log_dict(self.run_id, clean, "config/config.json")

    def log_metrics(self, metrics: Mapping[str, float], step: int) -> None:
        """Record scalar ``metrics`` at training ``step``; sent in batches every ``flush_seconds``."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._buffer += [Metric(str(name), float(value), now, int(step)) for name, value in metrics.items()]
        if time.monotonic() - self._last_flush >= self._flush_seconds or len(self._buffer) >= _METRICS_PER_BATCH:
            self.flush()

    def flush(self) -> None:
        """Send the buffered metrics now (one request per 1000 metrics)."""
        self._last_flush = time.monotonic()
        buffer, self._buffer = self._buffer, []
        with self._calling("log metrics"):
            for start in range(0, len(buffer), _METRICS_PER_BATCH):
                chunk = buffer[start : start + _METRICS_PER_BATCH]
                operation = self._client.log_batch(self.run_id, metrics=chunk, synchronous=not self._async)
                if operation is not None:
                    self._pending.append(operation)
        if len(self._pending) >= 64:
            self._wait_pending()

    def log_image(self, image: str | os.PathLike | np.ndarray, name: str, step: int) -> None:
        """Log a sample grid: ``image`` is a PNG/JPEG path or an (H, W, 3) uint8 RGB array."""
        from PIL import Image

        if isinstance(image, np.ndarray):
            if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
                raise TrackingError(
                    f"image {name!r} must be an (H, W, 3) uint8 RGB array, got {image.shape} {image.dtype}"
                )
            picture = Image.fromarray(np.ascontiguousarray(image))
        else:
            try:
                picture = Image.open(image)
                picture.load()
            except OSError as exc:
                raise TrackingError(f"image {name!r}: cannot read {image} ({exc})") from None
        with self._calling(f"log image {name!r}"):
            self._client.log_image(self.run_id, picture.convert("RGB"), key=name, step=int(step), synchronous=True)

    def log_artifact(self, path: str | os.PathLike, artifact_path: str | None = None) -> None:
        """Upload a file or directory (checkpoint, report, video) under ``artifact_path`` (default by type).

        A file that contains a known credential (an S3 secret key from the environment, say) is refused.
        """
        source = Path(path)
        if not source.exists():
            raise TrackingError(f"artifact {source} does not exist; write it before logging it")
        files = [p for p in source.rglob("*") if p.is_file()] if source.is_dir() else [source]
        for file in files:
            if secrets_in_file(file, self._secrets):
                raise TrackingError(
                    f"refusing to upload {file}: it contains a credential from the environment; remove it first"
                )
        folder = artifact_path if artifact_path is not None else artifact_dir_for(source)
        with self._calling(f"upload {source.name}"):
            if source.is_dir():
                self._client.log_artifacts(self.run_id, str(source), folder)
            else:
                self._client.log_artifact(self.run_id, str(source), folder)

    def end(self, status: str = "FINISHED") -> None:
        """Wait for queued metrics, then close the run (``FINISHED``, ``FAILED`` or ``KILLED``); idempotent."""
        if self._ended:
            return
        self._ended = True
        try:
            self.flush()
            self._wait_pending()
        finally:
            try:
                with self._calling("end the run"):
                    self._client.set_terminated(self.run_id, status=status)
            finally:
                self._unexport()

    # -- extras -------------------------------------------------------------------------------
    def set_tags(self, tags: Mapping[str, Any]) -> None:
        from mlflow.entities import RunTag

        clean = scrub(dict(tags), self._secrets)
        with self._calling("set tags"):
            self._client.log_batch(self.run_id, tags=[RunTag(str(k), _param_text(v)) for k, v in clean.items()])

    def log_json(self, data: Mapping[str, Any], artifact_file: str) -> None:
        """Write a (scrubbed) mapping as a JSON artifact, e.g. ``reports/metrics.json``."""
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / Path(artifact_file).name
            target.write_text(json.dumps(scrub(dict(data), self._secrets), indent=2, default=str))
            folder = str(Path(artifact_file).parent)
            self.log_artifact(target, None if folder == "." else folder)

    def __enter__(self) -> MlflowTracker:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.end("FINISHED" if exc_type is None else "FAILED")

    def _wait_pending(self) -> None:
        pending, self._pending = self._pending, []
        with self._calling("log metrics"):
            for operation in pending:
                operation.wait()

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """Turn MLflow and connection errors into one-line TrackingErrors naming the server."""
        from mlflow.exceptions import MlflowException

        try:
            yield
        except TrackingError:
            raise
        except (MlflowException, OSError) as exc:
            detail = " ".join(scrub_text(str(exc), self._secrets).split())[:300]
            raise TrackingError(f"MLflow at {scrub_text(self.tracking_uri)}: cannot {what}: {detail}") from None


def _param_text(value: Any) -> str:
    """A param/tag value as MLflow stores it: scalars via ``str``, lists and mappings as JSON, cut to 6000 chars."""
    text = json.dumps(value, default=str) if isinstance(value, list | tuple | Mapping) else str(value)
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."
