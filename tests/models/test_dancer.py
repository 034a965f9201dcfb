import json

import pytest
import torch

from dancegen.errors import ConfigError, WeightsError
from dancegen.models import (
    DanceModel,
    GuidanceEncoder,
    M2PEnc,
    SimpleAudioEncoder,
    VideoUNet,
    count_parameters,
    model_preset,
)

SUBFOLDERS = [
    "guidance_encoder",
    "image_encoder",
    "m2penc",
    "motion_adapter",
    "reference_unet",
    "scheduler",
    "unet",
    "vae",
]


def all_outputs(model: DanceModel) -> dict[str, torch.Tensor]:
    """Deterministic outputs of every component on fixed inputs."""
    gen = torch.Generator().manual_seed(5)
    image = torch.rand(1, 3, 64, 64, generator=gen) * 2 - 1
    features = torch.randn(1, 2, 35, generator=gen)
    maps = {m: torch.rand(2, 3, 64, 64, generator=gen) for m in model.guidance_encoder.map_types}
    size = model.unet.config.sample_size  # the latent side
    sample = torch.randn(1, 4, 2, size, size, generator=gen)
    context = torch.randn(1, 1, 32, generator=gen)
    with torch.no_grad():
        guidance = model.music_encoder(features).guidance
        return {
            "vae": model.vae.encode(image).latent_dist.mean,
            "image_encoder": model.image_encoder(pixel_values=torch.rand(1, 3, 32, 32, generator=gen)).image_embeds,
            "music": guidance,
            "guidance_encoder": model.guidance_encoder(maps).guidance,
            "denoiser": model.denoiser()(
                sample, 7, context, guidance=guidance, reference_latents=torch.randn(1, 4, size, size, generator=gen)
            ).sample,
        }


def test_tiny_preset_round_trip(tmp_path, randomize):
    model = DanceModel.from_preset("tiny")
    randomize(model.guidance_encoder, seed=2)  # its zero-init output would hide a bad load
    randomize(model.music_encoder, seed=3)
    model.save_pretrained(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == sorted([*SUBFOLDERS, "model_index.json"])
    index = json.loads((tmp_path / "model" / "model_index.json").read_text())
    assert index["unet"] == ["dancegen.models", "VideoUNet"]
    assert index["vae"] == ["diffusers", "AutoencoderKL"]
    assert index["dancegen_config"]["image_size"] == 64
    loaded = DanceModel.from_pretrained(tmp_path / "model")
    assert isinstance(loaded.unet, VideoUNet) and isinstance(loaded.music_encoder, M2PEnc)
    assert loaded.scheduler.config.prediction_type == model.scheduler.config.prediction_type
    expected, got = all_outputs(model), all_outputs(loaded)
    for name in expected:
        assert torch.allclose(expected[name], got[name], atol=1e-6), name
    assert loaded.config == model.config


def test_ablation_variants_round_trip(tmp_path):
    overrides = {"music_encoder": "simple_audio_encoder", "use_reference_unet": False}
    overrides["guidance_encoder"] = {"map_types": ["skeleton"]}
    model = DanceModel.from_preset("tiny", overrides)
    assert isinstance(model.music_encoder, SimpleAudioEncoder) and model.reference_unet is None
    model.save_pretrained(tmp_path / "m")
    assert (tmp_path / "m" / "simple_audio_encoder").is_dir() and not (tmp_path / "m" / "reference_unet").exists()
    loaded = DanceModel.from_pretrained(tmp_path / "m")
    assert isinstance(loaded.music_encoder, SimpleAudioEncoder) and loaded.reference_unet is None
    assert loaded.guidance_encoder.map_types == ("skeleton",)


def test_frozen_parts_and_counts():
    model = DanceModel.from_preset("tiny")
    assert count_parameters(model.vae)["trainable"] == 0
    assert count_parameters(model.image_encoder)["trainable"] == 0
    counts = model.parameter_counts()
    assert counts["total"] == sum(v for k, v in counts.items() if k not in ("total", "unet_temporal"))
    assert 0 < counts["unet_temporal"] < counts["unet"]


def test_paper_preset_builds_on_meta_with_sd15_sizes():
    model = DanceModel.from_preset("paper", device="meta")
    assert model.unet.conv_in.weight.device.type == "meta"
    counts = model.parameter_counts()
    assert 0.9e9 < counts["unet"] < 1.4e9  # SD-1.5 U-Net (0.86 B) + AnimateDiff motion modules
    assert 0.85e9 < counts["unet"] - counts["unet_temporal"] < 0.87e9
    assert 0.85e9 < counts["reference_unet"] < 0.87e9
    assert 0.30e9 < counts["image_encoder"] < 0.31e9  # CLIP ViT-L/14 vision tower + projection
    assert 80e6 < counts["vae"] < 90e6
    assert model.music_encoder.config.feature_dim == 4800 and model.music_encoder.config.spatial_size == 64
    assert model.guidance_encoder.config.guidance_channels == 320


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"m2penc": {"guidance_channels": 8}}, "m2penc.guidance_channels"),
        ({"m2penc": {"guidance_size": 8}}, "m2penc.guidance_size"),
        ({"image_encoder": {"projection_dim": 16}}, "cross_attention_dim"),
        ({"num_frames": 64}, "motion_max_seq_length"),
        ({"music_encoder": "jukebox"}, "music_encoder"),
        ({"unet_size": 3}, "unknown key"),
        ({"unet": {"block_out_chanels": [16, 32]}}, "section 'unet'"),
        ({"scheduler": {"_class_name": "EulerDiscreteScheduler"}}, "scheduler._class_name"),
    ],
)
def test_bad_model_config_names_the_key(overrides, match):
    with pytest.raises(ConfigError, match=match):
        DanceModel.from_preset("tiny", overrides)


def test_unknown_preset_and_missing_model_dir(tmp_path):
    with pytest.raises(ConfigError, match="huge"):
        model_preset("huge")
    with pytest.raises(WeightsError, match="model.dir"):
        DanceModel.from_pretrained(tmp_path / "nowhere")


def test_save_replaces_an_existing_directory(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "stale.txt").write_text("old")
    DanceModel.from_preset("tiny").save_pretrained(tmp_path / "m")
    assert not (tmp_path / "m" / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no staging directory left behind
    assert isinstance(DanceModel.from_pretrained(tmp_path / "m").guidance_encoder, GuidanceEncoder)
