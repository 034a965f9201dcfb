"""Tiny seeded model configs and helpers for the model tests (CPU, seconds each)."""

from __future__ import annotations

import pytest
import torch
from diffusers import MotionAdapter, UNet2DConditionModel

from dancegen.models import VideoUNet, model_preset


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def tiny() -> dict:
    """The ``tiny`` model preset (a fresh deep copy per test)."""
    return model_preset("tiny")


@pytest.fixture
def randomize():
    """Fill every parameter of a module with N(0, 0.1²) so zero-initialised layers don't hide differences."""

    def fill(module: torch.nn.Module, seed: int = 1) -> torch.nn.Module:
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for param in module.parameters():
                param.copy_(torch.randn(param.shape, generator=generator) * 0.1)
        return module

    return fill


@pytest.fixture
def tiny_video_unet(tiny) -> VideoUNet:
    """A tiny VideoUNet built the documented way: 2-D U-Net + MotionAdapter through from_unet2d."""
    return VideoUNet.from_unet2d(UNet2DConditionModel(**tiny["unet"]), MotionAdapter(**tiny["motion_adapter"]))
