"""One denoising step of the latent diffusion framework (paper §3.3), as a single ``nn.Module``.

:class:`DanceDenoiser` composes the video U-Net and the optional reference U-Net explicitly: it runs the
reference U-Net on the reference latent (filling the :class:`~dancegen.models.reference_net.ReferenceBank`),
then the video U-Net on the noisy clip with the CLIP context and the pose guidance. It is what training
hands to DeepSpeed (with whatever guidance source the stage trains) and what sampling calls once per
step; it owns no scheduler and no VAE.
"""

from __future__ import annotations

import torch
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.models.unets.unet_motion_model import UNetMotionOutput
from torch import nn

from dancegen.models.checks import ModelInputError, check_tensor
from dancegen.models.reference_net import attach_reference_attention
from dancegen.models.video_unet import VideoUNet


class DanceDenoiser(nn.Module):
    """Reference U-Net (optional) + video U-Net with guidance; predicts the noise (or v) of a latent clip.

    Args:
        video_unet: the denoising 3-D U-Net.
        reference_unet: a 2-D U-Net with the video U-Net's block layout, or ``None`` to use only the CLIP
            context (the reference latent is then not needed).
    """

    def __init__(self, video_unet: VideoUNet, reference_unet: UNet2DConditionModel | None = None):
        super().__init__()
        self.video_unet = video_unet
        self.reference_unet = reference_unet
        self.bank = attach_reference_attention(reference_unet, video_unet) if reference_unet is not None else None

    def forward(
        self,
        noisy_latents: torch.Tensor,
        timesteps: torch.Tensor | int,
        image_embeds: torch.Tensor,
        guidance: torch.Tensor | None = None,
        reference_latents: torch.Tensor | None = None,
    ) -> UNetMotionOutput:
        """
        Args:
            noisy_latents: (B, 4, F, h, w).
            timesteps: scalar or (B,).
            image_embeds: (B, 1, D) CLIP image embedding of the reference (cross-attention context).
            guidance: (B·F, C0, h, w) pose guidance or ``None``.
            reference_latents: (B, 4, h, w) VAE latent of the reference; required when a reference U-Net is
                configured, except for an unconditional pass where ``None`` turns the reference attention off.

        Returns:
            ``UNetMotionOutput(sample=(B, 4, F, h, w))``.
        """
        if self.reference_unet is not None:
            # Cleared at the start, not the end, so gradient-checkpoint recomputation still finds the tokens.
            self.bank.clear()
            if reference_latents is not None:
                batch, channels = noisy_latents.shape[:2]
                height, width = noisy_latents.shape[-2:]
                check_tensor("DanceDenoiser", "reference_latents", reference_latents, (batch, channels, height, width))
                self.reference_unet(
                    reference_latents,
                    torch.zeros(batch, dtype=torch.long, device=reference_latents.device),
                    encoder_hidden_states=image_embeds,
                    return_dict=False,
                )
        elif reference_latents is not None:
            raise ModelInputError("DanceDenoiser: reference_latents given but no reference U-Net is configured")
        return self.video_unet(noisy_latents, timesteps, image_embeds, guidance=guidance)
