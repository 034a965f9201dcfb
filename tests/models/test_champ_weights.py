"""CHAMP's released checkpoints, imitated with tiny random models written in CHAMP's own key layout."""

import re

import pytest
import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from dancegen.errors import WeightsError
from dancegen.models import (
    CHAMP_GUIDANCE_FILES,
    DanceModel,
    VideoUNet,
    load_champ_weights,
    load_image_encoder,
    load_vae,
)
from dancegen.models.guidance_encoder import MapEncoder


def champ_guidance_state(src: MapEncoder, cfg: dict) -> dict[str, torch.Tensor]:
    """CHAMP's GuidanceEncoder layout: conv_in, blocks.{i}, attentions.{0..2S-3} (one per block, only the
    last used), guidance_attention, conv_out (models/guidance_encoder.py in fudan-generative-vision/champ)."""
    widths, heads = cfg["block_out_channels"], cfg["num_attention_heads"]
    state = {k: v for k, v in src.state_dict().items() if not k.startswith("attention.")}
    attention_widths = [w for pair in zip(widths[:-1], widths[1:], strict=True) for w in pair]
    for index, width in enumerate(attention_widths):
        if index == len(attention_widths) - 1:
            block = src.attention
        else:
            block = Transformer2DModel(heads, width // heads, width, norm_num_groups=1 if index % 2 == 0 else 8)
        state |= {f"attentions.{index}.{k}": v for k, v in block.state_dict().items()}
    extra = Transformer2DModel(heads, widths[-1] // heads, widths[-1], norm_num_groups=8)
    return state | {f"guidance_attention.{k}": v for k, v in extra.state_dict().items()}


def animatediff_motion_state(unet: VideoUNet) -> dict[str, torch.Tensor]:
    """AnimateDiff's VanillaTemporalModule layout as CHAMP saves it in motion_module.pth."""
    renames = [(".attn1.", ".attention_blocks.0."), (".attn2.", ".attention_blocks.1."), (".norm1.", ".norms.0.")]
    renames += [(".norm2.", ".norms.1."), (".norm3.", ".ff_norm.")]
    state = {}
    for key, value in unet.state_dict().items():
        if ".motion_modules." not in key:
            continue
        key = re.sub(r"(\.motion_modules\.\d+)\.", r"\1.temporal_transformer.", key)
        if key.endswith(".pos_embed.pe"):
            for i in (0, 1):
                state[key.replace(".pos_embed.pe", f".attention_blocks.{i}.pos_encoder.pe")] = value
            continue
        for new, old in renames:
            key = key.replace(new, old)
        state[key] = value
    return state


@pytest.fixture
def champ_dir(tmp_path, tiny, randomize):
    """A directory of synthetic CHAMP checkpoints for the tiny preset, plus the source modules."""
    sources = {
        "denoising": randomize(UNet2DConditionModel(**tiny["unet"]), seed=11),
        "reference": randomize(UNet2DConditionModel(**tiny["unet"]), seed=12),
        "motion": randomize(DanceModel.from_preset("tiny").unet, seed=13),
    }
    torch.save(sources["denoising"].state_dict(), tmp_path / "denoising_unet.pth")
    torch.save(sources["reference"].state_dict(), tmp_path / "reference_unet.pth")
    torch.save(animatediff_motion_state(sources["motion"]), tmp_path / "motion_module.pth")
    gcfg = tiny["guidance_encoder"]
    for seed, (map_type, file_name) in enumerate(CHAMP_GUIDANCE_FILES.items(), start=20):
        args = (3, tuple(gcfg["block_out_channels"]), 16, gcfg["num_attention_heads"], gcfg["norm_num_groups"])
        sources[map_type] = randomize(MapEncoder(*args), seed=seed)
        torch.save(champ_guidance_state(sources[map_type], gcfg), tmp_path / file_name)
    return tmp_path, sources


def test_synthetic_files_have_champs_key_names(champ_dir, tiny):
    root, _ = champ_dir
    motion = torch.load(root / "motion_module.pth")
    block = "down_blocks.0.motion_modules.0.temporal_transformer.transformer_blocks.0"
    for key in (f"{block}.attention_blocks.0.to_q.weight", f"{block}.norms.1.bias", f"{block}.ff_norm.weight"):
        assert key in motion
    assert "mid_block.motion_modules.0.temporal_transformer.proj_out.weight" in motion
    guidance = torch.load(root / "guidance_encoder_dwpose.pth")
    last = 2 * (len(tiny["guidance_encoder"]["block_out_channels"]) - 1) - 1  # 5 for CHAMP's 4 widths
    for key in ("conv_in.weight", "blocks.0.weight", f"blocks.{last}.bias", f"attentions.{last}.proj_in.weight"):
        assert key in guidance
    assert "conv_out.weight" in guidance and f"blocks.{last + 1}.bias" not in guidance
    assert "conv_in.weight" in torch.load(root / "denoising_unet.pth")


def test_load_champ_weights_strictly(champ_dir):
    root, sources = champ_dir
    model = DanceModel.from_preset("tiny")
    read = load_champ_weights(model, root)
    assert sorted(read) == sorted(
        ["denoising_unet.pth", "motion_module.pth", "reference_unet.pth", *CHAMP_GUIDANCE_FILES.values()]
    )
    unet_state = model.unet.state_dict()
    for key, value in sources["denoising"].state_dict().items():
        assert torch.equal(unet_state[key], value), key
    for key, value in sources["motion"].state_dict().items():
        if ".motion_modules." in key:
            assert torch.equal(unet_state[key], value), key
    for key, value in sources["reference"].state_dict().items():
        assert torch.equal(model.reference_unet.state_dict()[key], value), key
    maps = torch.rand(2, 3, 64, 64) * 2 - 1
    for map_type in CHAMP_GUIDANCE_FILES:
        assert torch.allclose(model.guidance_encoder.encoders[map_type](maps), sources[map_type](maps))


def test_only_configured_guidance_files_are_needed(champ_dir):
    root, _ = champ_dir
    (root / "guidance_encoder_depth.pth").unlink()
    model = DanceModel.from_preset("tiny", {"guidance_encoder": {"map_types": ["skeleton"]}})
    assert "guidance_encoder_dwpose.pth" in load_champ_weights(model, root)
    with pytest.raises(WeightsError, match="weights.champ_dir.*guidance_encoder_depth.pth"):
        load_champ_weights(DanceModel.from_preset("tiny"), root)


def test_wrong_layout_lists_missing_and_unexpected_keys(champ_dir):
    root, _ = champ_dir
    (root / "denoising_unet.pth").write_bytes((root / "motion_module.pth").read_bytes())
    with pytest.raises(WeightsError, match=r"denoising_unet.pth: key layout .* missing .*unexpected"):
        load_champ_weights(DanceModel.from_preset("tiny"), root)


def test_wrong_model_size_names_the_tensor(champ_dir):
    root, _ = champ_dir
    bigger = DanceModel.from_preset("tiny", {"guidance_encoder": {"block_out_channels": [8, 16, 64]}})
    with pytest.raises(WeightsError, match=r"guidance_encoder_depth.pth: .* has shape .* expects"):
        load_champ_weights(bigger, root)


def test_missing_directory_and_corrupt_file(tmp_path, champ_dir):
    with pytest.raises(WeightsError, match="weights.champ_dir"):
        load_champ_weights(DanceModel.from_preset("tiny"), tmp_path / "nope")
    root, _ = champ_dir
    (root / "motion_module.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="motion_module.pth is not a readable"):
        load_champ_weights(DanceModel.from_preset("tiny"), root)


def test_vae_and_image_encoder_from_local_directories(tmp_path, tiny):
    vae = AutoencoderKL(**tiny["vae"])
    vae.save_pretrained(tmp_path / "sd" / "vae")
    clip = CLIPVisionModelWithProjection(CLIPVisionConfig(**tiny["image_encoder"]))
    clip.save_pretrained(tmp_path / "image_encoder")
    loaded_vae = load_vae(tmp_path / "sd")  # a pipeline folder: its vae/ subfolder is used
    assert torch.equal(loaded_vae.encoder.conv_in.weight, vae.encoder.conv_in.weight)
    assert not any(p.requires_grad for p in loaded_vae.parameters())
    loaded_clip = load_image_encoder(tmp_path / "image_encoder")
    pixels = torch.rand(1, 3, 32, 32)
    assert torch.allclose(loaded_clip(pixel_values=pixels).image_embeds, clip(pixel_values=pixels).image_embeds)
    with pytest.raises(WeightsError, match="weights.vae"):
        load_vae(tmp_path / "missing")
    with pytest.raises(WeightsError, match="weights.image_encoder"):
        load_image_encoder(tmp_path / "sd")
