"""The unrolled DDIM loop for one segment, with reference guidance and UniAnimate-style noise conditioning.

The sampler is diffusers' ``DDIMScheduler`` built from the model's scheduler config (η = 0, so sampling is
deterministic given the initial noise). Each step calls the denoiser (reference U-Net + video U-Net,
:class:`~dancegen.models.DanceDenoiser`) and then ``scheduler.step``; no model owns the loop.

**Classifier-free guidance on the reference** (scale ``g``). Each step runs the denoiser twice on the same
noisy latents and pose guidance: conditioned (CLIP image embedding + reference-U-Net attention on the VAE
latent of the photo) and unconditioned (zero embedding, no reference attention). The prediction is
``uncond + g · (cond − uncond)``; ``g = 1`` skips the unconditioned pass.

**Noise conditioning across segments** (UniAnimate, paper §3.4). A segment after the first starts with
``K = overlap`` frames that the previous segment already produced: their clean latents ``z`` (the
previous segment's final latents of those frames). At every step ``t``, before the denoiser runs, the
first ``K`` frames of the current latents are replaced by ``z`` noised to level ``t`` with the forward
process, ``sqrt(ᾱ_t) · z + sqrt(1 − ᾱ_t) · ε``, where ``ε`` is the segment's own initial noise of those
frames (fixed for the whole loop). The other frames are denoised as usual, and the temporal attention
lets them see the conditioning frames at the same noise level as themselves, so the new frames continue
the old ones. After the last step the first ``K`` frames are set to ``z`` exactly, so the stitched video
has no duplicated or re-generated frame at a seam.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from diffusers import DDIMScheduler

from dancegen.models.denoiser import DanceDenoiser


@dataclass
class ReferenceConditioning:
    """image_embeds: (1, 1, D) CLIP image embedding; reference_latents: (1, 4, h, w) VAE latent, or None when
    the model has no reference U-Net."""

    image_embeds: torch.Tensor
    reference_latents: torch.Tensor | None


def ddim_scheduler(scheduler_config, steps: int) -> DDIMScheduler:
    """A fresh DDIM scheduler from the model's scheduler config, with ``steps`` timesteps set."""
    scheduler = DDIMScheduler.from_config(scheduler_config)
    scheduler.set_timesteps(steps)
    return scheduler


@torch.inference_mode()
def denoise_segment(
    denoiser: DanceDenoiser,
    scheduler: DDIMScheduler,
    noise: torch.Tensor,
    guidance: torch.Tensor,
    reference: ReferenceConditioning,
    guidance_scale: float,
    known: torch.Tensor | None = None,
    on_step=None,
) -> torch.Tensor:
    """Denoise one segment; see the module docstring.

    Args:
        denoiser: the model's denoiser (``DanceModel.denoiser()``), in eval mode.
        scheduler: from :func:`ddim_scheduler` (timesteps set).
        noise: (1, 4, F, h, w) initial noise of the segment.
        guidance: (F, C0, h, w) pose guidance of the segment's frames.
        reference: the photo's conditioning.
        guidance_scale: classifier-free guidance scale on the reference (1 = off).
        known: (1, 4, K, h, w) clean latents of the segment's first K frames (K < F), or None.
        on_step: called after every step (progress bars).

    Returns:
        (1, 4, F, h, w) clean latents; the first K frames equal ``known``.
    """
    latents = noise * scheduler.init_noise_sigma
    conditioned = known.shape[2] if known is not None else 0
    uncond_embeds = torch.zeros_like(reference.image_embeds)
    for t in scheduler.timesteps:
        if conditioned:
            latents[:, :, :conditioned] = scheduler.add_noise(known, noise[:, :, :conditioned], t.reshape(1))
        prediction = denoiser(latents, t, reference.image_embeds, guidance, reference.reference_latents).sample
        if guidance_scale != 1.0:
            uncond = denoiser(latents, t, uncond_embeds, guidance, None).sample
            prediction = uncond + guidance_scale * (prediction - uncond)
        latents = scheduler.step(prediction, t, latents).prev_sample
        if on_step is not None:
            on_step()
    if conditioned:
        latents[:, :, :conditioned] = known
    return latents
