"""The reference branch (paper §3.3): the reference photo's appearance enters the denoiser two ways.

1. **Global context.** The frozen VAE encodes the photo to a latent ``(B, 4, h, w)`` and the frozen CLIP
   image encoder to an embedding ``(B, 1, D)`` (D = 768 for ViT-L/14), the U-Net's cross-attention
   context (:func:`encode_reference`).
2. **Reference U-Net** (ReferenceNet, as in Animate Anyone and CHAMP): a 2-D U-Net of the same layout as
   the denoiser runs once on the reference latent at timestep 0. Each of its spatial self-attention
   layers stores its input tokens in a :class:`ReferenceBank`; the denoiser's matching self-attention
   layer (same module name) appends those tokens, repeated for every frame, to its own keys and values,
   so every frame can attend to the reference's features at every resolution.

Both sides are diffusers attention processors set with ``set_attn_processor``
(:class:`ReferenceWriteProcessor`, :class:`ReferenceReadProcessor`); the U-Nets' forward code is untouched
and the processors hold no weights, so ``save_pretrained`` is unaffected. A bank that is empty (no
reference written, e.g. the unconditional pass of classifier-free guidance) makes the read processors
plain self-attention.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention, AttnProcessor2_0
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from transformers import CLIPVisionModelWithProjection
from transformers.utils.constants import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

from dancegen.models.checks import ModelConfigError, ModelInputError, check_tensor
from dancegen.models.video_unet import VideoUNet


class ReferenceBank:
    """Self-attention inputs captured from the reference U-Net: processor name → (B, L, C) tokens."""

    def __init__(self) -> None:
        self.states: dict[str, torch.Tensor] = {}

    def clear(self) -> None:
        """Forget the written reference (the next denoiser pass is plain self-attention)."""
        self.states.clear()

    def __len__(self) -> int:
        return len(self.states)


class _ReferenceProcessor:
    """An attention processor bound to one layer's slot (``name``) of a :class:`ReferenceBank`."""

    def __init__(self, bank: ReferenceBank, name: str):
        self.bank = bank
        self.name = name
        self.attention = AttnProcessor2_0()


class ReferenceWriteProcessor(_ReferenceProcessor):
    """On the reference U-Net's ``attn1``: store the input tokens (B, L, C) in the bank, then self-attend."""

    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
    ) -> torch.Tensor:
        self.bank.states[self.name] = hidden_states
        return self.attention(attn, hidden_states, encoder_hidden_states, attention_mask, temb)


class ReferenceReadProcessor(_ReferenceProcessor):
    """On the denoiser's spatial ``attn1``: keys/values = own tokens ⊕ the reference tokens of that layer.

    The denoiser's tokens are (B·F, L, C) with the F frames of a clip consecutive; the bank holds (B, L, C)
    and is repeated F times, so all frames see their own clip's reference.
    """

    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        temb: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if not self.bank.states:
            return self.attention(attn, hidden_states, encoder_hidden_states, attention_mask, temb)
        reference = self.bank.states.get(self.name)
        if reference is None:
            raise ModelConfigError(
                f"reference U-Net wrote no tokens for {self.name!r}; its layout must match the denoiser's"
            )
        if hidden_states.shape[0] % reference.shape[0]:
            raise ModelInputError(
                f"reference batch {reference.shape[0]} does not divide the denoiser batch·frames "
                f"{hidden_states.shape[0]}; pass one reference latent per clip"
            )
        frames = hidden_states.shape[0] // reference.shape[0]
        context = torch.cat([hidden_states, reference.repeat_interleave(frames, dim=0)], dim=1)  # (B·F, 2L, C)
        return self.attention(attn, hidden_states, context, attention_mask, temb)


def _spatial_self_attention_names(unet: UNet2DConditionModel | VideoUNet) -> list[str]:
    """Processor names of the spatial self-attention layers (``attn1`` inside ``attentions``, not motion modules)."""
    return [name for name in unet.attn_processors if ".attentions." in name and name.endswith(".attn1.processor")]


def attach_reference_attention(reference_unet: UNet2DConditionModel, video_unet: VideoUNet) -> ReferenceBank:
    """Install write processors on ``reference_unet`` and read processors on ``video_unet``; return their bank.

    Every spatial self-attention layer of the denoiser must have a namesake in the reference U-Net (same
    ``down_block_types``/``up_block_types``/``layers_per_block``/``transformer_layers_per_block``), else a
    :class:`~dancegen.models.checks.ModelConfigError` lists the missing ones.
    """
    bank = ReferenceBank()
    write_names = _spatial_self_attention_names(reference_unet)
    read_names = _spatial_self_attention_names(video_unet)
    missing = sorted(set(read_names) - set(write_names))
    if missing:
        raise ModelConfigError(
            f"reference U-Net has no self-attention layer for {len(missing)} denoiser layers (e.g. {missing[0]!r}); "
            f"build it with the same block layout as the video U-Net"
        )
    reference_procs = dict(reference_unet.attn_processors)
    reference_procs.update({name: ReferenceWriteProcessor(bank, name) for name in write_names})
    reference_unet.set_attn_processor(reference_procs)
    video_procs = dict(video_unet.attn_processors)
    video_procs.update({name: ReferenceReadProcessor(bank, name) for name in read_names})
    video_unet.set_attn_processor(video_procs)
    return bank


@dataclass
class ReferenceContext:
    """latents: (B, 4, H/8, W/8) VAE latent × scaling factor; image_embeds: (B, 1, D) CLIP image embedding."""

    latents: torch.Tensor
    image_embeds: torch.Tensor


def clip_pixels(image: torch.Tensor, size: int) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] → (B, 3, size, size) normalised the way CLIP was trained (bicubic resize)."""
    pixels = F.interpolate((image + 1) / 2, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)
    mean = torch.tensor(OPENAI_CLIP_MEAN, device=image.device, dtype=image.dtype).view(1, 3, 1, 1)
    std = torch.tensor(OPENAI_CLIP_STD, device=image.device, dtype=image.dtype).view(1, 3, 1, 1)
    return (pixels - mean) / std


@torch.no_grad()
def encode_reference(
    vae: AutoencoderKL, image_encoder: CLIPVisionModelWithProjection, image: torch.Tensor
) -> ReferenceContext:
    """Encode reference photos with the frozen VAE (latent mean) and CLIP image encoder.

    image: (B, 3, H, W) float in [-1, 1], H and W divisible by the VAE's down-scale factor (8).
    """
    check_tensor("encode_reference", "image", image, ("B", 3, "H", "W"))
    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    if image.shape[-1] % factor or image.shape[-2] % factor:
        raise ModelInputError(f"encode_reference: image size {tuple(image.shape[-2:])} must be divisible by {factor}")
    latents = vae.encode(image.to(vae.dtype)).latent_dist.mode() * vae.config.scaling_factor
    pixels = clip_pixels(image.to(image_encoder.dtype), image_encoder.config.image_size)
    image_embeds = image_encoder(pixel_values=pixels).image_embeds.unsqueeze(1)  # (B, 1, D)
    return ReferenceContext(latents=latents, image_embeds=image_embeds)
