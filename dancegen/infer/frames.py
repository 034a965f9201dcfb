"""Single frames for given pose guidance: the pose-to-video task of stage 0 (CHAMP's), one frame at a time.

:func:`dancegen.infer.generate` makes videos from music. Checking what a model learnt needs the parts apart:
the pose guidance of known frames, from SDGPip's rendered maps (:func:`guidance_from_maps`, the guidance
encoder) or from the clip's music (:func:`guidance_from_music`, M2PEnc or the simple encoder), and frames
denoised from it for a reference photo (:func:`sample_frames`), each frame a one-frame segment of the same
DDIM loop as generation, with its own seeded noise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from dancegen.infer.sampler import ReferenceConditioning, ddim_scheduler, denoise_segment
from dancegen.models import DanceModel, encode_reference
from dancegen.models.checks import ModelInputError
from dancegen.train.inputs import decode_latents


@torch.inference_mode()
def guidance_from_maps(model: DanceModel, maps: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """``{map type: (N, 3, S, S)}`` in [-1, 1] (the guidance encoder's map types) → guidance (N, C, h, w)."""
    return model.guidance_encoder(maps).guidance


@torch.inference_mode()
def guidance_from_music(model: DanceModel, features: torch.Tensor, frame_ids: torch.Tensor) -> torch.Tensor:
    """(F, D) music features of one clip → the guidance (N, C, h, w) of its frames ``frame_ids`` (N,)."""
    return model.music_encoder(features[None]).guidance[frame_ids]


@torch.inference_mode()
def sample_frames(
    model: DanceModel,
    references: torch.Tensor,
    guidance: torch.Tensor,
    steps: int = 25,
    seed: int = 0,
    guidance_scale: float = 1.0,
) -> np.ndarray:
    """Denoise one frame per guidance map; the model should be in eval mode.

    Args:
        references: (N, 3, S, S) reference photos in [-1, 1], one per frame.
        guidance: (N, C, h, w) pose guidance.
        steps: DDIM steps; seed: frame ``i`` starts from noise seeded with ``seed + i``.
        guidance_scale: classifier-free guidance on the reference (1 = off).

    Returns:
        (N, S, S, 3) uint8 RGB frames.
    """
    if references.shape[0] != guidance.shape[0]:
        raise ModelInputError(f"sample_frames: {references.shape[0]} references for {guidance.shape[0]} guidance maps")
    dtype = model.unet.dtype
    frames = []
    for index in range(guidance.shape[0]):
        context = encode_reference(model.vae, model.image_encoder, references[index : index + 1].to(dtype))
        reference = ReferenceConditioning(
            image_embeds=context.image_embeds.to(dtype),
            reference_latents=context.latents.to(dtype) if model.reference_unet is not None else None,
        )
        generator = torch.Generator().manual_seed(seed + index)
        noise = torch.randn((1, *context.latents.shape[1:2], 1, *context.latents.shape[2:]), generator=generator)
        scheduler = ddim_scheduler(model.scheduler.config, steps)
        latents = denoise_segment(
            model.denoiser(), scheduler, noise.to(dtype), guidance[index : index + 1].to(dtype), reference,
            guidance_scale,
        )  # fmt: skip
        frames.append(decode_latents(model.vae, latents)[:, :, 0])  # (1, 3, S, S) in [-1, 1]
    pixels = ((torch.cat(frames) + 1) * 127.5).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).numpy()
