import pytest
import torch

from dancegen.errors import ConfigError
from dancegen.train.config import load_train_config
from dancegen.train.engine import deepspeed_config


def test_stages_resolve_to_the_papers_table():
    cfg = load_train_config(preset="tiny")
    table = {
        number: (stage.trainable, stage.guidance_from, stage.losses.model_dump(), stage.frames)
        for number, stage in enumerate((cfg.stages.stage0, cfg.stages.stage1, cfg.stages.stage2, cfg.stages.stage3))
    }
    stage0 = (["guidance_encoder", "unet_spatial", "reference_unet"], "maps", {"pix": 1, "guid": 0, "heat": 0}, 1)
    assert table[0] == stage0
    assert table[1] == (["music_encoder"], "none", {"pix": 0, "guid": 1, "heat": 1}, 0)
    assert table[2] == (["unet_spatial", "reference_unet"], "music", {"pix": 1, "guid": 0, "heat": 0}, 1)
    assert table[3] == (["unet_temporal", "music_encoder"], "music", {"pix": 0.5, "guid": 0.5, "heat": 0}, 4)
    assert cfg.optim.lr == 5e-4 and load_train_config(preset="paper").optim.lr == 1e-5  # §4.1; tiny: from scratch


def test_paper_preset_batches_are_the_papers_on_eight_gpus():
    stages = load_train_config(preset="paper").stages
    global_batches = [stage.micro_batch_size * 8 for stage in (stages.stage1, stages.stage2, stages.stage3)]
    assert global_batches == [24, 32, 8]
    assert (stages.stage1.max_steps, stages.stage2.max_steps, stages.stage3.max_steps) == (20000, 60000, 20)
    assert stages.stage3.frames == 24


def test_simple_audio_encoder_ablation_trains_it_in_stage2_and_drops_l_guid():
    cfg = load_train_config(stage=2, preset="tiny", overrides=["model.audio_encoder=simple"])
    assert "music_encoder" in cfg.stages.stage2.trainable
    assert cfg.stages.stage3.losses.guid == 0 and cfg.stages.stage3.losses.pix == 0.5
    with pytest.raises(ConfigError, match="no stage 1"):
        load_train_config(stage=1, preset="tiny", overrides=["model.audio_encoder=simple"])


def test_layers_apply_in_order_and_stay_strict(tmp_path):
    yaml_file = tmp_path / "train.yaml"
    yaml_file.write_text("optim:\n  lr: 0.5\nstages:\n  stage2:\n    max_steps: 7\n")
    cli = {"stages": {"stage2": {"max_steps": 9}}}
    cfg = load_train_config(stage=2, preset="tiny", config_path=yaml_file, cli=cli, overrides=["seed=3"])
    assert (cfg.optim.lr, cfg.current.max_steps, cfg.seed, cfg.current.micro_batch_size) == (0.5, 9, 3, 2)
    with pytest.raises(ConfigError, match="unknown config key 'optim.lrr'"):
        load_train_config(stage=2, overrides=["optim.lrr=1"])
    with pytest.raises(ConfigError, match="'deepspeed.zero_stage' = 4"):
        load_train_config(stage=2, overrides=["deepspeed.zero_stage=4"])
    with pytest.raises(ConfigError, match="'optim.lr' = 'fast'"):
        load_train_config(stage=2, overrides=["optim.lr=fast"])
    with pytest.raises(ConfigError, match="contradicts --preset"):
        load_train_config(stage=2, preset="tiny", overrides=["model.preset=paper"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["stages.stage2.trainable=[guidance_encoder]"], "no weighted loss reaches them"),
        (["stages.stage2.losses={pix: 0, guid: 0, heat: 0}"], "every loss weight is 0"),
        (["stages.stage2.guidance_from=none"], "needs guidance"),
        (["stages.stage2.losses.guid=1", "stages.stage2.trainable=[guidance_encoder]"], "cannot train"),
    ],
)
def test_inconsistent_stages_are_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_train_config(stage=2, preset="tiny", overrides=overrides)


def test_deepspeed_config_follows_the_stage():
    cfg = load_train_config(
        stage=3,
        preset="tiny",
        overrides=[
            "deepspeed.zero_stage=3",
            "stages.stage3.grad_accum_steps=4",
            "optim.grad_clip=0.5",
            "optim.warmup_steps=5",
        ],
    )
    ds = deepspeed_config(cfg, world_size=2)
    assert ds["zero_optimization"] == {"stage": 3, "stage3_max_reuse_distance": 0}
    batch = (ds["train_micro_batch_size_per_gpu"], ds["gradient_accumulation_steps"], ds["train_batch_size"])
    assert batch == (1, 4, 8)
    assert ds["gradient_clipping"] == 0.5 and ds["scheduler"]["params"]["warmup_num_steps"] == 5
    assert ds["optimizer"]["type"] == "AdamW" and ds["optimizer"]["params"]["torch_adam"] is True
    assert ds["bf16"]["enabled"] is torch.cuda.is_available() and "data_types" not in ds  # fp32 on this CPU
    bf16 = deepspeed_config(load_train_config(stage=3, overrides=["deepspeed.precision=bf16"]), world_size=1)
    assert bf16["bf16"] == {"enabled": True} and bf16["data_types"] == {"buffer_dtype": "bf16"}
