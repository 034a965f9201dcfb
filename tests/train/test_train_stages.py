"""Every stage under ZeRO 1, 2 and 3 on 2 CPU processes (the ``trained`` session job of conftest.py)."""

from __future__ import annotations

import json
import math

import cv2
import pytest
import torch

from dancegen.models.dancer import DanceModel
from dancegen.storage import Location
from dancegen.train.checkpoints import checkpoint_steps, read_train_state, run_paths
from dancegen.train.export import TRAINING_INFO, consolidated_state, split_components

ZERO_STAGES = (1, 2, 3)


def metrics(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "tracking" / "metrics.jsonl").read_text().splitlines()]


def weights(model_dir) -> dict[str, torch.Tensor]:
    """Every tensor of a saved DanceModel, keyed ``component.parameter``."""
    model = DanceModel.from_pretrained(model_dir)
    return {
        f"{name}.{key}": tensor
        for name, component in model.components().items()
        if isinstance(component, torch.nn.Module)
        for key, tensor in component.state_dict().items()
    }


def changed(before: dict, after: dict) -> list[str]:
    assert before.keys() == after.keys()
    return sorted(key for key in before if not torch.equal(before[key], after[key]))


@pytest.mark.parametrize("zero", ZERO_STAGES)
def test_every_stage_trains_with_finite_losses(trained, zero):
    for stage in range(4):
        run_dir = trained["base"] / f"z{zero}" / f"s{stage}"
        result = trained["results"][f"z{zero}s{stage}"]
        steps = 4 if (zero, stage) == (2, 1) else 2
        assert result["step"] == steps
        logged = [m for m in metrics(run_dir) if "loss" in m]  # the stage's own (stage 0 logs its VAE phase too)
        assert [m["step"] for m in logged] == list(range(1, steps + 1))
        expected = {0: {"pix"}, 1: {"guid", "heat"}, 2: {"pix"}, 3: {"pix", "guid"}}[stage]
        for record in logged:
            assert expected <= record.keys(), record
            assert all(math.isfinite(record[name]) and record[name] > 0 for name in expected | {"loss"})
        state = read_train_state(str(run_dir), steps)
        assert state["zero_stage"] == zero and state["stage"] == stage and state["world_size"] == 2
        assert state["config"]["stages"][f"stage{stage}"]["max_steps"] == steps
        info = json.loads((run_dir / "model" / TRAINING_INFO).read_text())
        assert info["step"] == steps and info["dataset"]["digest"] == state["dataset"]["digest"]
        assert (run_dir / "model" / "motion_adapter" / "config.json").is_file()  # temporal layers as an adapter


@pytest.mark.parametrize("zero", ZERO_STAGES)
def test_stage2_leaves_m2penc_bit_identical_and_trains_the_unet(trained, zero):
    base = trained["base"] / f"z{zero}"
    diff = changed(weights(base / "s1" / "model"), weights(base / "s2" / "model"))
    assert {key.split(".")[0] for key in diff} == {"unet", "reference_unet"}


@pytest.mark.parametrize("zero", ZERO_STAGES)
def test_stage3_changes_only_temporal_layers_and_m2penc(trained, zero):
    base = trained["base"] / f"z{zero}"
    diff = changed(weights(base / "s2" / "model"), weights(base / "s3" / "model"))
    unet = [key for key in diff if key.startswith("unet.")]
    assert unet and all(".motion_modules." in key for key in unet)
    assert any(key.startswith("m2penc.") for key in diff)
    assert {key.split(".")[0] for key in diff} == {"unet", "m2penc"}


def test_stage1_trains_only_m2penc(trained):
    base = trained["base"] / "z2"
    diff = changed(weights(base / "s0" / "model"), weights(base / "s1" / "model"))
    assert {key.split(".")[0] for key in diff} == {"m2penc"}


def test_zero3_checkpoint_consolidates_and_reloads_strictly(trained):
    run_dir = trained["base"] / "z3" / "s3"
    parts = split_components(consolidated_state(run_dir, 2))
    assert set(parts) == {"unet", "reference_unet", "music_encoder"}  # what DeepSpeed wrapped in stage 3
    model = DanceModel.from_pretrained(run_dir / "model")
    for name, state in parts.items():
        component = getattr(model, name)
        assert component.load_state_dict(state, strict=True) is not None
        saved = component.state_dict()
        assert saved.keys() == state.keys()
        assert all(torch.equal(saved[key], state[key]) for key in state)
        assert all(tensor.dtype == torch.float32 for tensor in state.values() if tensor.is_floating_point())


def test_one_fixed_batch_is_overfit(trained):
    losses = [m["loss"] for m in metrics(trained["base"] / "overfit")]
    assert len(losses) == 6
    assert losses[-1] <= 0.5 * losses[0], losses


def test_sample_grids_are_written(trained):
    for stage, columns in ((0, 7), (1, 8)):  # reference + 4 maps + generated + target; 4 maps + 4 panels
        grids = sorted((trained["base"] / "z1" / f"s{stage}" / "tracking" / "images").glob("samples-*.png"))
        assert [g.name for g in grids] == ["samples-00000002.png"]
        image = cv2.imread(str(grids[0]))
        assert image.shape[1] == 128 * columns and image.std() > 5


def test_s3_run_writes_checkpoints_and_model_to_s3(trained, monkeypatch):
    for key, value in trained["s3_env"].items():
        monkeypatch.setenv(key, value)
    out = "s3://train/runs/s1"
    assert checkpoint_steps(out) == [2]
    names = set(Location.parse(out).list(""))
    assert f"{run_paths().model}/model_index.json" in names
    assert f"{run_paths().model}/m2penc/config.json" in names
    assert any(name.startswith(run_paths(2).checkpoint + "/") and name.endswith("optim_states.pt") for name in names)
    assert f"{run_paths().tracking}/metrics.jsonl" in names
    assert trained["results"]["s3"]["model_dir"] == f"{out}/model"
