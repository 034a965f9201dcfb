"""M2PEnc, the Music-to-Pose Encoder (paper §3.2): music features → pose guidance + keypoint heatmaps.

Per-frame music features ``(B, F, D)`` (D = 35 for the EDGE/librosa baseline, 4800 for Jukebox) are
projected by a linear layer to S² values (paper: S = 64, 4096) and reshaped to a one-channel video
``(B, 1, F, S, S)``. Alternating inflated convolutions (per-frame 3×3 convs) and 3-D attention blocks
(spatial self-attention within a frame, then temporal self-attention across frames) process it, and two
heads read the result:

- guidance: ``(B·F, C_guid, h, w)``, the same shape as :class:`~dancegen.models.GuidanceEncoder`'s
  output, so it replaces the rendered-map guidance in front of the U-Net; resampled bilinearly from S×S
  to ``guidance_size`` when the U-Net latent is not S×S (640-px frames → 80×80 latents). Trained with the
  L1 loss of eq. (1) against the guidance encoder's features of SDGPip maps.
- heatmaps: ``(B·F, C_heat, S, S)`` keypoint heatmaps, trained against SDGPip's joint heatmaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from diffusers.utils import BaseOutput
from torch import nn

from dancegen.models.checks import check_channels, check_divisible, check_positive_int, check_tensor
from dancegen.models.layers import InflatedConv3d, SpatioTemporalAttention, frames_to_batch


@dataclass
class M2PEncOutput(BaseOutput):
    """guidance: (B·F, guidance_channels, guidance_size, guidance_size);
    heatmaps: (B·F, heatmap_channels, spatial_size, spatial_size)."""

    guidance: torch.Tensor
    heatmaps: torch.Tensor


class M2PEnc(ModelMixin, ConfigMixin):
    """Music-to-Pose Encoder: ``(B, F, feature_dim)`` → :class:`M2PEncOutput`.

    Config arguments:
        feature_dim (int, default 4800): D, music feature size per frame (35 EDGE baseline, 4800 Jukebox).
        spatial_size (int, default 64): S; features are projected to S² and processed as S×S frames.
        block_out_channels (list[int], default ``[64, 128, 256]``): width of each conv + 3-D attention stage.
        num_attention_heads (int, default 8): heads of every attention block.
        norm_num_groups (int, default 32): GroupNorm groups in the attention blocks.
        max_frames (int, default 128): longest clip (F) the temporal position embedding covers.
        guidance_channels (int, default 320): C_guid, the U-Net's ``block_out_channels[0]``.
        guidance_size (int, default 64): h = w of the guidance output, the U-Net latent size.
        heatmap_channels (int, default 24): C_heat, one heatmap per body joint.
    """

    _supports_gradient_checkpointing = False

    @register_to_config
    def __init__(
        self,
        feature_dim: int = 4800,
        spatial_size: int = 64,
        block_out_channels: tuple[int, ...] = (64, 128, 256),
        num_attention_heads: int = 8,
        norm_num_groups: int = 32,
        max_frames: int = 128,
        guidance_channels: int = 320,
        guidance_size: int = 64,
        heatmap_channels: int = 24,
    ):
        super().__init__()
        name = type(self).__name__
        for key, value in (
            ("feature_dim", feature_dim),
            ("spatial_size", spatial_size),
            ("num_attention_heads", num_attention_heads),
            ("norm_num_groups", norm_num_groups),
            ("max_frames", max_frames),
            ("guidance_channels", guidance_channels),
            ("guidance_size", guidance_size),
            ("heatmap_channels", heatmap_channels),
        ):
            check_positive_int(name, key, value)
        widths = check_channels(name, "block_out_channels", block_out_channels)
        for i, width in enumerate(widths):
            check_divisible(name, f"block_out_channels[{i}]", width, "num_attention_heads", num_attention_heads)
            check_divisible(name, f"block_out_channels[{i}]", width, "norm_num_groups", norm_num_groups)

        self.proj_in = nn.Linear(feature_dim, spatial_size * spatial_size)
        self.convs = nn.ModuleList(
            InflatedConv3d(width_in, width_out, kernel_size=3, padding=1)
            for width_in, width_out in zip((1, *widths[:-1]), widths, strict=True)
        )
        self.attentions = nn.ModuleList(
            SpatioTemporalAttention(width, num_attention_heads, norm_num_groups, max_frames) for width in widths
        )
        self.guidance_head = nn.Conv2d(widths[-1], guidance_channels, kernel_size=3, padding=1)
        self.heatmap_head = nn.Conv2d(widths[-1], heatmap_channels, kernel_size=3, padding=1)

    def forward(self, features: torch.Tensor, return_dict: bool = True) -> M2PEncOutput | tuple:
        """features: (B, F, feature_dim) float, F ≤ max_frames. Returns guidance and heatmaps per frame."""
        cfg = self.config
        check_tensor(type(self).__name__, "features", features, ("B", "F", cfg.feature_dim))
        batch, num_frames, _ = features.shape
        size = cfg.spatial_size
        video = self.proj_in(features)  # (B, F, S²)
        video = video.reshape(batch, num_frames, 1, size, size).permute(0, 2, 1, 3, 4)  # (B, 1, F, S, S)
        for conv, attention in zip(self.convs, self.attentions, strict=True):
            video = F.silu(conv(video))  # (B, C_i, F, S, S)
            video = attention(video)  # spatial then temporal self-attention, residual
        frames = frames_to_batch(video)  # (B·F, C_last, S, S)
        guidance = self.guidance_head(frames)  # (B·F, C_guid, S, S)
        if cfg.guidance_size != size:
            guidance = F.interpolate(guidance, size=(cfg.guidance_size, cfg.guidance_size), mode="bilinear")
        heatmaps = self.heatmap_head(frames)  # (B·F, C_heat, S, S)
        if not return_dict:
            return (guidance, heatmaps)
        return M2PEncOutput(guidance=guidance, heatmaps=heatmaps)
