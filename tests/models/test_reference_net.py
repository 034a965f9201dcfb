import pytest
import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

from dancegen.errors import ConfigError
from dancegen.models import DanceDenoiser, ModelInputError, ReferenceReadProcessor, encode_reference


def test_encode_reference_shapes(tiny):
    vae = AutoencoderKL(**tiny["vae"])
    clip = CLIPVisionModelWithProjection(CLIPVisionConfig(**tiny["image_encoder"]))
    image = torch.rand(2, 3, 64, 64) * 2 - 1
    context = encode_reference(vae, clip, image)
    latent = tiny["unet"]["sample_size"]  # 64 px / the VAE's factor
    assert context.latents.shape == (2, 4, latent, latent)
    assert context.image_embeds.shape == (2, 1, tiny["image_encoder"]["projection_dim"])
    with pytest.raises(ModelInputError, match="divisible"):
        encode_reference(vae, clip, torch.zeros(1, 3, 62, 62))  # not divisible by the VAE's factor


def test_reference_unet_changes_the_prediction_and_empty_bank_is_plain(tiny, tiny_video_unet):
    size = tiny["unet"]["sample_size"]
    sample = torch.randn(2, 4, 3, size, size)
    context = torch.randn(2, 1, 32)
    plain = tiny_video_unet(sample, 10, context).sample
    denoiser = DanceDenoiser(tiny_video_unet, UNet2DConditionModel(**tiny["unet"]))
    procs = tiny_video_unet.attn_processors
    readers = [n for n, p in procs.items() if isinstance(p, ReferenceReadProcessor)]
    assert readers and all(".attentions." in n and n.endswith("attn1.processor") for n in readers)
    with_ref = denoiser(sample, 10, context, reference_latents=torch.randn(2, 4, size, size)).sample
    assert len(denoiser.bank) == len(readers)
    assert (with_ref - plain).abs().max() > 1e-4
    unconditional = denoiser(sample, 10, context).sample  # no reference: bank cleared
    assert len(denoiser.bank) == 0
    assert torch.allclose(unconditional, plain, atol=1e-6)


def test_each_clip_sees_its_own_reference(tiny, tiny_video_unet):
    denoiser = DanceDenoiser(tiny_video_unet, UNet2DConditionModel(**tiny["unet"]))
    sample = torch.randn(2, 4, 2, 8, 8)
    context = torch.randn(2, 1, 32)
    refs = torch.randn(2, 4, 8, 8)
    out = denoiser(sample, 10, context, reference_latents=refs).sample
    changed = refs.clone()
    changed[1] += 1.0
    out2 = denoiser(sample, 10, context, reference_latents=changed).sample
    assert torch.allclose(out[0], out2[0], atol=1e-6)
    assert (out[1] - out2[1]).abs().max() > 1e-4


def test_gradients_reach_the_reference_unet(tiny, tiny_video_unet):
    reference = UNet2DConditionModel(**tiny["unet"])
    denoiser = DanceDenoiser(tiny_video_unet, reference)
    out = denoiser(torch.randn(1, 4, 2, 8, 8), 3, torch.randn(1, 1, 32), reference_latents=torch.randn(1, 4, 8, 8))
    out.sample.square().mean().backward()
    grad = reference.down_blocks[0].attentions[0].transformer_blocks[0].attn1.to_k.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_mismatched_reference_layout_and_inputs(tiny, tiny_video_unet):
    # a reference U-Net without cross-attention blocks has no self-attention layers to share
    shallow_cfg = tiny["unet"] | {"down_block_types": ["DownBlock2D", "DownBlock2D"]}
    shallow_cfg["up_block_types"] = ["UpBlock2D", "UpBlock2D"]
    with pytest.raises(ConfigError, match="same block layout"):
        DanceDenoiser(tiny_video_unet, UNet2DConditionModel(**shallow_cfg))
    plain = DanceDenoiser(tiny_video_unet)
    with pytest.raises(ModelInputError, match="no reference U-Net"):
        plain(torch.randn(1, 4, 2, 8, 8), 1, torch.randn(1, 1, 32), reference_latents=torch.randn(1, 4, 8, 8))
