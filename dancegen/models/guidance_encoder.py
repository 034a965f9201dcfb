"""CHAMP-style multi-map guidance encoder (paper §3.1.2): rendered pose maps → pose-guidance features.

One small convolutional encoder per map type (depth, normal, semantic parts, skeleton image) takes the
full-resolution map, 3 channels in [-1, 1], down to latent resolution (÷8 with four channel stages); a
spatial self-attention block and a zero-initialised output conv follow, and the per-map outputs are
summed. The sum is added to the denoising U-Net's ``conv_in`` output, so ``guidance_channels`` must equal
the U-Net's first block width (320 for SD-1.5). Zero-init makes a new encoder a no-op on a pretrained
U-Net. The paper's guidance setups (Table 3) are map sets: ``DNS``, ``P`` and ``PDNS``
(:data:`GUIDANCE_SETUPS`). The sub-module names follow CHAMP's released encoders so that
:mod:`dancegen.models.champ_weights` maps their checkpoints key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.utils import BaseOutput
from torch import nn

from dancegen.models.checks import (
    ModelConfigError,
    ModelInputError,
    check_channels,
    check_divisible,
    check_positive_int,
    check_tensor,
)
from dancegen.models.layers import zero_module

GUIDANCE_MAP_TYPES = ("depth", "normal", "semantic", "skeleton")
"""Every map type SDGPip renders, in the order the encoders are stored."""

GUIDANCE_SETUPS = {
    "DNS": ("depth", "normal", "semantic"),
    "P": ("skeleton",),
    "PDNS": ("depth", "normal", "semantic", "skeleton"),
}
"""The paper's guidance setups (Table 3): depth-normal-semantic, pose skeleton, and both."""


def guidance_map_types(setup: str) -> tuple[str, ...]:
    """Map types of a guidance setup name: ``"DNS"`` / ``"P"`` / ``"PDNS"`` → tuple of map names."""
    if setup not in GUIDANCE_SETUPS:
        raise ModelConfigError(f"guidance setup {setup!r} is not one of {sorted(GUIDANCE_SETUPS)}")
    return GUIDANCE_SETUPS[setup]


@dataclass
class GuidanceEncoderOutput(BaseOutput):
    """guidance: (N, guidance_channels, H/8, W/8), summed over map types; N = B·F frames."""

    guidance: torch.Tensor


class MapEncoder(nn.Module):
    """One map type's encoder: (N, C_in, H, W) → (N, C_guid, H/2^(S-1), W/2^(S-1)) for S channel stages.

    ``conv_in`` → SiLU → per stage: a 3×3 conv and a stride-2 3×3 conv, each followed by SiLU → spatial
    self-attention at the last width → zero-initialised ``conv_out``.
    """

    def __init__(
        self,
        in_channels: int,
        block_out_channels: tuple[int, ...],
        guidance_channels: int,
        num_attention_heads: int,
        norm_num_groups: int,
    ):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, block_out_channels[0], kernel_size=3, padding=1)
        blocks = []
        for width_in, width_out in zip(block_out_channels[:-1], block_out_channels[1:], strict=True):
            blocks.append(nn.Conv2d(width_in, width_in, kernel_size=3, padding=1))
            blocks.append(nn.Conv2d(width_in, width_out, kernel_size=3, padding=1, stride=2))
        self.blocks = nn.ModuleList(blocks)
        width = block_out_channels[-1]
        self.attention = Transformer2DModel(
            num_attention_heads=num_attention_heads,
            attention_head_dim=width // num_attention_heads,
            in_channels=width,
            norm_num_groups=norm_num_groups,
        )
        self.conv_out = zero_module(nn.Conv2d(width, guidance_channels, kernel_size=3, padding=1))

    def forward(self, guidance_map: torch.Tensor) -> torch.Tensor:
        features = F.silu(self.conv_in(guidance_map))  # (N, c0, H, W)
        for block in self.blocks:
            features = F.silu(block(features))  # halves H, W at every second block
        features = self.attention(features, return_dict=False)[0]  # (N, c_last, h, w)
        return self.conv_out(features)  # (N, C_guid, h, w)


class GuidanceEncoder(ModelMixin, ConfigMixin):
    """Sum of per-map-type encoders: ``{map type: (N, 3, H, W)}`` → guidance ``(N, C_guid, H/8, W/8)``.

    Config arguments:
        map_types (list[str], default ``["depth", "normal", "semantic", "skeleton"]``): which maps are
            encoded, a non-empty subset of :data:`GUIDANCE_MAP_TYPES` without repeats.
        in_channels (int, default 3): channels of each map image (values in [-1, 1]).
        block_out_channels (list[int], default ``[16, 32, 96, 256]``): widths of the channel stages; the
            spatial down-scale factor is ``2 ** (len - 1)``.
        guidance_channels (int, default 320): output channels, the U-Net's ``block_out_channels[0]``.
        num_attention_heads (int, default 8): heads of the attention block at the last width.
        norm_num_groups (int, default 32): GroupNorm groups of the attention block.
    """

    _supports_gradient_checkpointing = False

    @register_to_config
    def __init__(
        self,
        map_types: tuple[str, ...] = GUIDANCE_MAP_TYPES,
        in_channels: int = 3,
        block_out_channels: tuple[int, ...] = (16, 32, 96, 256),
        guidance_channels: int = 320,
        num_attention_heads: int = 8,
        norm_num_groups: int = 32,
    ):
        super().__init__()
        name = type(self).__name__
        if isinstance(map_types, str) or not map_types or len(set(map_types)) != len(map_types):
            raise ModelConfigError(
                f"{name}: config key 'map_types' = {map_types!r} must be a non-empty list of distinct names "
                f"from {list(GUIDANCE_MAP_TYPES)} (setups: {GUIDANCE_SETUPS})"
            )
        unknown = [m for m in map_types if m not in GUIDANCE_MAP_TYPES]
        if unknown:
            raise ModelConfigError(
                f"{name}: config key 'map_types' has unknown map type(s) {unknown}; use {list(GUIDANCE_MAP_TYPES)}"
            )
        check_positive_int(name, "in_channels", in_channels)
        widths = check_channels(name, "block_out_channels", block_out_channels, min_len=2)
        check_positive_int(name, "guidance_channels", guidance_channels)
        check_positive_int(name, "num_attention_heads", num_attention_heads)
        check_positive_int(name, "norm_num_groups", norm_num_groups)
        check_divisible(name, "block_out_channels[-1]", widths[-1], "num_attention_heads", num_attention_heads)
        check_divisible(name, "block_out_channels[-1]", widths[-1], "norm_num_groups", norm_num_groups)

        self.map_types = tuple(map_types)
        self.downscale_factor = 2 ** (len(widths) - 1)
        self.encoders = nn.ModuleDict(
            {
                map_type: MapEncoder(in_channels, widths, guidance_channels, num_attention_heads, norm_num_groups)
                for map_type in self.map_types
            }
        )

    def forward(self, maps: Mapping[str, torch.Tensor], return_dict: bool = True) -> GuidanceEncoderOutput | tuple:
        """maps: ``{map type: (N, in_channels, H, W)}`` with exactly the configured map types, H and W
        divisible by the down-scale factor (8). Returns guidance ``(N, guidance_channels, H/8, W/8)``."""
        name = type(self).__name__
        if not isinstance(maps, Mapping) or set(maps) != set(self.map_types):
            got = sorted(maps) if isinstance(maps, Mapping) else type(maps).__name__
            raise ModelInputError(
                f"{name}: maps must be a dict with exactly the keys {list(self.map_types)} (config 'map_types'), "
                f"got {got}"
            )
        first = check_tensor(name, f"maps[{self.map_types[0]!r}]", maps[self.map_types[0]], ("N", None, "H", "W"))
        n, _, height, width = first.shape
        if height % self.downscale_factor or width % self.downscale_factor:
            raise ModelInputError(
                f"{name}: map size {height}×{width} must be divisible by {self.downscale_factor}; resize the maps"
            )
        guidance = None
        for map_type in self.map_types:
            guidance_map = check_tensor(
                name, f"maps[{map_type!r}]", maps[map_type], (n, self.config.in_channels, height, width)
            )
            encoded = self.encoders[map_type](guidance_map)  # (N, C_guid, h, w)
            guidance = encoded if guidance is None else guidance + encoded
        if not return_dict:
            return (guidance,)
        return GuidanceEncoderOutput(guidance=guidance)
