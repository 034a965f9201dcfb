"""The TorchScript M2PEnc that m2penc serves: equal to eager forward for any batch and length, refused when the
trace depends on the shape it was recorded with (no server)."""

from __future__ import annotations

import pytest
import torch

from dancegen.errors import ConfigError
from dancegen.models import M2PEnc
from dancegen.serving.torchscript import TRACE_SHAPE, eager_m2penc, traced_m2penc


@pytest.mark.parametrize("batch, frames", [(1, 1), (4, 15), (2, 16), (7, 5)])
def test_trace_equals_forward_for_any_batch_and_length(tiny_model, batch, frames):
    encoder = tiny_model.music_encoder
    traced, eager = traced_m2penc(encoder), eager_m2penc(encoder)
    features = torch.randn(batch, frames, encoder.config.feature_dim, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected = encoder(features)
        for got, want in zip(traced(features), (expected.guidance, expected.heatmaps), strict=True):
            assert got.shape == want.shape and got.shape[0] == batch * frames
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
        for got, want in zip(eager(features), (expected.guidance, expected.heatmaps), strict=True):
            assert torch.equal(got, want)


class _LengthBaked(M2PEnc):
    """Scales its outputs by F read as a Python number: a trace keeps the F it was recorded with."""

    def forward(self, features, return_dict=True):
        guidance, heatmaps = super().forward(features, return_dict=False)
        frames = float(features.shape[1])
        return guidance * frames, heatmaps * frames


def test_a_trace_that_depends_on_the_recorded_shape_is_refused(tiny_model):
    baked = _LengthBaked.from_config(tiny_model.music_encoder.config)
    baked.load_state_dict(tiny_model.music_encoder.state_dict())
    with pytest.raises(ConfigError, match=r"trace of M2PEnc differs .* \(B, F\) = .*torchscript=0"):
        traced_m2penc(baked)
    assert TRACE_SHAPE[1] > 1  # else the baked F would equal every checked F of 1
