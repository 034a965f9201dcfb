"""The layout of a training run, resumable checkpoints, and the exported model.

One function, :func:`run_paths`, names every file of a run; ``dancegen.infer`` calls it too to find the
exported model (``run_paths().model``)::

    <out>/checkpoints/step-00000500/…                DeepSpeed save_checkpoint (model + optimizer, per rank)
    <out>/checkpoints/step-00000500/train_state.json  step, per-rank data positions, resolved config (last)
    <out>/model/                                      DanceModel.save_pretrained of the final step (fp32)
    <out>/tracking/                                   the file tracker's metrics and sample grids

A checkpoint counts once its ``train_state.json`` exists; it is written after every DeepSpeed file. With an
``s3://`` output the run writes to a local staging directory and uploads each finished checkpoint (node-
local rank 0 uploads its node's files, then global rank 0 the state file), so the same checkpoint is in S3.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dancegen.errors import ConfigError
from dancegen.paths import cache_dir
from dancegen.storage import Location, atomic_write_bytes

_STEP = re.compile(r"^checkpoints/step-(\d{8})/train_state\.json$")


@dataclass(frozen=True)
class RunPaths:
    """Names inside a run, relative to its root (use ``Location.join`` / ``Path /``)."""

    checkpoints: str = "checkpoints"
    model: str = "model"
    tracking: str = "tracking"
    tag: str | None = None  # "step-00000500"
    checkpoint: str | None = None  # "checkpoints/step-00000500"
    train_state: str | None = None  # "checkpoints/step-00000500/train_state.json"


def run_paths(step: int | None = None) -> RunPaths:
    """The names of a run's files; with ``step``, also that step's checkpoint."""
    if step is None:
        return RunPaths()
    tag = f"step-{step:08d}"
    return RunPaths(tag=tag, checkpoint=f"checkpoints/{tag}", train_state=f"checkpoints/{tag}/train_state.json")


def local_run_dir(out: str) -> Path:
    """Where the run writes: ``out`` itself, or a staging directory under the cache for ``s3://`` outputs."""
    location = Location.parse(out)
    if not location.is_s3:
        return Path(location.uri)
    return cache_dir() / "train-staging" / hashlib.sha256(location.uri.encode()).hexdigest()[:16]


def checkpoint_steps(out: str) -> list[int]:
    """Steps of the finished checkpoints of a run (local directory or S3), ascending."""
    location = Location.parse(out)
    steps = []
    for name in location.list(run_paths().checkpoints + "/"):
        match = _STEP.match(name)
        if match:
            steps.append(int(match.group(1)))
    return sorted(steps)


def read_train_state(out: str, step: int) -> dict:
    return json.loads(Location.parse(out).read_bytes(run_paths(step).train_state))


def write_train_state(out: str, run_dir: Path, step: int, state: dict) -> None:
    """Write ``train_state.json`` locally, then (S3 output) upload it: the checkpoint is complete."""
    name = run_paths(step).train_state
    atomic_write_bytes(run_dir / name, json.dumps(state, indent=2, sort_keys=True).encode())
    location = Location.parse(out)
    if location.is_s3:
        location.upload_file(name, run_dir / name)


def upload_tree(out: str, run_dir: Path, name: str, skip: tuple[str, ...] = ()) -> None:
    """Upload the files under ``<run_dir>/<name>`` to the same names in an S3 ``out`` (no-op for local runs)."""
    location = Location.parse(out)
    root = run_dir / name
    if not location.is_s3 or not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in skip):
        location.upload_file(f"{name}/{path.relative_to(root).as_posix()}", path)


def upload_checkpoint_files(out: str, run_dir: Path, step: int) -> None:
    """Upload this node's DeepSpeed files of checkpoint ``step`` (everything but ``train_state.json``)."""
    upload_tree(out, run_dir, run_paths(step).checkpoint, skip=("train_state.json",))


def download_checkpoint(out: str, run_dir: Path, step: int) -> None:
    """Fetch checkpoint ``step`` of an S3 run into the local staging directory (no-op for local runs)."""
    location = Location.parse(out)
    if not location.is_s3:
        return
    prefix = run_paths(step).checkpoint + "/"
    for name in location.list(prefix):
        target = run_dir / name
        if not target.exists():
            location.download_file(name, target)


def prune_checkpoints(out: str, run_dir: Path, keep: int) -> list[int]:
    """Delete all but the newest ``keep`` finished checkpoints (locally and in S3); return the deleted steps."""
    steps = checkpoint_steps(out)
    doomed = steps[:-keep] if keep else steps
    location = Location.parse(out)
    for step in doomed:
        paths = run_paths(step)
        if location.is_s3:
            location.delete(paths.train_state)  # first: the checkpoint stops counting before its files go
            for name in location.list(paths.checkpoint + "/"):
                location.delete(name)
        else:
            (run_dir / paths.train_state).unlink(missing_ok=True)
        shutil.rmtree(run_dir / paths.checkpoint, ignore_errors=True)
    return doomed


# keys that may change between a run and its resumption; anything else must match
RESUMABLE_CHANGES = ("stages", "checkpoint", "log", "data.prefetch_batches", "out")


def check_resume_config(saved: dict, current: dict, path: str = "") -> None:
    """Raise ConfigError naming the first key whose value differs between the checkpoint and this run,
    except :data:`RESUMABLE_CHANGES` (steps, checkpoint/log frequency and the like); the current stage's
    trainable groups and losses must match too."""
    for key in sorted(set(saved) | set(current)):
        dotted = f"{path}{key}"
        if dotted in RESUMABLE_CHANGES or (not path and key in RESUMABLE_CHANGES):
            continue
        old, new = saved.get(key), current.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            check_resume_config(old, new, f"{dotted}.")
        elif old != new:
            raise ConfigError(
                f"--resume auto: config key {dotted!r} was {old!r} in the checkpoint but is {new!r} now; "
                f"use the checkpoint's value or a new --out"
            )
    if not path:
        stage = f"stage{current['stage']}"
        for key in ("trainable", "losses", "frames", "micro_batch_size", "grad_accum_steps", "guidance_from"):
            old, new = saved["stages"][stage][key], current["stages"][stage][key]
            if old != new:
                raise ConfigError(
                    f"--resume auto: stages.{stage}.{key} was {old!r} in the checkpoint but is {new!r} now; "
                    f"use the checkpoint's value or a new --out"
                )
