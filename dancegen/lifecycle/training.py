"""One training stage as a pipeline step (paper §3.4): ``torchrun`` here, or a Kubeflow PyTorchJob.

``executor="local"`` runs, in the step's own process tree (a laptop, or the component's pod)::

    python -m torch.distributed.run --standalone --nproc_per_node=N -m dancegen.train \\
        --stage S --preset P --data DATA --out RUN [--init PREV/model] --resume auto [--zero-stage K] …

``executor="pytorchjob"`` submits the same command as a PyTorchJob (:func:`dancegen.k8s.submit_training_stage`)
that reads and writes the artifacts' S3 URIs directly, and waits for it; the step's own output then holds
only ``pytorchjob.json`` (the job's final status) beside what the job wrote to the same URI.

A run whose exported model already records the requested stage and final step is reused as it is;
an unfinished one continues from its newest checkpoint (``--resume auto``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Literal

from dancegen.errors import ConfigError
from dancegen.lifecycle.artifacts import (
    ArtifactLike,
    model_dir,
    model_subdir,
    split_overrides,
    step_dir,
    step_logger,
    storage_uri,
)
from dancegen.lifecycle.errors import PipelineError

log = step_logger(__name__)
Executor = Literal["local", "pytorchjob"]
EXECUTORS = ("local", "pytorchjob")
JOB_RECORD = "pytorchjob.json"
TRAINING_INFO = "training.json"  # dancegen.train.export.TRAINING_INFO (not imported: it pulls in torch)


def train_arguments(
    stage: int,
    preset: str,
    data: str,
    out: str,
    init: str | None,
    zero_stage: int,
    max_steps: int,
    overrides: list[str],
) -> list[str]:
    """The ``dancegen train`` options of a stage (``zero_stage``/``max_steps`` 0 = the preset's)."""
    args = ["--stage", str(stage), "--preset", preset, "--data", data, "--out", out, "--resume", "auto"]
    if init:
        args += ["--init", init]
    if zero_stage:
        args += ["--zero-stage", str(zero_stage)]
    if max_steps:
        args += ["--max-steps", str(max_steps)]
    for override in overrides:
        args += ["--set", override]
    return args


def resolve_stage_config(
    stage: int, preset: str, data: str, out: str, init: str | None, zero_stage: int, max_steps: int, overrides
):
    """The training config the stage will run with (validated here, before any process starts)."""
    from dancegen.train.config import load_train_config

    cli: dict = {"data": {"path": data}, "out": out}
    if init:
        cli["init_from"] = init
    if zero_stage:
        cli["deepspeed"] = {"zero_stage": zero_stage}
    if max_steps:
        cli["stages"] = {f"stage{stage}": {"max_steps": max_steps}}
    return load_train_config(stage=stage, preset=preset, overrides=list(overrides), cli=cli)


def finished_step(run: str | os.PathLike, stage: int) -> int | None:
    """The step recorded by the exported model of ``run`` if it is a model of ``stage``, else None."""
    info_path = Path(run) / model_subdir() / TRAINING_INFO
    try:
        info = json.loads(info_path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return int(info["step"]) if info.get("stage") == stage else None


def train_stage(
    stage: int,
    data: ArtifactLike,
    model: ArtifactLike,
    init: ArtifactLike | None = None,
    preset: str = "tiny",
    executor: str = "local",
    zero_stage: int = 0,
    max_steps: int = 0,
    processes: int = 0,
    overrides: str = "",
    namespace: str = "",
    image: str = "",
    timeout_hours: float = 168.0,
    work_root: str = "",
) -> str:
    """Train stage ``stage`` on ``data``, starting from ``init`` (the previous stage's Model), into ``model``.

    Args:
        stage: 0 pose→video, 1 M2PEnc, 2 U-Net, 3 temporal layers + M2PEnc.
        data: Dataset artifact (an SDGPip dataset).
        model: output Model artifact: the run directory (checkpoints, ``model/``).
        init: the previous stage's Model artifact (None for stage 0).
        preset: "tiny" or "paper".
        executor: "local" (torchrun here) or "pytorchjob" (a Kubeflow PyTorchJob, waited for).
        zero_stage: DeepSpeed ZeRO stage 1–3; 0 = the preset's.
        max_steps: last optimizer step; 0 = the preset's.
        processes: torchrun processes (local; 0 = 1) or per pod (pytorchjob; 0 = one per GPU, as the preset).
        overrides: training config overrides ``key=value``, separated by ``;`` (``dancegen train --set``).
        namespace, image: PyTorchJob namespace ("" = the pod's own) and trainer image ("" = the default).
        timeout_hours: how long to wait for a PyTorchJob before cancelling it.
        work_root: local directory for resumable reruns (see :mod:`.artifacts`); "" in a cluster.

    Returns:
        The exported model's location (``<run>/model``).
    """
    settings = split_overrides(overrides)
    if executor not in EXECUTORS:
        raise ConfigError(f"executor {executor!r} is unknown; use 'local' (torchrun here) or 'pytorchjob'")
    if processes < 0:
        raise ConfigError(f"processes = {processes}; give 1 or more training processes (0 = the default)")
    if executor == "pytorchjob":
        return _train_as_pytorchjob(
            stage, data, model, init, preset, zero_stage, max_steps, processes, settings, namespace, image,
            timeout_hours,
        )  # fmt: skip
    processes = processes or 1
    # real paths (a rerun's new output paths are symlinks to the same work): the checkpoint's config matches
    data_path = os.path.realpath(data.path)
    init_dir = os.path.realpath(model_dir(init.path)) if init is not None else None
    identity = {
        "stage": stage,
        "preset": preset,
        "zero_stage": zero_stage,
        "max_steps": max_steps,
        "processes": processes,
        "overrides": settings,
        "data": data_path,
        "init": init_dir,
    }
    run = step_dir(model.path, work_root, f"stage{stage}", identity)
    cfg = resolve_stage_config(stage, preset, data_path, str(run), init_dir, zero_stage, max_steps, settings)
    target = cfg.current.max_steps
    done = finished_step(run, stage)
    if done is not None and (done == target or (stage == 0 and done == 0 and cfg.weights.champ_dir)):
        log.info("stage %d: reusing the finished run %s (step %d)", stage, run, done)
    else:
        _run_torchrun(
            processes, train_arguments(stage, preset, data_path, str(run), init_dir, zero_stage, max_steps, settings)
        )
    model.metadata.update({"stage": stage, "preset": preset, "step": finished_step(run, stage), "executor": "local"})
    return str(model_dir(run))


def _run_torchrun(processes: int, args: list[str]) -> None:
    """``torchrun --standalone --nproc_per_node=N -m dancegen.train ARGS``; output goes to this step's log."""
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
        "-m", "dancegen.train", *args,
    ]  # fmt: skip
    log.info("running %s", " ".join(command))
    code = subprocess.run(command, check=False).returncode
    if code != 0:
        stage = args[args.index("--stage") + 1]
        raise PipelineError(f"training stage {stage} failed (torchrun exit code {code}); its log is above")


def pytorchjob_fields(
    stage: int,
    data: ArtifactLike,
    model: ArtifactLike,
    init: ArtifactLike | None,
    preset: str,
    zero_stage: int,
    max_steps: int,
    processes: int,
    overrides: list[str],
    image: str,
) -> dict:
    """The :class:`dancegen.k8s.PyTorchJobConfig` fields of a stage that reads and writes the artifacts' URIs."""
    from dancegen.k8s.pytorchjob import DEFAULT_TRAINER_IMAGE

    extra_args = ["--max-steps", str(max_steps)] if max_steps else []
    extra_args += [arg for override in overrides for arg in ("--set", override)]
    return {
        "stage": stage,
        "preset": preset,
        "data": storage_uri(data.uri),
        "out": storage_uri(model.uri),
        "image": image or DEFAULT_TRAINER_IMAGE,
        "zero_stage": zero_stage or None,
        "init": f"{storage_uri(init.uri).rstrip('/')}/{model_subdir()}" if init is not None else None,
        "procs_per_node": processes or None,
        "extra_args": extra_args,
    }


def _train_as_pytorchjob(
    stage, data, model, init, preset, zero_stage, max_steps, processes, overrides, namespace, image, timeout_hours
) -> str:
    """Submit the stage as a PyTorchJob writing to ``model.uri`` and wait; record its status in the output."""
    from dancegen.k8s import submit_training_stage

    fields = pytorchjob_fields(stage, data, model, init, preset, zero_stage, max_steps, processes, overrides, image)
    status = submit_training_stage(namespace=namespace or None, wait=True, timeout=timeout_hours * 3600, **fields)
    record = {"name": status.name, "namespace": status.namespace, "condition": status.condition, "out": fields["out"]}
    Path(model.path).mkdir(parents=True, exist_ok=True)
    (Path(model.path) / JOB_RECORD).write_text(json.dumps(record, indent=2))
    model.metadata.update({"stage": stage, "preset": preset, "executor": "pytorchjob", "job": status.name})
    return f"{fields['out'].rstrip('/')}/{model_subdir()}"
