"""Exporting a training checkpoint as a consolidated fp32 ``DanceModel`` directory, from any ZeRO stage.

DeepSpeed's ``zero_to_fp32`` utilities merge the per-rank partitions of a checkpoint (ZeRO 1/2: the fp32
optimizer partitions; ZeRO 3: the parameter partitions too, frozen ones included) into one state dict of
the :class:`~dancegen.train.objective.StageModule`. Its prefixes (:data:`COMPONENT_PREFIXES`) say which
DanceModel component each tensor belongs to; those components are rebuilt from the model config and
loaded strictly (every key present, no extra one). Only the trained parameters are taken from it; frozen
weights and buffers come from the stage's starting model rebuilt in fp32 (under bf16 DeepSpeed keeps frozen
weights only in bf16, and ZeRO-1 does not save them at all). The result is written with
``DanceModel.save_pretrained`` (which also writes the temporal layers as their own ``motion_adapter/``),
plus ``training.json`` (stage, step, resolved config, dataset digest).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import torch

from dancegen.errors import WeightsError
from dancegen.models.dancer import DanceModel
from dancegen.storage import Location, atomic_write_bytes
from dancegen.train.checkpoints import run_paths, upload_tree
from dancegen.train.objective import COMPONENT_PREFIXES

TRAINING_INFO = "training.json"


def consolidated_state(run_dir: Path, step: int) -> dict[str, torch.Tensor]:
    """The fp32 state dict of the StageModule saved at ``step`` (all ranks' partitions merged)."""
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

    paths = run_paths(step)
    # zero_to_fp32 prints a line per step of its work and a progress bar
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return get_fp32_state_dict_from_zero_checkpoint(str(run_dir / paths.checkpoints), tag=paths.tag)


def split_components(state: dict[str, torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
    """StageModule keys → {DanceModel attribute: its own state dict}; an unmapped key is a WeightsError."""
    parts: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in state.items():
        for prefix, component in COMPONENT_PREFIXES.items():
            if key.startswith(prefix):
                parts.setdefault(component, {})[key[len(prefix) :]] = tensor
                break
        else:
            raise WeightsError(f"checkpoint key {key!r} belongs to no model component; the checkpoint is foreign")
    return parts


def merge_trained(model: DanceModel, trained: dict[str, dict[str, torch.Tensor]], names: dict[str, list[str]]) -> None:
    """Overwrite, in place, the trained parameters ``names`` (component → parameter names) of ``model`` with
    the consolidated ``trained`` tensors, then load each component back strictly."""
    for component, keys in names.items():
        module = getattr(model, component)
        state = module.state_dict()
        missing = sorted(set(keys) - set(trained.get(component, {})))
        if missing:
            raise WeightsError(
                f"consolidated checkpoint lacks {len(missing)} trained {component} weights, e.g. {missing[0]}"
            )
        for key in keys:
            state[key] = trained[component][key].to(state[key].dtype)
        module.load_state_dict(state, strict=True)


def export_model(start: DanceModel, names: dict[str, list[str]], run_dir: Path, step: int, out: str, info: dict) -> str:
    """Consolidate checkpoint ``step`` and write ``<run>/model`` (+ ``training.json``), uploaded for S3.

    ``start`` is the stage's starting model in fp32 (rebuilt, so untouched by DeepSpeed's casts and
    partitioning): its frozen weights and buffers are kept exactly, and the parameters in ``names``
    (component → trained parameter names) come from the fp32 master weights of the checkpoint.
    Returns the URI of the exported model directory.
    """
    trained = split_components(consolidated_state(run_dir, step)) if names else {}
    merge_trained(start, trained, names)
    return save_model(start, run_dir, out, info)


def save_model(model: DanceModel, run_dir: Path, out: str, info: dict) -> str:
    """``model.save_pretrained(<run>/model)`` + ``training.json``; uploaded when ``out`` is S3."""
    name = run_paths().model
    directory = model.save_pretrained(run_dir / name)
    atomic_write_bytes(directory / TRAINING_INFO, json.dumps(info, indent=2, sort_keys=True).encode())
    upload_tree(out, run_dir, name)
    return Location.parse(out).join(name)
