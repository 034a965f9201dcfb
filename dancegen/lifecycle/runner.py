"""Compile, run locally and submit the lifecycle pipelines (the logic behind ``dancegen pipeline``).

============  ===============================================  ==========================================
where         engine                                           reuse of finished work
============  ===============================================  ==========================================
this machine  ``kfp.local`` SubprocessRunner (no containers)   kfp.local's task cache under ``ROOT/cache``
                                                               + resumable steps under ``ROOT/work``
a cluster     Kubeflow Pipelines API (``kfp.Client``)          KFP caching; retries resume the same run
============  ===============================================  ==========================================

Pipelines are named (:data:`PIPELINES`) and loaded from the top-level ``pipelines`` package, which imports
``components``; both live beside ``dancegen`` in the source tree. ``--param key=value`` values are converted
to the pipeline parameter's declared type; an unknown key or a bad value is a one-line error.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import re
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from dancegen.lifecycle.errors import PipelineError

PIPELINES = {
    "training": ("pipelines.training.pipeline", "training_pipeline"),
    "evaluation": ("pipelines.evaluation.pipeline", "evaluation_pipeline"),
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def source_root() -> Path:
    """The source tree holding ``dancegen/``, ``components/`` and ``pipelines/``."""
    import dancegen

    return Path(dancegen.__file__).resolve().parents[1]


def _import_source_packages(root: Path) -> None:
    """Register ``components`` and ``pipelines`` of the source tree ``root`` by location (no sys.path edit).

    Needed when they are not installed (a console script does not see the checkout) or when a directory of
    the same name (``tests/pipelines``) shadows them as a namespace package.
    """
    for package in ("components", "pipelines"):
        init = root / package / "__init__.py"
        if getattr(sys.modules.get(package), "__file__", None) == str(init):
            continue
        for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
            del sys.modules[name]  # a shadowing namespace package and anything imported through it
        spec = importlib.util.spec_from_file_location(package, init, submodule_search_locations=[str(init.parent)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        spec.loader.exec_module(module)


def load_pipeline(name: str) -> Callable:
    """The pipeline function called ``name`` (``training`` or ``evaluation``)."""
    if name not in PIPELINES:
        raise PipelineError(f"pipeline {name!r} does not exist; choose one of {', '.join(PIPELINES)}")
    module_name, attribute = PIPELINES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(("pipelines", "components")):
            raise
        root = source_root()
        if not (root / "pipelines" / "__init__.py").is_file():
            raise PipelineError(
                f"the pipeline definitions are not installed and {root} is not a dancegen source tree; "
                "run from a checkout of the dancegen repository"
            ) from None
        _import_source_packages(root)
        module = importlib.import_module(module_name)
    return getattr(module, attribute)


def _convert(raw: str, kind: str, key: str) -> Any:
    """A ``--param`` text as the pipeline parameter type ``kind`` (KFP's Integer/Float/Boolean/String/List/Struct)."""
    try:
        if kind == "Integer":
            return int(raw)
        if kind == "Float":
            return float(raw)
        if kind == "Boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind in ("List", "Dict", "Struct"):
            value = yaml.safe_load(raw)
            expected = list if kind == "List" else dict
            if not isinstance(value, expected):
                raise ValueError(raw)
            return value
    except (ValueError, yaml.YAMLError):
        raise PipelineError(f"--param {key}={raw!r}: not a valid {kind.lower()}") from None
    return raw


def parse_params(pipeline: Callable, pairs: list[str] | None) -> dict[str, Any]:
    """``["preset=tiny", "stage0_steps=2"]`` → typed arguments of ``pipeline``; required ones must be given."""
    inputs = pipeline.component_spec.inputs or {}
    arguments: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise PipelineError(f"--param {pair!r} must look like key=value (e.g. preset=tiny)")
        if key not in inputs:
            raise PipelineError(f"--param {key}: {pipeline.name} has no such parameter; it has {', '.join(inputs)}")
        arguments[key] = _convert(raw, inputs[key].type, key)
    missing = [name for name, spec in inputs.items() if spec.default is None and not spec.optional]
    missing = [name for name in missing if name not in arguments]
    if missing:
        raise PipelineError(f"{pipeline.name} needs --param {missing[0]}=…")
    return arguments


def compile_pipelines(out_dir: str | Path, names: list[str] | None = None) -> list[Path]:
    """Compile the named pipelines (default: all) to ``<out_dir>/<name>_pipeline.yaml``; return the files."""
    from kfp import compiler

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or list(PIPELINES):
        path = out / f"{name}_pipeline.yaml"
        compiler.Compiler().compile(load_pipeline(name), str(path))
        written.append(path)
    return written


def check_tracking_server(tracking_uri: str) -> None:
    """The MLflow server the steps will use (``tracking_uri``, else environment / local stack) answers."""
    from dancegen.tracking.endpoints import require_tracking_server, resolve_endpoints

    require_tracking_server(tracking_uri or resolve_endpoints().tracking_uri, attempts=2)


class ExecutorLogFilter(io.TextIOBase):
    """A stdout wrapper that drops kfp.local's dumps of each step's executor input (a JSON document per step)
    and its component-loading chatter, keeping the steps' own logs and the task summaries."""

    _CHATTER = ("Looking for component", "Loading KFP component", "Wrote executor output file")

    def __init__(self, target) -> None:
        self.target, self._pending, self._in_json = target, "", False

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if self._keep(line):
                self.target.write(line + "\n")
        self.target.flush()
        return len(text)

    def _keep(self, line: str) -> bool:
        stripped = line.strip()
        if "Got executor_input:" in line:
            self._in_json = True
            return False
        if self._in_json and (not stripped or stripped[0] in '{}[]"'):
            return False
        self._in_json = False
        return not any(marker in line for marker in self._CHATTER)

    def flush(self) -> None:
        self.target.flush()


def run_local(
    name: str, params: list[str] | None = None, root: str | Path = "pipeline-runs", verbose: bool = False
) -> dict[str, Any]:
    """Run pipeline ``name`` here with ``kfp.local`` (each step a subprocess of this Python); return its outputs.

    ``root`` holds ``outputs/`` (the artifacts of every run), ``cache/`` (kfp.local's task cache: a rerun
    with the same parameters reuses every finished step) and ``work/`` (the default ``work_root``, where an
    unfinished SDGPip or training step resumes). ``verbose`` keeps kfp.local's executor-input dumps.
    """
    from kfp import local

    pipeline = load_pipeline(name)
    arguments = parse_params(pipeline, params)
    inputs = pipeline.component_spec.inputs or {}
    if "tracking_uri" in inputs:  # fail now rather than after training: the registry steps need MLflow
        check_tracking_server(arguments.get("tracking_uri", ""))
    base = Path(root).resolve()
    if "work_root" in inputs:
        arguments.setdefault("work_root", str(base / "work"))
    (base / "workspace").mkdir(parents=True, exist_ok=True)
    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(base / "outputs"),
        workspace_root=str(base / "workspace"),
        enable_caching=True,
        cache_root=str(base / "cache"),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*non-Python base image.*")  # the package image runs Python
        warnings.filterwarnings("ignore", message=".*have no effect in the current local runner.*")  # resources
        try:
            with contextlib.redirect_stdout(sys.stdout if verbose else ExecutorLogFilter(sys.stdout)):
                task = pipeline(**arguments)
        except RuntimeError as exc:
            message = " ".join(_ANSI.sub("", str(exc)).split())
            raise PipelineError(f"{message} (its log is above; a rerun reuses the finished steps in {base})") from None
    return dict(task.outputs)


def submit(
    name: str, host: str, params: list[str] | None = None, experiment: str = "dancegen", run_name: str | None = None
) -> tuple[str, str]:
    """Compile pipeline ``name`` and start a run on the Kubeflow Pipelines API at ``host``; return (run id, URL)."""
    import kfp
    import urllib3
    from kfp_server_api.exceptions import ApiException

    pipeline = load_pipeline(name)
    arguments = parse_params(pipeline, params)
    with tempfile.TemporaryDirectory(prefix="dancegen-pipeline-") as tmp:
        package = Path(tmp) / f"{name}_pipeline.yaml"
        kfp.compiler.Compiler().compile(pipeline, str(package))
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="This client only works with", category=FutureWarning)
                client = kfp.Client(host=host)
            run = client.create_run_from_pipeline_package(
                str(package), arguments=arguments, experiment_name=experiment, run_name=run_name, enable_caching=True
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            detail = " ".join(str(reason).split())[:200]
            raise PipelineError(
                f"Kubeflow Pipelines API at {host} is unreachable ({detail}); check --host (e.g. the port-forwarded "
                "ml-pipeline-ui: http://127.0.0.1:8080)"
            ) from None
        except ApiException as exc:
            detail = f"{exc.status} {exc.reason}"
            raise PipelineError(f"Kubeflow Pipelines API at {host} refused the run: {detail}") from None
    return run.run_id, f"{host.rstrip('/')}/#/runs/details/{run.run_id}"
