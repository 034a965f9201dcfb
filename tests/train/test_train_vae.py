"""Stage 0's VAE phase (the ``vae``/``vae_resume`` runs and every ZeRO stage-0 run of conftest.py's job)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dancegen.models.dancer import DanceModel
from dancegen.sdgpip.shards import decode_sample, read_shard
from dancegen.train.autoencoder import VAE_RUN, saved_vae, vae_phase_steps
from dancegen.train.config import TRAIN_PRESETS, load_train_config

from .test_train_stages import ZERO_STAGES, metrics


def dataset_frames(data) -> torch.Tensor:
    """Every frame of the toy dataset: (N, 3, 64, 64) in [-1, 1]."""
    videos = [
        decode_sample(key, members, streams=("rgb",)).maps["rgb"]
        for shard in sorted((data / "shards").glob("*.tar"))
        for key, members in read_shard(shard)
    ]
    frames = torch.from_numpy(np.concatenate(videos)).permute(0, 3, 1, 2).float()
    return frames / 127.5 - 1


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    state_a, state_b = a.state_dict(), b.state_dict()
    return state_a.keys() == state_b.keys() and all(torch.equal(state_a[k], state_b[k]) for k in state_a)


@torch.no_grad()
def reconstruction_l1(vae, frames: torch.Tensor) -> float:
    return F.l1_loss(vae(frames, sample_posterior=False).sample, frames).item()


def test_short_vae_phase_halves_the_reconstruction_error_and_ships_with_the_model(trained, tiny_dataset):
    run = trained["base"] / "vae"
    frames = dataset_frames(tiny_dataset)
    torch.manual_seed(0)  # stage 0's starting model: the preset's random VAE
    untrained = DanceModel.from_preset("tiny").vae
    exported = DanceModel.from_pretrained(run / "model").vae
    assert reconstruction_l1(exported, frames) <= 0.5 * reconstruction_l1(untrained, frames)
    assert same_weights(saved_vae(run), exported)  # <run>/vae/model: what the exported model must carry
    assert not (run / VAE_RUN / "checkpoints").exists()  # consolidated, then removed
    scale = exported.config.scaling_factor
    assert scale != untrained.config.scaling_factor
    with torch.no_grad():
        latents = exported.encode(frames).latent_dist.sample() * scale
    assert 0.7 < latents.std().item() < 1.4  # unit variance on the data it was set from (a 4-batch estimate)
    logged = [m for m in metrics(run) if "vae_loss" in m]
    assert [m["step"] for m in logged] == list(range(1, 31))
    assert all(np.isfinite(m["vae_l1"]) for m in logged)
    assert (run / "tracking" / "images" / "vae-00000030.png").is_file()


def test_resumed_stage0_loads_the_finished_vae_phase(trained):
    run = trained["base"] / "vae"
    assert trained["results"]["vae_resume"]["resumed_from"] == 30
    assert len([m for m in metrics(run) if "vae_loss" in m]) == 30  # the phase did not run again
    assert same_weights(DanceModel.from_pretrained(run / "model").vae, saved_vae(run))


@pytest.mark.parametrize("zero", ZERO_STAGES)
def test_vae_phase_runs_under_every_zero_stage_and_later_stages_keep_it(trained, zero):
    base = trained["base"] / f"z{zero}"
    assert [m["step"] for m in metrics(base / "s0") if "vae_loss" in m] == [1, 2]  # capped at stage 0's 2 steps
    vae = {stage: DanceModel.from_pretrained(base / f"s{stage}" / "model").vae for stage in range(4)}
    assert same_weights(vae[0], saved_vae(base / "s0"))
    for stage in (1, 2, 3):
        assert same_weights(vae[stage], vae[0]) and vae[stage].config.scaling_factor == vae[0].config.scaling_factor
        assert not (base / f"s{stage}" / VAE_RUN).exists()
    info = json.loads((base / "s0" / "model" / "training.json").read_text())
    assert info["config"]["vae"]["max_steps"] > 0


@pytest.mark.parametrize(
    ("stage", "overrides", "steps"),
    [
        (0, [], TRAIN_PRESETS["tiny"]["vae"]["max_steps"]),
        (0, ["stages.stage0.max_steps=5"], 5),  # a smoke run stays short
        (0, ["weights.vae=/sd/vae"], 0),  # a pretrained VAE is never trained
        (0, ["weights.champ_dir=/champ"], 0),
        (0, ["init_from=/runs/s0/model"], 0),
        (1, [], 0),
    ],
)
def test_vae_phase_only_where_the_vae_is_the_presets_random_one(stage, overrides, steps):
    assert vae_phase_steps(load_train_config(stage=stage, preset="tiny", overrides=overrides)) == steps


def test_paper_preset_has_no_vae_phase():
    assert vae_phase_steps(load_train_config(stage=0, preset="paper")) == 0
