"""Export a trained DanceModel as a standard Triton model repository (Python backend).

::

    <repo>/
      repository.json                         what was exported, from where, with which options
      music_features/config.pbtxt, 1/model.py
      m2penc/config.pbtxt, 1/model.py, 1/m2penc/          M2PEnc weights (config.json + safetensors)
      dance_video/config.pbtxt, 1/model.py, 1/model/      the whole DanceModel directory

The ``model.py`` files are copied from ``dancegen/serving/model_repository/<model>/1/``; they import dancegen,
so the server runs them with this venv's Python (:mod:`dancegen.serving.server`). The source model is a
DanceModel directory, an ``s3://`` prefix or a ``models:/name@alias`` registry URI
(:func:`dancegen.infer.model_uri.resolve_model_dir`); the repository is a local directory (replaced only once
complete) or an ``s3://`` prefix (the layout Triton reads from S3 in a cluster).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

import dancegen
from dancegen.errors import ConfigError, StorageError, WeightsError
from dancegen.serving.interfaces import (
    DANCE_VIDEO,
    EDGE_FEATURE_DIM,
    M2PENC,
    MODEL_NAMES,
    MUSIC_FEATURES,
    serving_interfaces,
)
from dancegen.serving.model_config import build_model_config
from dancegen.storage import Location

MANIFEST = "repository.json"
VERSION = "1"  # the version directory every model is exported to (version policy: latest 1)
M2PENC_WEIGHTS = "m2penc"  # <repo>/m2penc/1/m2penc/
DANCE_MODEL_WEIGHTS = "model"  # <repo>/dance_video/1/model/
_CACHE_MARKERS = {".complete"}  # files dancegen.infer.model_uri leaves in cached model directories


class ExportOptions(BaseModel):
    """How the repository is served.

    Attributes:
        kind: ``cpu`` → ``KIND_CPU`` instance groups, ``gpu`` → ``KIND_GPU``.
        instances: instances (stub processes) per model.
        max_batch_size: largest batch ``m2penc`` takes.
        dynamic_batching: let Triton gather concurrent ``m2penc`` requests into one forward pass.
        max_queue_delay_us: how long the batcher waits for more requests.
        preferred_batch_sizes: batch sizes the batcher sends as soon as it has them, without waiting out the
            delay (default: 8, 16, … up to ``max_batch_size``; ``[]`` for none).
        stream_progress: make ``dance_video`` decoupled, streaming PROGRESS responses (gRPC clients only).
        parameters: per-model ``config.pbtxt`` parameters, e.g. ``{"music_features": {"max_seconds": 300}}``.
        models: which models to export (default all; ``dance_video`` needs the other two).
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["cpu", "gpu"] = "cpu"
    instances: int = Field(default=1, ge=1, le=64)
    max_batch_size: int = Field(default=32, ge=1, le=1024)
    dynamic_batching: bool = True
    max_queue_delay_us: int = Field(default=500, ge=0, le=10_000_000)
    preferred_batch_sizes: list[int] | None = None
    stream_progress: bool = False
    parameters: dict[str, dict[str, str | int | float]] = Field(default_factory=dict)
    models: list[Literal["music_features", "m2penc", "dance_video"]] = Field(default_factory=lambda: list(MODEL_NAMES))

    @model_validator(mode="after")
    def _bls_needs_its_callees(self) -> ExportOptions:
        if DANCE_VIDEO in self.models and not {MUSIC_FEATURES, M2PENC} <= set(self.models):
            raise ValueError("dance_video calls music_features and m2penc; export them too")
        wrong = [size for size in self.preferred_batch_sizes or [] if not 1 <= size <= self.max_batch_size]
        if wrong:
            raise ValueError(f"preferred batch sizes {wrong} must lie in [1, max_batch_size = {self.max_batch_size}]")
        return self

    def batch_sizes(self) -> list[int]:
        """The preferred batch sizes written to ``config.pbtxt``: the given ones, or 8, 16, … ≤ max_batch_size.

        Measured with bench/serving.py (32 clients, one-frame requests, 2 shared cores): these let the batcher
        send a batch the moment one is ready, ≈ 5–20 % more throughput than waiting out the delay for the
        largest batch; the per-item cost of the forward pass hardly drops beyond 8.
        """
        if self.preferred_batch_sizes is not None:
            return sorted(set(self.preferred_batch_sizes))
        sizes = [2**k for k in range(3, self.max_batch_size.bit_length()) if 2**k < self.max_batch_size]
        return [*sizes, self.max_batch_size] if self.max_batch_size >= 8 else []


def _m2penc_config(model_dir: Path) -> dict:
    """The M2PEnc config of a DanceModel directory; ConfigError for models the served pipeline cannot run."""
    index_path = model_dir / "model_index.json"
    if not index_path.is_file():
        raise WeightsError(f"--model {model_dir} has no model_index.json; point --model at a saved DanceModel")
    index = json.loads(index_path.read_text())
    if index.get(M2PENC) != ["dancegen.models", "M2PEnc"]:
        raise ConfigError(
            f"--model {model_dir} has no M2PEnc music encoder (it uses the simple audio encoder ablation); "
            f"only M2PEnc models are served"
        )
    config = json.loads((model_dir / M2PENC / "config.json").read_text())
    if config.get("feature_dim") != EDGE_FEATURE_DIM:
        raise ConfigError(
            f"--model {model_dir}: M2PEnc takes {config.get('feature_dim')}-d features but music_features serves "
            f"the {EDGE_FEATURE_DIM}-d EDGE features; export a model trained on them"
        )
    return config


def _model_source(name: str) -> Path:
    source = resources.files("dancegen.serving") / "model_repository" / name / VERSION / "model.py"
    return Path(str(source))


def _copy_weights(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=lambda _dir, names: [n for n in names if n in _CACHE_MARKERS])


def write_repository(model_dir: Path, staging: Path, options: ExportOptions, source: str) -> None:
    """Write the whole repository for ``model_dir`` into the empty local directory ``staging``."""
    interfaces = serving_interfaces(_m2penc_config(model_dir), options.stream_progress)
    unknown = sorted(set(options.parameters) - set(interfaces))
    if unknown:
        raise ConfigError(f"parameters given for unknown model(s) {unknown}; the models are {list(MODEL_NAMES)}")
    for name in options.models:
        interface = interfaces[name]
        version_dir = staging / name / VERSION
        version_dir.mkdir(parents=True)
        config = build_model_config(
            interface,
            kind=options.kind,
            instances=options.instances,
            max_batch_size=options.max_batch_size,
            dynamic_batching=options.dynamic_batching,
            max_queue_delay_us=options.max_queue_delay_us,
            preferred_batch_sizes=options.batch_sizes(),
            stream_progress=options.stream_progress,
            parameters=options.parameters.get(name),
        )
        (staging / name / "config.pbtxt").write_text(config)
        shutil.copyfile(_model_source(name), version_dir / "model.py")
    if M2PENC in options.models:
        _copy_weights(model_dir / M2PENC, staging / M2PENC / VERSION / M2PENC_WEIGHTS)
    if DANCE_VIDEO in options.models:
        _copy_weights(model_dir, staging / DANCE_VIDEO / VERSION / DANCE_MODEL_WEIGHTS)
    manifest = {
        "dancegen_version": dancegen.__version__,
        "source_model": source,
        "models": list(options.models),
        "options": options.model_dump(),
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _replace_local(staging: Path, repo: Path) -> None:
    if repo.exists() and any(repo.iterdir()) and not (repo / MANIFEST).is_file():
        raise StorageError(f"--repo {repo} exists and is not a dancegen model repository; choose an empty directory")
    if repo.exists():
        shutil.rmtree(repo)
    staging.rename(repo)


def _upload(staging: Path, location: Location) -> None:
    """Upload every file, then delete what an earlier export left under the prefix."""
    location.ensure_writable()
    written = set()
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        name = path.relative_to(staging).as_posix()
        location.upload_file(name, path)
        written.add(name)
    for name in list(location.list("")):
        if name not in written:
            location.delete(name)


def export_repository(model: str | Path, repo: str | Path, options: ExportOptions | None = None) -> str:
    """Export ``model`` (directory, ``s3://`` prefix or ``models:/…``) to the Triton repository ``repo``
    (directory or ``s3://`` prefix); return the repository's URI."""
    from dancegen.infer.model_uri import resolve_model_dir

    options = options or ExportOptions()
    model_dir = resolve_model_dir(model)
    location = Location.parse(repo)
    parent = Path(tempfile.gettempdir()) if location.is_s3 else Path(location.uri).parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".triton-repo-", dir=parent))
    try:
        write_repository(model_dir, staging, options, source=str(model))
        if location.is_s3:
            _upload(staging, location)
        else:
            _replace_local(staging, Path(location.uri))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return location.uri
