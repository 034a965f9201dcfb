"""Layers shared by the dancegen models: inflated conv, zero-init, spatio-temporal attention.

Video tensors are ``(B, C, F, H, W)`` (batch, channels, frames, height, width); the per-frame layers fold
the frames into the batch, ``(B·F, C, H, W)``, which is also the layout diffusers' video blocks use.
The attention blocks are diffusers' own ``Transformer2DModel`` (spatial self-attention within a frame) and
``TransformerTemporalModel`` (self-attention across frames at each pixel), imported, never copied.
"""

from __future__ import annotations

import torch
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.models.transformers.transformer_temporal import TransformerTemporalModel
from torch import nn

from dancegen.models.checks import ModelInputError, check_tensor


def frames_to_batch(video: torch.Tensor) -> torch.Tensor:
    """(B, C, F, H, W) → (B·F, C, H, W), frames of one clip kept next to each other."""
    b, c, f, h, w = video.shape
    return video.permute(0, 2, 1, 3, 4).reshape(b * f, c, h, w)


def batch_to_frames(frames: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(B·F, C, H, W) → (B, C, F, H, W); inverse of :func:`frames_to_batch`."""
    bf, c, h, w = frames.shape
    return frames.reshape(bf // num_frames, num_frames, c, h, w).permute(0, 2, 1, 3, 4)


def zero_module(module: nn.Module) -> nn.Module:
    """Set every parameter of ``module`` to zero in place and return it (ControlNet/CHAMP output convs)."""
    with torch.no_grad():
        for param in module.parameters():
            param.zero_()
    return module


class InflatedConv3d(nn.Conv2d):
    """A 2-D convolution applied to every frame of a video: (B, C_in, F, H, W) → (B, C_out, F, H', W').

    Its parameters are those of ``nn.Conv2d`` (``weight`` (C_out, C_in, k, k), ``bias`` (C_out,)), so 2-D
    checkpoints load into it unchanged; this is the "inflation" of AnimateDiff / Animate Anyone.
    """

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        check_tensor(type(self).__name__, "video", video, ("B", self.in_channels, "F", "H", "W"))
        return batch_to_frames(super().forward(frames_to_batch(video)), video.shape[2])


class SpatioTemporalAttention(nn.Module):
    """3-D attention: spatial self-attention within each frame, then temporal self-attention across frames.

    Input and output are ``(B, C, F, H, W)``; both stages are residual (diffusers' transformers add their
    input back), so a freshly built block is a perturbation of the identity.

    Args:
        channels: C, the feature channels; must be divisible by ``num_heads`` and ``norm_num_groups``.
        num_heads: attention heads of both stages (head dim = C // num_heads).
        norm_num_groups: groups of the GroupNorm in front of each stage.
        max_frames: longest clip the sinusoidal frame-position embedding of the temporal stage covers.
    """

    def __init__(self, channels: int, num_heads: int, norm_num_groups: int, max_frames: int):
        super().__init__()
        head_dim = channels // num_heads
        self.spatial = Transformer2DModel(
            num_attention_heads=num_heads,
            attention_head_dim=head_dim,
            in_channels=channels,
            norm_num_groups=norm_num_groups,
        )
        self.temporal = TransformerTemporalModel(
            num_attention_heads=num_heads,
            attention_head_dim=head_dim,
            in_channels=channels,
            norm_num_groups=norm_num_groups,
            positional_embeddings="sinusoidal",
            num_positional_embeddings=max_frames,
        )
        self.max_frames = max_frames
        # With B = 1 the temporal stage hands proj_in a non-contiguous (H·W, F, C) view; for a frozen weight
        # torch's matmul then runs H·W tiny batched products instead of one folded one (+8 % on a served
        # 15-frame M2PEnc forward, which has requires_grad off). A contiguous copy restores the single GEMM.
        self.temporal.proj_in.register_forward_pre_hook(_contiguous_input)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        num_frames = video.shape[2]
        if num_frames > self.max_frames:
            raise ModelInputError(
                f"SpatioTemporalAttention: clip has {num_frames} frames but max_frames is {self.max_frames}; "
                f"raise the model's max_frames config key or feed shorter clips"
            )
        frames = frames_to_batch(video)  # (B·F, C, H, W)
        frames = self.spatial(frames, return_dict=False)[0]
        frames = self.temporal(frames, num_frames=num_frames, return_dict=False)[0]
        return batch_to_frames(frames, num_frames)


def _contiguous_input(module: nn.Module, args: tuple) -> tuple:
    """Forward pre-hook: the first input as a contiguous tensor (a no-op when it already is)."""
    return (args[0].contiguous(), *args[1:])
