"""Where generation finds its model: a DanceModel directory, an ``s3://`` prefix, or an MLflow registry URI.

``models:/<name>@<alias>`` (e.g. ``models:/dancegen@champion``) and ``models:/<name>/<version>`` name a
registered pyfunc generator logged by :mod:`dancegen.tracking.models`; it carries one artifact,
``model_dir`` (:data:`MODEL_DIR_ARTIFACT`), the DanceModel directory. The alias is resolved to a version
first and that version's ``model_dir`` is downloaded once into ``<cache>/models/<name>/v<version>-<run id>``
(a later alias move downloads the new version; a registered version never changes, and the run id tells
apart the same version number in two registries). An ``s3://`` prefix is
copied into the cache on every call, since a run may re-export to the same prefix.
MLflow and the tracking endpoints (``MLFLOW_TRACKING_URI`` or the local stack) are imported only here.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from dancegen.errors import WeightsError
from dancegen.paths import cache_dir

MODEL_KEY = "--model"  # the option every model error names
MODEL_DIR_ARTIFACT = "model_dir"  # the pyfunc artifact holding the DanceModel directory
MODEL_INDEX = "model_index.json"  # DanceModel.save_pretrained's index file
_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")
_COMPLETE = ".complete"


def _fill(target: Path, fill, reuse: bool) -> Path:
    """Run ``fill(staging_dir)`` (unless ``reuse`` and ``target`` is complete); move the result into place."""
    if reuse and (target / _COMPLETE).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        fill(staging)
        (staging / _COMPLETE).touch()
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _model_dir_path(mlmodel: Path, uri: str) -> str:
    """The ``model_dir`` artifact's path inside the logged model, read from its MLmodel file."""
    import yaml

    flavors = yaml.safe_load(mlmodel.read_text()).get("flavors", {})
    artifacts = flavors.get("python_function", {}).get("artifacts") or {}
    entry = artifacts.get(MODEL_DIR_ARTIFACT)
    if not entry or "path" not in entry:
        raise WeightsError(
            f"{MODEL_KEY}: {uri} has no {MODEL_DIR_ARTIFACT!r} artifact; log the generator with dancegen.tracking"
        )
    return entry["path"]


def resolve_registry_uri(uri: str, tracking_uri: str | None = None) -> Path:
    """Download the DanceModel directory of a registered generator (``models:/name@alias|/version``) from the
    registry at ``tracking_uri`` (default: ``MLFLOW_TRACKING_URI`` or the local stack)."""
    match = _REGISTRY_URI.match(uri)
    if not match:
        raise WeightsError(
            f"{MODEL_KEY} {uri!r} is not a registry URI; use models:/<name>@<alias> or models:/<name>/<version>"
        )
    import mlflow
    from mlflow.exceptions import MlflowException

    from dancegen.tracking.endpoints import require_tracking_server, resolve_endpoints

    endpoints = resolve_endpoints({**os.environ, "MLFLOW_TRACKING_URI": tracking_uri} if tracking_uri else None)
    require_tracking_server(endpoints.tracking_uri)
    name, alias, version = match.group("name"), match.group("alias"), match.group("version")
    client = mlflow.MlflowClient(tracking_uri=endpoints.tracking_uri, registry_uri=endpoints.tracking_uri)
    try:
        found = client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, version)
    except MlflowException as exc:
        detail = " ".join(str(exc).split())[:200]
        raise WeightsError(f"{MODEL_KEY} {uri}: not in the registry at {endpoints.tracking_uri} ({detail})") from None

    def fill(staging: Path) -> None:
        try:
            # the version's own artifact location: MLflow resolves ``models:/`` through the process-wide registry
            # URI, whatever client asks, so a ``models:/`` download could read another server's registry
            root = client.get_model_version_download_uri(name, found.version).rstrip("/")
            mlmodel = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{root}/MLmodel", dst_path=str(staging / "meta"), tracking_uri=endpoints.tracking_uri
            )
            inner = _model_dir_path(Path(mlmodel), uri)
            downloaded = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{root}/{inner}", dst_path=str(staging / "dl"), tracking_uri=endpoints.tracking_uri
            )
        except MlflowException as exc:
            detail = " ".join(str(exc).split())[:200]
            raise WeightsError(f"{MODEL_KEY} {uri}: cannot download version {found.version} ({detail})") from None
        Path(downloaded).rename(staging / "model")

    # the run id keeps versions of different registries apart (another server's v1 is another model)
    key = f"v{found.version}-{(found.run_id or found.creation_timestamp or 'norun')!s:.12}"
    with endpoints.exported():  # S3 keys for an artifact store the server does not proxy
        return _fill(cache_dir() / "models" / name / key, fill, reuse=True) / "model"


def resolve_s3_prefix(uri: str) -> Path:
    """Copy the DanceModel directory at an ``s3://`` prefix into the cache and return the local copy."""
    from dancegen.storage import Location

    location = Location.parse(uri)
    names = list(location.list(""))
    if not names:
        raise WeightsError(f"{MODEL_KEY} {uri} holds no files; point it at an exported DanceModel directory")

    def fill(staging: Path) -> None:
        for name in names:
            location.download_file(name, staging / "model" / name)

    digest = hashlib.sha256(location.uri.encode()).hexdigest()[:16]
    return _fill(cache_dir() / "models" / "s3" / digest, fill, reuse=False) / "model"


def resolve_model_dir(reference: str | Path) -> Path:
    """A local DanceModel directory for ``reference`` (local path, ``s3://`` prefix or ``models:/`` URI).

    A training run's root (local or S3) stands for its exported model, ``<run>/model``
    (:func:`dancegen.train.checkpoints.run_paths`).
    """
    from dancegen.train.checkpoints import run_paths

    text = str(reference)
    if text.startswith("models:/"):
        return resolve_registry_uri(text)
    if text.startswith("s3://"):
        from dancegen.storage import Location

        location = Location.parse(text)
        if not location.exists(MODEL_INDEX) and location.exists(f"{run_paths().model}/{MODEL_INDEX}"):
            location = location.child(run_paths().model)
        return resolve_s3_prefix(location.uri)
    path = Path(text).expanduser()
    if not path.is_dir():
        raise WeightsError(
            f"{MODEL_KEY} {path} is not a directory; pass a DanceModel directory (a training run's model/) "
            f"or models:/dancegen@champion"
        )
    if not (path / MODEL_INDEX).exists() and (path / run_paths().model / MODEL_INDEX).exists():
        return path / run_paths().model
    return path
