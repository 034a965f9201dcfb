"""Everything a stage computes without gradients, before the :class:`~dancegen.train.objective.StageModule`.

The frozen networks (VAE, CLIP image encoder, and the guidance / music encoder when they do not train) run
here under ``torch.no_grad`` on every rank, outside DeepSpeed, so ZeRO never partitions them. This is also
where the diffusion sample is drawn: target-frame latents, noise and timesteps from a generator seeded by
(seed, step, micro step, rank), so a resumed run draws the same noise as an uninterrupted one, then
``scheduler.add_noise`` and the scheduler's training target (noise for ``epsilon``, velocity for
``v_prediction``). Training uses no other scheduler method.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dancegen.models.layers import batch_to_frames, frames_to_batch
from dancegen.models.reference_net import encode_reference
from dancegen.train.config import StageConfig
from dancegen.train.objective import maps_to_frames, select_frames


@dataclass
class FrozenParts:
    """The networks a stage runs without gradients; ``None`` where the stage does not need one frozen."""

    vae: nn.Module
    image_encoder: nn.Module
    scheduler: object
    guidance_encoder: nn.Module | None = None
    music_encoder: nn.Module | None = None
    heatmap_size: int | None = None  # the music encoder's S (heatmap targets are resized to S×S)


def step_generator(seed: int, step: int, micro: int, rank: int) -> torch.Generator:
    """A CPU generator unique to (seed, optimizer step, micro step, rank)."""
    return torch.Generator().manual_seed(((seed * 1_000_003 + step) * 1009 + micro) * 4099 + rank)


def diffusion_target(scheduler, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """What the U-Net learns to predict: the noise (``epsilon``) or the velocity (``v_prediction``)."""
    kind = scheduler.config.prediction_type
    if kind == "epsilon":
        return noise
    if kind == "v_prediction":
        return scheduler.get_velocity(latents, noise, timesteps)
    raise ValueError(f"scheduler prediction_type {kind!r} is not supported for training (epsilon, v_prediction)")


def predicted_clean(scheduler, noisy: torch.Tensor, prediction: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """One-step estimate of the clean latents (B, 4, F, h, w) from the U-Net's output (for sample grids)."""
    alphas = scheduler.alphas_cumprod.to(noisy.device)[timesteps].float().view(-1, 1, 1, 1, 1)
    noisy, prediction = noisy.float(), prediction.float()
    if scheduler.config.prediction_type == "v_prediction":
        return alphas.sqrt() * noisy - (1 - alphas).sqrt() * prediction
    return (noisy - (1 - alphas).sqrt() * prediction) / alphas.sqrt().clamp(min=1e-3)


@torch.no_grad()
def encode_frames(vae: nn.Module, frames: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """(B, 3, F, H, W) in [-1, 1] → VAE latents × scaling factor (B, 4, F, H/8, W/8), sampled from the
    posterior with ``generator``."""
    posterior = vae.encode(frames_to_batch(frames).to(vae.dtype)).latent_dist
    noise = torch.randn(posterior.mean.shape, generator=generator, dtype=torch.float32).to(posterior.mean)
    latents = (posterior.mean + posterior.std * noise) * vae.config.scaling_factor
    return batch_to_frames(latents, frames.shape[2])


@torch.no_grad()
def decode_latents(vae: nn.Module, latents: torch.Tensor) -> torch.Tensor:
    """(B, 4, F, h, w) latents → (B, 3, F, H, W) images clamped to [-1, 1]."""
    frames = vae.decode(frames_to_batch(latents).to(vae.dtype) / vae.config.scaling_factor).sample
    return batch_to_frames(frames.float().clamp(-1, 1), latents.shape[2])


def _to(tensor: torch.Tensor, device: torch.device, dtype: torch.dtype | None = None) -> torch.Tensor:
    if dtype is not None and tensor.is_floating_point():
        return tensor.to(device=device, dtype=dtype)
    return tensor.to(device=device)


@torch.no_grad()
def stage_inputs(
    batch: dict,
    frozen: FrozenParts,
    stage: StageConfig,
    generator: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
) -> dict:
    """Collated batch (see :func:`dancegen.train.samples.collate`) → the StageModule's ``inputs``."""
    losses = stage.losses
    frame_ids = batch["frame_ids"].to(device)  # (B, F)
    inputs: dict = {"features": _to(batch["features"], device, dtype), "frame_ids": frame_ids}
    maps = {name: _to(video, device, dtype) for name, video in batch["maps"].items()}  # {type: (B, 3, F, H, W)}
    if maps:
        inputs["maps"] = maps
    if losses.guid > 0:
        inputs["guidance_target"] = frozen.guidance_encoder(maps_to_frames(maps)).guidance  # (B·F, C, h, w)
    if losses.heat > 0:
        heatmaps = batch["heatmaps"].flatten(0, 1).to(device=device, dtype=torch.float32)  # (B·F, J, h, w)
        size = frozen.heatmap_size
        if heatmaps.shape[-1] != size:
            heatmaps = F.interpolate(heatmaps, size=(size, size), mode="bilinear", align_corners=False)
        inputs["heatmaps"] = heatmaps.to(dtype)
    if losses.pix > 0:
        if stage.guidance_from == "maps" and frozen.guidance_encoder is not None:
            inputs["guidance"] = frozen.guidance_encoder(maps_to_frames(maps)).guidance
        if stage.guidance_from == "music" and frozen.music_encoder is not None:
            encoded = frozen.music_encoder(inputs["features"]).guidance  # (B·F_clip, C, h, w)
            inputs["guidance"] = select_frames(encoded, frame_ids)
        latents = encode_frames(frozen.vae, _to(batch["frames"], device, dtype), generator)  # (B, 4, F, h, w)
        reference = encode_reference(frozen.vae, frozen.image_encoder, _to(batch["reference"], device, dtype))
        noise = torch.randn(latents.shape, generator=generator, dtype=torch.float32).to(device)
        steps = frozen.scheduler.config.num_train_timesteps
        timesteps = torch.randint(0, steps, (latents.shape[0],), generator=generator).to(device)
        noisy = frozen.scheduler.add_noise(latents.float(), noise, timesteps)
        inputs.update(
            noisy_latents=noisy.to(dtype),
            timesteps=timesteps,
            target=diffusion_target(frozen.scheduler, latents.float(), noise, timesteps).to(dtype),
            image_embeds=reference.image_embeds.to(dtype),
            reference_latents=reference.latents.to(dtype),
        )
    return inputs
