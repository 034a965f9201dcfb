"""Simple Audio Encoder, the paper's ablation baseline (§4.4, Tables 1–2 "Simple Audio Encoder").

M2PEnc with the "pose density" machinery removed: no 3-D attention, no temporal mixing, no heatmap head
and no stage-1 pretraining. Each frame's music features go through a two-layer MLP to an S×S map, a few
per-frame 3×3 convs and a zero-initialised output conv, giving guidance of the same shape as M2PEnc's and
the guidance encoder's, ``(B·F, C_guid, h, w)``. Because the output conv starts at zero the encoder is a
no-op on a pretrained U-Net, so it can be trained jointly with the U-Net from stage 2 on, as the
ablation does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from diffusers.utils import BaseOutput
from torch import nn

from dancegen.models.checks import check_channels, check_positive_int, check_tensor
from dancegen.models.layers import zero_module


@dataclass
class SimpleAudioEncoderOutput(BaseOutput):
    """guidance: (B·F, guidance_channels, guidance_size, guidance_size)."""

    guidance: torch.Tensor


class SimpleAudioEncoder(ModelMixin, ConfigMixin):
    """Per-frame MLP + convs: ``(B, F, feature_dim)`` → guidance ``(B·F, C_guid, h, w)``.

    Config arguments:
        feature_dim (int, default 4800): D, music feature size per frame.
        hidden_dim (int, default 1024): width of the MLP's hidden layer.
        spatial_size (int, default 64): S; the MLP outputs S² values per frame, read as an S×S map.
        block_out_channels (list[int], default ``[64, 128]``): widths of the per-frame 3×3 convs.
        guidance_channels (int, default 320): C_guid, the U-Net's ``block_out_channels[0]``.
        guidance_size (int, default 64): h = w of the output, the U-Net latent size.
    """

    @register_to_config
    def __init__(
        self,
        feature_dim: int = 4800,
        hidden_dim: int = 1024,
        spatial_size: int = 64,
        block_out_channels: tuple[int, ...] = (64, 128),
        guidance_channels: int = 320,
        guidance_size: int = 64,
    ):
        super().__init__()
        name = type(self).__name__
        for key, value in (
            ("feature_dim", feature_dim),
            ("hidden_dim", hidden_dim),
            ("spatial_size", spatial_size),
            ("guidance_channels", guidance_channels),
            ("guidance_size", guidance_size),
        ):
            check_positive_int(name, key, value)
        widths = check_channels(name, "block_out_channels", block_out_channels)

        self.mlp = nn.Sequential(
            nn.Linear(feature_dim, hidden_dim), nn.SiLU(), nn.Linear(hidden_dim, spatial_size * spatial_size)
        )
        self.convs = nn.ModuleList(
            nn.Conv2d(width_in, width_out, kernel_size=3, padding=1)
            for width_in, width_out in zip((1, *widths[:-1]), widths, strict=True)
        )
        self.conv_out = zero_module(nn.Conv2d(widths[-1], guidance_channels, kernel_size=3, padding=1))

    def forward(self, features: torch.Tensor, return_dict: bool = True) -> SimpleAudioEncoderOutput | tuple:
        """features: (B, F, feature_dim). Returns guidance (B·F, guidance_channels, guidance_size, guidance_size)."""
        cfg = self.config
        check_tensor(type(self).__name__, "features", features, ("B", "F", cfg.feature_dim))
        batch, num_frames, _ = features.shape
        frames = self.mlp(features.reshape(batch * num_frames, -1))  # (B·F, S²)
        frames = frames.reshape(batch * num_frames, 1, cfg.spatial_size, cfg.spatial_size)
        for conv in self.convs:
            frames = F.silu(conv(frames))  # (B·F, C_i, S, S)
        guidance = self.conv_out(frames)  # (B·F, C_guid, S, S)
        if cfg.guidance_size != cfg.spatial_size:
            guidance = F.interpolate(guidance, size=(cfg.guidance_size, cfg.guidance_size), mode="bilinear")
        if not return_dict:
            return (guidance,)
        return SimpleAudioEncoderOutput(guidance=guidance)
