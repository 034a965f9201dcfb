"""Evaluation settings (paper §4.2): where the pretrained metric networks live and which conventions to use.

Pretrained networks cannot be downloaded at run time; each is read from a local path or ``s3://`` URI.
A path left unset makes that metric report "unavailable" with the key to set, never a number.

YAML (under the top-level ``metrics:`` key)::

    metrics:
      lpips_weights: /weights/lpips_alex_full.pth   # state dict, lpips-package key layout (see lpips.py)
      i3d_torchscript: s3://models/i3d_torchscript.pt
      dwpose_onnx: /weights/dw-ll_ucoco_384.onnx
      fvd_convention: stylegan-v
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dancegen.config import StrictModel


class MetricsConfig(StrictModel):
    """Every metric setting; unknown keys are errors."""

    lpips_weights: str | None = Field(
        default=None, description="LPIPS state dict (.pth/.pt/.safetensors): backbone + lin layers"
    )
    i3d_torchscript: str | None = Field(default=None, description="I3D Kinetics-400 TorchScript file for FVD")
    dwpose_onnx: str | None = Field(default=None, description="DWPose ONNX (dw-ll_ucoco_384.onnx) for keypoints")
    fvd_convention: Literal["stylegan-v", "videogpt"] = "stylegan-v"
    fvd_clip_frames: int | None = Field(default=16, ge=8, description="frames per clip fed to I3D; None = all")
    beat_align_sigma: float = Field(default=3.0, gt=0, description="BeatAlign Gaussian width, frames")
    beat_align_direction: Literal["motion-to-music", "music-to-motion"] = "motion-to-music"
    beat_align_smooth_sigma: float | None = Field(
        default=None, gt=0, description="Gaussian smoothing of joint speed, frames; None = FACT's raw curve"
    )
    av_align_flow_size: int | None = Field(default=256, ge=32, description="short side for optical flow")
