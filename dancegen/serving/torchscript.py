"""M2PEnc for serving: the forward as a TorchScript trace, so a request runs no per-layer Python.

Why: the Python backend's stub embeds the system's shared ``libpython3.11.so``, which on Debian runs Python code
≈ 1.6× slower than ``/usr/bin/python3.11`` (statically linked), and about half of a small M2PEnc's time per
request is Python (``nn.Module`` calls, diffusers' attention processors). The trace replays the recorded
aten ops from C++, which makes the served forward as fast as in any process (tiny preset, one frame:
≈ 4 ms traced, ≈ 6.5 ms eager in ``python3.11``, ≈ 8 ms eager in the stub).

A trace records one input's ops; M2PEnc's graph does not depend on the batch size B or frame count F (sizes
are read from tensors), but that is checked, not assumed: :func:`traced_m2penc` traces on a
``TRACE_SHAPE`` input and compares the trace with eager ``forward`` on ``CHECK_SHAPES``, raising ConfigError
if they differ. ``torch.jit.trace`` is deprecated in favour of ``torch.compile``/``torch.export``; neither
serves here: ``torch.compile`` recompiles per shape (≈ 1 min each on this CPU) and an exported program's
``module()`` runs its ops from Python again. The ``m2penc`` parameter ``torchscript = 0`` serves eager
``forward`` instead (:func:`eager_m2penc`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import nn

from dancegen.errors import ConfigError
from dancegen.models import M2PEnc

EncoderFn = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""(B, F, D) features → guidance (B·F, C, h, w) and heatmaps (B·F, J, S, S), like ``M2PEnc.forward``."""

TRACE_SHAPE = (2, 3)  # (B, F) of the input the trace records
CHECK_SHAPES = ((1, 1), (3, 2))  # (B, F) where the trace must equal eager forward
RTOL, ATOL = 1e-4, 1e-5


class _TupleOutputs(nn.Module):
    """``encoder`` returning ``(guidance, heatmaps)``: a trace needs tensors out, not a dataclass."""

    def __init__(self, encoder: M2PEnc):
        super().__init__()
        self.encoder = encoder

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(features, return_dict=False)


def eager_m2penc(encoder: M2PEnc) -> EncoderFn:
    """``encoder.forward`` as an :data:`EncoderFn`."""
    return _TupleOutputs(encoder)


def traced_m2penc(encoder: M2PEnc) -> EncoderFn:
    """A TorchScript trace of ``encoder`` (in eval mode, on its device), checked against eager ``forward`` on
    every shape in ``CHECK_SHAPES``; ConfigError naming the mismatch otherwise. Tracing takes ≈ 0.3–1 s."""
    config = encoder.config
    device = next(encoder.parameters()).device
    generator = torch.Generator().manual_seed(0)

    def example(batch: int, frames: int) -> torch.Tensor:  # (B, F, D)
        frames = min(frames, config.max_frames)
        return torch.randn(batch, frames, config.feature_dim, generator=generator).to(device)

    eager = _TupleOutputs(encoder.eval())
    with warnings.catch_warnings(), torch.no_grad():
        # the shape checks in forward are Python branches the trace drops; the comparison below covers them
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.trace", category=DeprecationWarning)
        traced = torch.jit.trace(eager, example(*TRACE_SHAPE), check_trace=False)
    with torch.inference_mode():
        for shape in CHECK_SHAPES:
            features = example(*shape)
            for name, got, want in zip(("guidance", "heatmaps"), traced(features), eager(features), strict=True):
                if got.shape != want.shape or not torch.allclose(got, want, rtol=RTOL, atol=ATOL):
                    raise ConfigError(
                        f"the TorchScript trace of M2PEnc differs from its forward on (B, F) = {shape} ({name}: "
                        f"{tuple(got.shape)} vs {tuple(want.shape)}); serve it eagerly with the m2penc parameter "
                        f"torchscript=0"
                    )
    return traced
