"""Conventions shared by the pipeline steps: artifacts, model directories, storage URIs and work directories.

**Artifacts.** Steps take KFP artifacts (``dsl.Input``/``dsl.Output``) as they are: any object with ``path``
(a local path; KFP maps ``s3://b/k`` to ``/s3/b/k``), ``uri`` and a ``metadata`` dict (:class:`ArtifactLike`),
so dancegen itself never imports KFP. A **Model** artifact is a training run directory (``checkpoints/``,
``model/``, …, :func:`dancegen.train.checkpoints.run_paths`); the exported DanceModel is its ``model/``.

**Work directories** (local reruns). KFP caching reuses finished steps; a step that died half-way starts
again under a new output path. With ``work_root`` set, a resumable step (SDGPip, training) computes in
``<work_root>/<step>/<key>``, where the key hashes the step's settings and the real paths of its inputs,
and its output path becomes a symlink to that directory: the rerun finds the finished shards or
checkpoints there and continues. In a cluster ``work_root`` is empty and steps write to their outputs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from pathlib import Path
from typing import Any, Protocol

from dancegen.errors import ConfigError, WeightsError
from dancegen.lifecycle.errors import PipelineError

MODEL_INDEX = "model_index.json"  # written by DanceModel.save_pretrained


class ArtifactLike(Protocol):
    """What a step needs of a KFP artifact."""

    path: str
    uri: str
    metadata: dict


def step_logger(name: str) -> logging.Logger:
    """A logger whose INFO lines reach the step's log (a component process configures no logging itself)."""
    parent = logging.getLogger("dancegen.lifecycle")
    if not parent.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
        parent.addHandler(handler)
        parent.setLevel(logging.INFO)
    return logging.getLogger(name)


def split_overrides(text: str) -> list[str]:
    """``"optim.lr=1e-4; log.every=1"`` (``;`` or newline separated) → ``["optim.lr=1e-4", "log.every=1"]``."""
    return [item.strip() for item in text.replace("\n", ";").split(";") if item.strip()]


def model_subdir() -> str:
    """The exported model's name inside a run directory (the trainer's own naming)."""
    from dancegen.train.checkpoints import run_paths

    return run_paths().model


def model_dir(run_path: str | os.PathLike) -> Path:
    """``<run>/model`` of a Model artifact; WeightsError if it holds no exported DanceModel."""
    directory = Path(run_path) / model_subdir()
    if not (directory / MODEL_INDEX).is_file():
        raise WeightsError(
            f"model artifact {run_path} has no {model_subdir()}/{MODEL_INDEX}; "
            "pass the output of train_stage or fetch_model"
        )
    return directory


def storage_uri(artifact_uri: str) -> str:
    """An artifact URI as :class:`dancegen.storage.Location` reads it (what a PyTorchJob is given).

    ``s3://b/k`` and local paths stay; KFP's default store ``minio://b/k`` becomes ``s3://b/k`` (the
    trainer reaches MinIO through ``AWS_ENDPOINT_URL``); Google Cloud Storage is not supported.
    """
    if artifact_uri.startswith("minio://"):
        return "s3://" + artifact_uri[len("minio://") :]
    if artifact_uri.startswith("gs://"):
        raise ConfigError(
            f"artifact {artifact_uri} is on Google Cloud Storage; dancegen reads S3: set the KFP pipeline root "
            "to an s3:// (or minio://) bucket"
        )
    return artifact_uri


def step_dir(output_path: str | os.PathLike, work_root: str, step: str, identity: dict[str, Any]) -> Path:
    """The directory a step writes to (see the module docstring).

    Without ``work_root``: ``output_path`` itself (created). With it: ``<work_root>/<step>/<key>``, and
    ``output_path`` is made a symlink to it (``<key>.json`` beside the directory records ``identity``).
    """
    output = Path(output_path)
    if not work_root:
        output.mkdir(parents=True, exist_ok=True)
        return output
    if "://" in work_root:
        raise ConfigError(f"work_root {work_root!r} must be a local directory (it only serves local reruns)")
    text = json.dumps(identity, sort_keys=True, default=str)
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    work = Path(work_root).resolve() / step / key
    work.mkdir(parents=True, exist_ok=True)
    (work.parent / f"{key}.json").write_text(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.is_symlink():
        if output.resolve() == work:
            return work
        output.unlink()
    elif output.is_dir() and not any(output.iterdir()):
        output.rmdir()
    elif output.exists():
        raise PipelineError(f"output {output} already holds files; a step with work_root writes through a symlink")
    output.symlink_to(work, target_is_directory=True)
    return work


def read_json(path: str | os.PathLike, what: str) -> Any:
    """A JSON file another step wrote; PipelineError naming ``what`` if it is missing or broken."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PipelineError(f"{what} {path} does not exist; run the step that writes it first") from None
    except json.JSONDecodeError as exc:
        raise PipelineError(f"{what} {path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None


def finite_scalars(metrics: list[dict]) -> dict[str, float]:
    """``{name: value}`` of the available, finite metrics in a list of MetricResult dicts."""
    scalars = {}
    for entry in metrics:
        value = entry.get("value")
        if entry.get("status") == "ok" and isinstance(value, int | float) and math.isfinite(value):
            scalars[entry["name"]] = float(value)
    return scalars


def log_scalars(metrics: Any, scalars: dict[str, float]) -> None:
    """Log ``scalars`` on a KFP Metrics artifact (``log_metric``) and write them as JSON at its path.

    The file keeps the artifact real on disk: kfp.local's cache treats an artifact whose path does not
    exist as missing and would never reuse the step; in a cluster it is uploaded like any other output.
    """
    for name, value in scalars.items():
        metrics.log_metric(name, value)
    Path(metrics.path).parent.mkdir(parents=True, exist_ok=True)
    Path(metrics.path).write_text(json.dumps(scalars, indent=2, sort_keys=True))


def parse_gates_text(text: str) -> dict[str, str]:
    """``"fvd=lower, beat_align=higher"`` → ``{"fvd": "lower", "beat_align": "higher"}``; ``""`` → no gates."""
    from dancegen.tracking.registry import parse_gates

    return parse_gates([part.strip() for part in text.split(",") if part.strip()])
