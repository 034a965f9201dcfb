"""LPIPS v0.1 (Zhang et al. 2018): learned perceptual distance between generated and reference frames (§4.2).

The network is built here with ``torch.nn`` (torchvision cannot be installed beside the CPU torch) and its
weights are read from the file configured as ``metrics.lpips_weights``; nothing is downloaded.

Expected file: a torch state dict (``torch.save``; ``.pth``/``.pt``) or a ``.safetensors`` file in the key
layout of the ``lpips`` package's ``LPIPS(net=...).state_dict()``, i.e. backbone and linear heads together::

    scaling_layer.shift (1,3,1,1), scaling_layer.scale (1,3,1,1)      optional; the fixed v0.1 constants
    net.slice1.0.weight (64,3,11,11), net.slice1.0.bias (64,)         AlexNet features[0]
    net.slice2.3.weight (192,64,5,5) …  net.slice5.10.weight (256,256,3,3)   features[3], [6], [8], [10]
    lin0.model.1.weight (1,64,1,1) … lin4.model.1.weight (1,256,1,1)  1×1 heads, no bias

VGG16 uses the same scheme (``net.slice1.0``/``.2``, ``net.slice2.5``/``.7`` … ``net.slice5.28``, heads of
64/128/256/512/512 channels) and is recognised from the first convolution's 3×3 kernel. The duplicate
``lins.K.model.1.weight`` keys that ``lpips`` also saves are accepted. The package's own ``alex.pth`` holds
only the heads; its backbone is torchvision's ImageNet AlexNet (``features.N`` → ``net.sliceK.N``), which
must be merged in before saving.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dancegen.errors import WeightsError
from dancegen.metrics.inputs import check_clip_pairs, check_frame_pair
from dancegen.metrics.report import MetricResult
from dancegen.metrics.weights import resolve_weights

CONFIG_KEY = "metrics.lpips_weights"
# Per-channel shift/scale applied to [-1, 1] RGB inputs (the v0.1 ScalingLayer constants).
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)

# Backbone layers: (features index, kind, args); slices end after each tapped ReLU.
_ALEX = (
    [(0, "conv", (3, 64, 11, 4, 2)), (1, "relu", ())],
    [(2, "pool", (3, 2)), (3, "conv", (64, 192, 5, 1, 2)), (4, "relu", ())],
    [(5, "pool", (3, 2)), (6, "conv", (192, 384, 3, 1, 1)), (7, "relu", ())],
    [(8, "conv", (384, 256, 3, 1, 1)), (9, "relu", ())],
    [(10, "conv", (256, 256, 3, 1, 1)), (11, "relu", ())],
)


def _vgg16_slices() -> tuple[list, ...]:
    blocks = [(3, 64, 2), (64, 128, 2), (128, 256, 3), (256, 512, 3), (512, 512, 3)]
    slices, index = [], 0
    for block, (c_in, c_out, convs) in enumerate(blocks):
        layers = []
        if block:
            layers.append((index, "pool", (2, 2)))
            index += 1
        for i in range(convs):
            layers += [(index, "conv", (c_in if i == 0 else c_out, c_out, 3, 1, 1)), (index + 1, "relu", ())]
            index += 2
        slices.append(layers)
    return tuple(slices)


BACKBONES = {"alex": _ALEX, "vgg": _vgg16_slices()}


def _layer(kind: str, args: tuple) -> nn.Module:
    if kind == "conv":
        c_in, c_out, kernel, stride, padding = args
        return nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding)
    if kind == "pool":
        return nn.MaxPool2d(kernel_size=args[0], stride=args[1])
    return nn.ReLU()


class _Backbone(nn.Module):
    """Five feature slices; ``forward`` returns the five ReLU outputs."""

    def __init__(self, slices: tuple[list, ...]) -> None:
        super().__init__()
        self.slice1, self.slice2, self.slice3, self.slice4, self.slice5 = (
            nn.Sequential(OrderedDict((str(index), _layer(kind, args)) for index, kind, args in layers))
            for layers in slices
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        taps = []
        for block in (self.slice1, self.slice2, self.slice3, self.slice4, self.slice5):
            x = block(x)
            taps.append(x)
        return taps


class _LinearHead(nn.Module):
    """1×1 conv to one channel; index 0 is where lpips keeps its (training-only) dropout."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(OrderedDict([("0", nn.Identity()), ("1", nn.Conv2d(channels, 1, 1, bias=False))]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _ScalingLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale


class LPIPS(nn.Module):
    """LPIPS distance network; ``net`` is "alex" or "vgg". Random weights until loaded."""

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        if net not in BACKBONES:
            raise ValueError(f"LPIPS net must be one of {sorted(BACKBONES)}, got {net!r}")
        self.net_name = net
        self.scaling_layer = _ScalingLayer()
        self.net = _Backbone(BACKBONES[net])
        channels = [[m for m in block if isinstance(m, nn.Conv2d)][-1].out_channels for block in self._slices()]
        self.lin0, self.lin1, self.lin2, self.lin3, self.lin4 = (_LinearHead(c) for c in channels)
        self.eval()

    def _slices(self) -> list[nn.Sequential]:
        return [self.net.slice1, self.net.slice2, self.net.slice3, self.net.slice4, self.net.slice5]

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        """Distances ``(N,)`` of two ``(N, 3, H, W)`` RGB batches in [-1, 1]."""
        feats0 = self.net(self.scaling_layer(x0))
        feats1 = self.net(self.scaling_layer(x1))
        total = torch.zeros(x0.shape[0], dtype=x0.dtype, device=x0.device)
        for f0, f1, head in zip(feats0, feats1, (self.lin0, self.lin1, self.lin2, self.lin3, self.lin4), strict=True):
            f0 = f0 / (f0.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10)  # unit length over channels
            f1 = f1 / (f1.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10)
            total = total + head((f0 - f1) ** 2).mean(dim=(1, 2, 3))
        return total

    @classmethod
    def from_state_dict(cls, state: Mapping[str, torch.Tensor], source: str = "state dict") -> LPIPS:
        """Build the network whose backbone matches ``state`` and load it; WeightsError on a bad layout."""
        state = _canonical_keys(state)
        first = state.get("net.slice1.0.weight")
        if first is None:
            has_heads = any(key.startswith("lin0.") for key in state)
            hint = (
                "it holds only the linear heads; merge the backbone (torchvision features.N → net.sliceK.N) in"
                if has_heads
                else "expected lpips keys such as net.slice1.0.weight and lin0.model.1.weight"
            )
            raise WeightsError(f"{CONFIG_KEY}: {source} has no backbone weights: {hint}")
        model = cls("alex" if tuple(first.shape[-2:]) == (11, 11) else "vgg")
        expected = model.state_dict()
        for key in ("scaling_layer.shift", "scaling_layer.scale"):
            state.setdefault(key, expected[key])
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        if missing or unexpected:
            raise WeightsError(
                f"{CONFIG_KEY}: {source} does not match the lpips {model.net_name} layout: "
                f"missing {missing[:3]}, unexpected {unexpected[:3]}"
            )
        for key, value in expected.items():
            if tuple(state[key].shape) != tuple(value.shape):
                raise WeightsError(
                    f"{CONFIG_KEY}: {source} key {key} has shape {tuple(state[key].shape)}, "
                    f"expected {tuple(value.shape)}"
                )
        model.load_state_dict({key: state[key].float() for key in expected})
        return model

    @classmethod
    def from_file(cls, path: str | os.PathLike | None) -> LPIPS:
        """Load from a local path or s3:// URI (``metrics.lpips_weights``); WeightsError if unusable."""
        local = resolve_weights(path, CONFIG_KEY, "LPIPS state dict (backbone + lin layers)")
        return cls.from_state_dict(_read_state_dict(local), source=str(path))


def _canonical_keys(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map the ``lins.K.…`` duplicates that lpips saves onto ``linK.…`` (an explicit ``linK`` key wins)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.startswith("lins.") and key.count(".") >= 2:
            _, index, rest = key.split(".", 2)
            out.setdefault(f"lin{index}.{rest}", value)
        else:
            out[key] = value
    return out


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable file is the same user problem
        raise WeightsError(f"{CONFIG_KEY}: cannot read {path} as a state dict ({type(exc).__name__})") from None
    if isinstance(state, Mapping) and "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{CONFIG_KEY}: {path} is not a mapping of tensor names to tensors")
    return dict(state)


def frames_to_unit_range(frames: np.ndarray) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 → ``(N, 3, H, W)`` float32 in [-1, 1]."""
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


@torch.no_grad()
def lpips_distances(model: LPIPS, generated: np.ndarray, reference: np.ndarray, batch_size: int = 8) -> np.ndarray:
    """Per-frame LPIPS ``(N,)`` float64 of ``(N, H, W, 3)`` uint8 frame pairs (H, W ≥ 32)."""
    generated, reference = check_frame_pair(generated, reference, min_size=32)
    out = []
    for start in range(0, len(generated), batch_size):
        x0 = frames_to_unit_range(generated[start : start + batch_size])
        x1 = frames_to_unit_range(reference[start : start + batch_size])
        out.append(model(x0, x1).double().numpy())
    return np.concatenate(out)


def lpips_metric(
    generated: np.ndarray | Sequence[np.ndarray],
    reference: np.ndarray | Sequence[np.ndarray],
    weights: str | os.PathLike | None,
) -> MetricResult:
    """Mean LPIPS over all frames of one ``(N, H, W, 3)`` pair or of paired clip lists, or "unavailable"
    naming ``metrics.lpips_weights`` when the weights cannot be loaded."""
    pairs = check_clip_pairs(generated, reference, min_size=32)
    try:
        model = LPIPS.from_file(weights)
    except WeightsError as exc:
        return MetricResult.unavailable("lpips", str(exc))
    values = np.concatenate([lpips_distances(model, g, r) for g, r in pairs])
    return MetricResult.ok("lpips", float(values.mean()), frames=int(len(values)), net=model.net_name)
