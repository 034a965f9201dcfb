"""The losses of every stage (paper §3.4) computed by one module: what DeepSpeed wraps.

:class:`StageModule` holds the networks that need gradients in this stage — the denoiser (video U-Net +
reference U-Net) when the diffusion loss is on, and the guidance encoder or music encoder when they train.
Frozen networks run outside it without gradients (:mod:`dancegen.train.inputs`): the VAE and CLIP, the
guidance encoder when it only supplies L_guid targets or frozen guidance, the music encoder when frozen.
Sub-module names follow :class:`~dancegen.models.DanceModel`'s attributes (:data:`COMPONENT_PREFIXES`),
so a consolidated state dict of this module maps straight onto the model's components.

Losses (weights from ``stages.stageN.losses``):

- ``pix``: MSE between the U-Net's prediction and the scheduler's target (noise, or velocity for
  ``v_prediction``), the paper's L_pix (eq. 3).
- ``guid``: L1 between the music encoder's guidance and the frozen guidance encoder's features (eq. 1).
- ``heat``: MSE between the music encoder's heatmaps and SDGPip's, resized to its S×S (§3.2).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from dancegen.models.denoiser import DanceDenoiser
from dancegen.models.layers import frames_to_batch
from dancegen.train.config import LossWeights

COMPONENT_PREFIXES = {
    "denoiser.video_unet.": "unet",
    "denoiser.reference_unet.": "reference_unet",
    "guidance_encoder.": "guidance_encoder",
    "music_encoder.": "music_encoder",
}
"""State-dict prefix of a :class:`StageModule` → the DanceModel attribute it belongs to."""


def select_frames(per_frame: torch.Tensor, frame_ids: torch.Tensor) -> torch.Tensor:
    """(B·F_clip, ...) outputs of whole clips → (B·F, ...) at ``frame_ids (B, F)``, clips kept in order."""
    batch, count = frame_ids.shape
    clip = per_frame.reshape(batch, -1, *per_frame.shape[1:])  # (B, F_clip, ...)
    index = frame_ids.reshape(batch, count, *([1] * (per_frame.ndim - 1))).expand(-1, -1, *per_frame.shape[1:])
    return torch.gather(clip, 1, index).reshape(batch * count, *per_frame.shape[1:])


def maps_to_frames(maps: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """{type: (B, 3, F, H, W)} → {type: (B·F, 3, H, W)}, the guidance encoder's input layout."""
    return {name: frames_to_batch(video) for name, video in maps.items()}


class StageModule(nn.Module):
    """The trainable part of a stage; ``forward(inputs)`` returns the weighted total and each loss.

    Args:
        weights: the stage's loss weights.
        guidance_from: ``"maps"`` (guidance encoder), ``"music"`` (music encoder) or ``"none"``; a frozen
            source's guidance arrives precomputed in ``inputs["guidance"]``.
        denoiser: video + reference U-Net, present when ``weights.pix > 0``.
        guidance_encoder: present when it trains (guidance from maps, stage 0).
        music_encoder: M2PEnc or the simple encoder, present when it trains (stages 1, 3; stage 2 if simple).
    """

    def __init__(
        self,
        weights: LossWeights,
        guidance_from: str,
        denoiser: DanceDenoiser | None = None,
        guidance_encoder: nn.Module | None = None,
        music_encoder: nn.Module | None = None,
    ):
        super().__init__()
        if weights.pix > 0 and denoiser is None:
            raise ValueError("StageModule: losses.pix > 0 needs the denoiser")
        if (weights.guid > 0 or weights.heat > 0) and music_encoder is None:
            raise ValueError("StageModule: losses.guid/heat > 0 need a trainable music encoder")
        self.weights = weights
        self.guidance_from = guidance_from
        self.denoiser = denoiser
        self.guidance_encoder = guidance_encoder
        self.music_encoder = music_encoder

    def forward(self, inputs: Mapping[str, torch.Tensor | dict]) -> dict[str, torch.Tensor]:
        """
        Args (keys of ``inputs``, present when the stage needs them; N = B·F frames):
            features (B, F_clip, D), frame_ids (B, F): music encoder input and the target frames.
            maps {type: (B, 3, F, H, W)}: rendered maps, for a trainable guidance encoder.
            guidance (N, C, h, w): guidance computed outside (frozen source).
            guidance_target (N, C, h, w): the frozen guidance encoder's features (L_guid).
            heatmaps (N, J, S, S): SDGPip heatmaps resized to the music encoder's S (L_heat).
            noisy_latents (B, 4, F, h, w), timesteps (B,), target (B, 4, F, h, w): the diffusion sample.
            image_embeds (B, 1, D), reference_latents (B, 4, h, w): the reference branch.

        Returns ``{"loss": weighted total, "pix"/"guid"/"heat": each active loss, "prediction": the U-Net's
        output (B, 4, F, h, w) detached, "guidance_pred"/"heatmaps_pred": the music encoder's, detached}``.
        """
        w = self.weights
        out: dict[str, torch.Tensor] = {}
        guidance = inputs.get("guidance")
        if self.music_encoder is not None:
            encoded = self.music_encoder(inputs["features"])  # whole clips: (B·F_clip, C, h, w)
            music_guidance = select_frames(encoded.guidance, inputs["frame_ids"])  # (N, C, h, w)
            out["guidance_pred"] = music_guidance.detach()
            if w.guid > 0:
                out["guid"] = F.l1_loss(music_guidance.float(), inputs["guidance_target"].float())
            if w.heat > 0:
                heatmaps = select_frames(encoded.heatmaps, inputs["frame_ids"])  # (N, J, S, S)
                out["heatmaps_pred"] = heatmaps.detach()
                out["heat"] = F.mse_loss(heatmaps.float(), inputs["heatmaps"].float())
            if self.guidance_from == "music":
                guidance = music_guidance
        if self.guidance_encoder is not None and self.guidance_from == "maps":
            guidance = self.guidance_encoder(maps_to_frames(inputs["maps"])).guidance  # (N, C, h, w)
        if w.pix > 0:
            prediction = self.denoiser(
                inputs["noisy_latents"],
                inputs["timesteps"],
                inputs["image_embeds"],
                guidance=guidance,
                reference_latents=inputs.get("reference_latents"),
            ).sample  # (B, 4, F, h, w)
            out["prediction"] = prediction.detach()
            out["pix"] = F.mse_loss(prediction.float(), inputs["target"].float())
        total = sum(getattr(w, name) * out[name] for name in ("pix", "guid", "heat") if name in out)
        out["loss"] = total
        return out
