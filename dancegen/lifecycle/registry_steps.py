"""Pipeline steps on the MLflow model registry: register a trained model, promote it behind metric gates,
and fetch a registered version back as a Model artifact (for the evaluation pipeline).

The tracking server comes from ``tracking_uri`` or, when it is "", from the environment / local stack
(:func:`dancegen.tracking.endpoints.resolve_endpoints`; in a cluster the pod's Secret sets
``MLFLOW_TRACKING_URI``). Promotion uses aliases (``candidate`` → ``champion``), never registry stages.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

from dancegen.lifecycle.artifacts import ArtifactLike, model_dir, model_subdir, parse_gates_text, read_json
from dancegen.lifecycle.errors import PipelineError


class Promotion(NamedTuple):
    """The ``promote_model`` step's outputs."""

    promoted: bool
    reason: str


def register_model(
    model: ArtifactLike,
    results: ArtifactLike,
    report: ArtifactLike,
    data: ArtifactLike,
    model_name: str = "dancegen",
    experiment: str = "dancegen",
    tracking_uri: str = "",
) -> str:
    """Log the model as a pyfunc generator in a new MLflow run and register it as the ``candidate``.

    The run holds the training config (params), the evaluation scalars (metrics at the training step)
    and the evaluation JSON + HTML report (``evaluation/``). The registered version is tagged with the
    scalars (``metric.<name>``, what promotion compares), the dataset manifest's hash and the config.

    Args:
        model: Model artifact (run directory); results, report: the evaluate step's outputs;
        data: the Dataset artifact the model was trained on (its manifest identifies it).
        model_name: registered model name; experiment: MLflow experiment of the run;
        tracking_uri: MLflow server ("" = environment / local stack).

    Returns:
        The new version number as a string.
    """
    from dancegen.sdgpip.generate import load_manifest
    from dancegen.tracking.mlflow_tracker import MlflowTracker
    from dancegen.tracking.models import log_generator
    from dancegen.tracking.registry import ModelRegistry

    directory = model_dir(model.path)
    payload = read_json(results.path, "evaluation results")
    training = read_json(directory / "training.json", "training record")
    registry = ModelRegistry(tracking_uri or None)
    tracker = MlflowTracker(experiment, run_name=f"register-{model_name}", tracking_uri=registry.tracking_uri)
    try:
        tracker.log_params(training.get("config", {}))
        tracker.log_metrics(payload["scalars"], step=int(training.get("step", 0)))
        with tempfile.TemporaryDirectory(prefix="evaluation-") as tmp:
            shutil.copyfile(results.path, Path(tmp) / "evaluation.json")
            shutil.copyfile(report.path, Path(tmp) / "evaluation.html")
            tracker.log_artifact(Path(tmp), artifact_path="evaluation")
        tracker.flush()
        info = log_generator(directory, run_id=tracker.run_id, tracking_uri=registry.tracking_uri)
    except BaseException:
        tracker.end("FAILED")
        raise
    tracker.end()
    version = registry.register(
        info.model_uri,
        model_name,
        metrics=payload["scalars"],
        dataset_manifest=load_manifest(data.path),
        config=training.get("config"),
    )
    return version


def promote_model(
    model_name: str, version: str, gates: str = "fvd=lower,beat_align=higher", tracking_uri: str = ""
) -> Promotion:
    """Make ``model_name`` v``version`` the champion if it beats the current one on every gate.

    ``gates``: ``"metric=lower|higher"`` items separated by commas ("" = no gates: always promote).
    Without a champion the version is promoted; otherwise it stays ``candidate`` when a gate fails, and
    ``reason`` names the metric and both values.
    """
    from dancegen.tracking.registry import ModelRegistry

    parsed = parse_gates_text(gates)  # a malformed gate fails before any server is contacted
    result = ModelRegistry(tracking_uri or None).promote(model_name, version, parsed)
    return Promotion(result.promoted, result.reason)


def fetch_model(model: ArtifactLike, model_name: str, reference: str = "champion", tracking_uri: str = "") -> str:
    """Copy a registered version's DanceModel into the Model artifact ``model`` (as ``model/``).

    ``reference`` is a version number ("3") or an alias ("champion", "candidate"). Returns the version.
    """
    from dancegen.infer.model_uri import resolve_registry_uri
    from dancegen.tracking.registry import ModelRegistry

    registry = ModelRegistry(tracking_uri or None)
    version = reference if reference.isdigit() else registry.version_by_alias(model_name, reference)
    if version is None:
        raise PipelineError(
            f"no version of {model_name!r} holds the alias {reference!r} at {registry.tracking_uri}; "
            "run the training pipeline (it registers and promotes) or name a version number"
        )
    source = resolve_registry_uri(f"models:/{model_name}/{version}", registry.tracking_uri)
    target = Path(model.path) / model_subdir()
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    model.metadata.update({"registered_model": model_name, "version": str(version), "reference": reference})
    return str(version)
