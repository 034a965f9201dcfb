"""The ablation's training plan, checked against the trainer's own config resolution (paper §4.4)."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from dancegen.errors import ConfigError
from dancegen.evaluation.ablation_plan import (
    load_ablation_settings,
    parse_steps,
    plan_training,
    temporal_overrides,
)
from dancegen.evaluation.train_worker import MARKER, _finished, _marker
from dancegen.train.autoencoder import vae_phase_steps
from dancegen.train.config import load_train_config

CHOREOGRAPHER_ONLY = Counter({"choreographer": 8})


def resolved(run, init_dir="/models/prev"):
    """The TrainConfig the trainer builds for a planned run."""
    cli = dict(run["cli"])
    if run["init_run"]:
        cli["init_from"] = init_dir
    if run["vae_run"]:
        cli["weights"] = {"vae": "/models/ours-s0"}
    return load_train_config(stage=run["stage"], preset=run["preset"], cli=cli, overrides=run["overrides"])


def test_every_variant_chains_its_stages_and_the_trainer_accepts_them(tmp_path):
    settings = load_ablation_settings("tiny", steps=parse_steps("0=10,1=11,2=30,3=5"))
    plan, unavailable = plan_training(settings, "/data", tmp_path, CHOREOGRAPHER_ONLY)
    names = [run["name"] for run in plan]
    assert names == [f"ours-s{s}" for s in range(4)] + ["sae-s0", "sae-s2", "sae-s3"] + [
        f"{v}-s{s}" for v in ("dns", "p") for s in range(4)
    ]
    for run in plan:  # every run starts from the run before it in its chain, which comes first
        assert run["init_run"] is None if run["stage"] == 0 else names.index(run["init_run"]) < names.index(run["name"])
        cfg = resolved(run)
        assert cfg.current.max_steps == {0: 10, 1: 11, 2: 30, 3: 5}[run["stage"]] or run["name"] == "sae-s2"
    by_name = {run["name"]: resolved(run) for run in plan}
    # Simple Audio Encoder: no stage 1, 4/3 of the stage-2 steps, L_guid ignored in stage 3
    assert by_name["sae-s2"].current.max_steps == math.ceil(30 * 4 / 3) == 40
    assert by_name["sae-s3"].current.losses.guid == 0 and by_name["ours-s3"].current.losses.guid == 0.5
    assert by_name["sae-s2"].model.audio_encoder == "simple" and "music_encoder" in by_name["sae-s2"].current.trainable
    assert by_name["dns-s0"].model.guidance_types == "DNS" and by_name["p-s3"].model.guidance_types == "P"
    assert by_name["ours-s0"].model.guidance_types == "PDNS"
    # the VAE is trained once (Ours' stage 0) and every other stage 0 decodes with it
    assert vae_phase_steps(by_name["ours-s0"]) == 10
    for name in ("sae-s0", "dns-s0", "p-s0"):
        assert next(r for r in plan if r["name"] == name)["vae_run"] == "ours-s0"
        assert names.index("ours-s0") < names.index(name) and vae_phase_steps(by_name[name]) == 0
    # 5-s clips at 10 fps: the tiny model's temporal range is widened at stage 0 (and inherited afterwards)
    assert by_name["ours-s0"].model.overrides == {
        "m2penc": {"max_frames": 50},
        "motion_adapter": {"motion_max_seq_length": 50},
    }
    assert by_name["ours-s1"].model.overrides == {}
    # choreographer clips are pseudo-motions: without AIST++ clips that variant is not trained
    assert "no non-pseudo motions in the dataset" in unavailable["no-pseudo"]
    assert "choreographer × 8" in unavailable["no-pseudo"]


def test_without_pseudo_motions_trains_on_the_other_sources_from_ours_stage_0(tmp_path):
    settings = load_ablation_settings("tiny", variants=["ours", "no-pseudo"])
    plan, unavailable = plan_training(settings, "/data", tmp_path, Counter({"choreographer": 6, "aist": 2}))
    assert not unavailable
    runs = {run["name"]: run for run in plan}
    assert "no-pseudo-s0" not in runs and runs["no-pseudo-s1"]["init_run"] == "ours-s0"
    for stage in (1, 2, 3):
        cfg = resolved(runs[f"no-pseudo-s{stage}"])
        assert cfg.data.motion_sources == ["aist"]
    assert resolved(runs["ours-s1"]).data.motion_sources is None


def test_default_steps_are_the_training_presets_recipe(tmp_path):
    settings = load_ablation_settings("tiny", variants=["ours", "sae"])
    plan, _ = plan_training(settings, "/data", tmp_path, CHOREOGRAPHER_ONLY)
    for run in plan:
        preset = load_train_config(stage=run["stage"], preset="tiny").current.max_steps
        expected = math.ceil(preset * 4 / 3) if run["name"] == "sae-s2" else preset
        assert resolved(run).current.max_steps == expected


def test_quick_settings_fit_the_tiny_model_unchanged():
    settings = load_ablation_settings("tiny", quick=True)
    assert settings.frames_per_clip == 16 and temporal_overrides(settings) == {}
    assert settings.steps.model_dump() == {"stage0": 1, "stage1": 1, "stage2": 1, "stage3": 1}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "paper"}, "runs the tiny preset"),
        ({"preset": "tiny", "variants": ["ours", "edge"]}, "choose from ours, sae, no-pseudo, dns, p"),
        ({"preset": "tiny", "variants": ["sae"]}, "add ours"),
        ({"preset": "tiny", "ddim_steps": 0}, "ddim_steps"),
    ],
)
def test_bad_settings_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        load_ablation_settings(**kwargs)


def test_steps_option():
    assert parse_steps("7") == {f"stage{s}": 7 for s in range(4)}
    assert parse_steps("0=5, 3=2") == {"stage0": 5, "stage3": 2}
    with pytest.raises(ConfigError, match="0=N,1=N"):
        parse_steps("many")
    with pytest.raises(ConfigError, match="stages are 0, 1, 2 and 3"):
        parse_steps("4=10")


def test_a_finished_run_is_reused_only_with_the_same_marker(tmp_path):
    settings = load_ablation_settings("tiny", quick=True, variants=["ours"])
    run = plan_training(settings, "/data", tmp_path, CHOREOGRAPHER_ONLY)[0][0]
    marker = _marker(run, "digest-a", None)
    out = tmp_path / "ours-s0"
    assert _finished(out, marker) is None
    (out / "model").mkdir(parents=True)
    (out / "model" / "training.json").write_text(json.dumps({"stage": 0, "step": 1}))
    (out / MARKER).write_text(json.dumps(marker))
    assert _finished(out, marker) == {"stage": 0, "step": 1}
    assert _finished(out, _marker(run, "digest-b", None)) is None  # another dataset: train again
