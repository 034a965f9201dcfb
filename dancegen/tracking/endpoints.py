"""Where clients send tracking calls and S3 traffic: the environment first, the local stack otherwise.

Two groups of variables are resolved independently:

* tracking: ``MLFLOW_TRACKING_URI``;
* S3: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``MLFLOW_S3_ENDPOINT_URL``,
  ``AWS_DEFAULT_REGION``.

If any variable of a group is set in the environment, that group comes from the environment as a whole
(a command pointed at real endpoints never mixes in local keys); otherwise it comes from the local stack
(``dancegen stack up``). With neither, the error says which variable to set.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dancegen.tracking.errors import TrackingError
from dancegen.tracking.stack import LocalStack

TRACKING_VARS = ("MLFLOW_TRACKING_URI",)
S3_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL",
    "MLFLOW_S3_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
)


@dataclass(frozen=True)
class Endpoints:
    """Resolved client settings; ``env`` holds the variables (secrets included: never log it)."""

    tracking_uri: str
    env: dict[str, str] = field(repr=False)
    tracking_source: str  # "environment" or "local stack"
    s3_source: str  # "environment", "local stack" or "none"

    @property
    def s3_endpoint(self) -> str | None:
        return self.env.get("AWS_ENDPOINT_URL") or self.env.get("MLFLOW_S3_ENDPOINT_URL")

    def export(self) -> Callable[[], None]:
        """Put the variables that are not already set into ``os.environ`` (for boto3 and MLflow's S3 client).

        Returns a function that takes them out again (a variable changed meanwhile is left alone): a
        library call must not leave one server's keys behind for the next call, which may use another.
        """
        added = {key: value for key, value in self.env.items() if key not in os.environ}
        os.environ.update(added)

        def undo() -> None:
            for key, value in added.items():
                if os.environ.get(key) == value:
                    del os.environ[key]

        return undo

    @contextlib.contextmanager
    def exported(self) -> Iterator[None]:
        """:meth:`export` for the duration of the block."""
        undo = self.export()
        try:
            yield
        finally:
            undo()

    def describe(self) -> str:
        """One line naming the endpoints and where they came from (no keys)."""
        s3 = self.s3_endpoint or ("AWS S3" if self.s3_source == "environment" else "none")
        return f"MLflow {self.tracking_uri} ({self.tracking_source}); S3 {s3} ({self.s3_source})"


def resolve_endpoints(environ: Mapping[str, str] | None = None, home: Path | None = None) -> Endpoints:
    """Endpoints from ``environ`` (default ``os.environ``), group by group, falling back to the local stack."""
    environ = os.environ if environ is None else environ
    stack = LocalStack(home)
    stack_env = stack.env() if stack.exists() else {}

    def group(names: tuple[str, ...]) -> tuple[dict[str, str], str]:
        from_env = {name: environ[name] for name in names if environ.get(name)}
        if from_env:
            return from_env, "environment"
        from_stack = {name: stack_env[name] for name in names if name in stack_env}
        return from_stack, ("local stack" if from_stack else "none")

    tracking, tracking_source = group(TRACKING_VARS)
    if not tracking:
        raise TrackingError(
            f"no MLflow tracking server: set MLFLOW_TRACKING_URI or start the local stack with `dancegen stack up` "
            f"(looked in {stack.root})"
        )
    s3, s3_source = group(S3_VARS)
    return Endpoints(tracking["MLFLOW_TRACKING_URI"], {**tracking, **s3}, tracking_source, s3_source)


def require_tracking_server(tracking_uri: str, attempts: int = 5, backoff: float = 0.5, timeout: float = 5.0) -> None:
    """Wait until the MLflow server at ``tracking_uri`` answers ``/health``; raise a one-line TrackingError otherwise.

    Connection errors and 5xx answers are retried ``attempts`` times with exponential backoff
    (``backoff``, 2·``backoff``, 4·``backoff`` … seconds between tries). Any other HTTP answer means a server
    is there (an auth proxy may guard ``/health``) and the MLflow calls themselves will report problems.
    Non-HTTP URIs (``sqlite:``, ``file:``, ``databricks``) are not probed.
    """
    import time
    import urllib.error
    import urllib.request

    from dancegen.tracking.scrub import scrub_text

    if not tracking_uri.startswith(("http://", "https://")):
        return
    shown = scrub_text(tracking_uri)
    started = time.monotonic()
    reason = "no attempt made"
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            with urllib.request.urlopen(f"{tracking_uri.rstrip('/')}/health", timeout=timeout):
                return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            reason = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            reason = str(getattr(exc, "reason", exc)) or type(exc).__name__
    elapsed = time.monotonic() - started
    raise TrackingError(
        f"MLflow tracking server {shown} is unreachable after {max(1, attempts)} attempts in {elapsed:.1f} s "
        f"({' '.join(reason.split())}); start it with `dancegen stack up` or point MLFLOW_TRACKING_URI at a running one"
    )


_URI_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextlib.contextmanager
def mlflow_uris(tracking_uri: str) -> Iterator[None]:
    """MLflow's process-wide tracking and registry URIs set to ``tracking_uri`` for the block, then restored.

    For the fluent calls that take no URI (``mlflow.register_model``, ``mlflow.start_run``): MLflow keeps
    them in module globals *and* in ``MLFLOW_*_URI`` (``set_registry_uri(None)`` does not even clear the
    latter), so without the restore a later call in this process would talk to this server.
    """
    import mlflow
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved_env = {name: os.environ.get(name) for name in _URI_VARS}
    saved_tracking, saved_registry = tracking_utils._tracking_uri, registry_utils._registry_uri
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved_tracking)
        registry_utils._registry_uri = saved_registry
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
