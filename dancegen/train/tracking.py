"""What the training loop reports, and where it goes: a small :class:`Tracker` protocol.

The loop calls ``log_params`` once with the resolved config, ``log_metrics`` every ``log.every`` steps,
``log_image`` for sample grids, ``log_artifact`` for the exported model and ``end`` at the end. Only rank 0
tracks; the other ranks get :class:`NullTracker`. Implementations here: :class:`NullTracker` (the default)
and :class:`FileTracker` (JSONL metrics and PNG images under ``<run>/tracking/``). The MLflow tracker lives
in :mod:`dancegen.tracking` and satisfies the same protocol.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

from dancegen.storage import atomic_write_bytes


@runtime_checkable
class Tracker(Protocol):
    """The reporting interface of the training loop."""

    def log_params(self, params: Mapping[str, Any]) -> None: ...

    def log_metrics(self, metrics: Mapping[str, float], step: int) -> None: ...

    def log_image(self, image: str | os.PathLike | np.ndarray, name: str, step: int) -> None: ...

    def log_artifact(self, path: str | os.PathLike) -> None: ...

    def end(self) -> None: ...


class NullTracker:
    """Records nothing."""

    def log_params(self, params: Mapping[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: Mapping[str, float], step: int) -> None:
        pass

    def log_image(self, image: str | os.PathLike | np.ndarray, name: str, step: int) -> None:
        pass

    def log_artifact(self, path: str | os.PathLike) -> None:
        pass

    def end(self) -> None:
        pass


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"optim": {"lr": 1e-5}} → {"optim.lr": 1e-5} (the form trackers' parameter tables use)."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


class FileTracker:
    """Local files under ``root``: ``params.json``, ``metrics.jsonl`` (one ``{"step", name: value}`` object a
    line), ``images/<name>-<step:08d>.png`` and ``artifacts.jsonl`` (the paths of logged artifacts, which
    are already local files and are not copied)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        (self.root / "images").mkdir(parents=True, exist_ok=True)

    def log_params(self, params: Mapping[str, Any]) -> None:
        text = json.dumps(_flatten(params), indent=2, sort_keys=True, default=str)
        atomic_write_bytes(self.root / "params.json", text.encode())

    def log_metrics(self, metrics: Mapping[str, float], step: int) -> None:
        record = {"step": int(step), **{name: float(value) for name, value in metrics.items()}}
        with open(self.root / "metrics.jsonl", "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def log_image(self, image: str | os.PathLike | np.ndarray, name: str, step: int) -> None:
        """``image``: a PNG path or an (H, W, 3) uint8 RGB array."""
        target = self.root / "images" / f"{name}-{int(step):08d}.png"
        if isinstance(image, np.ndarray):
            ok, data = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR))
            assert ok, "PNG encoding failed"
            atomic_write_bytes(target, data.tobytes())
        else:
            atomic_write_bytes(target, Path(image).read_bytes())

    def log_artifact(self, path: str | os.PathLike) -> None:
        with open(self.root / "artifacts.jsonl", "a") as handle:
            handle.write(json.dumps({"path": str(Path(path).resolve())}) + "\n")

    def end(self) -> None:
        pass


def make_tracker(kind: str, root: str | os.PathLike, rank: int, experiment: str = "dancegen",
                 run_name: str | None = None) -> Tracker:  # fmt: skip
    """The tracker named by config ``log.tracker`` (``none`` | ``files`` | ``mlflow``) on rank 0, a NullTracker
    elsewhere. ``mlflow`` logs to ``MLFLOW_TRACKING_URI`` (or the local stack) with artifacts in S3."""
    if rank != 0 or kind == "none":
        return NullTracker()
    if kind == "files":
        return FileTracker(root)
    if kind == "mlflow":
        from dancegen.tracking.mlflow_tracker import MlflowTracker

        return MlflowTracker(experiment=experiment, run_name=run_name)  # endpoints: environment or local stack
    raise ValueError(f"unknown tracker {kind!r}")  # unreachable: the config type allows only the kinds above
