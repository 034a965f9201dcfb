import pytest
import torch

from dancegen.models import InflatedConv3d, ModelInputError, SpatioTemporalAttention, zero_module


def test_inflated_conv_is_the_2d_conv_on_every_frame():
    conv = InflatedConv3d(3, 8, kernel_size=3, padding=1, stride=2)
    video = torch.randn(2, 3, 4, 16, 16)  # (B, C, F, H, W)
    out = conv(video)
    assert out.shape == (2, 8, 4, 8, 8)
    frame2 = torch.nn.functional.conv2d(video[:, :, 2], conv.weight, conv.bias, stride=2, padding=1)
    assert torch.allclose(out[:, :, 2], frame2, atol=1e-6)


def test_inflated_conv_loads_a_2d_state_dict():
    conv2d = torch.nn.Conv2d(3, 8, 3)
    conv = InflatedConv3d(3, 8, 3)
    conv.load_state_dict(conv2d.state_dict(), strict=True)
    assert torch.equal(conv.weight, conv2d.weight)


def test_inflated_conv_rejects_wrong_channels():
    with pytest.raises(ModelInputError, match="dim 1 is 4, expected 3"):
        InflatedConv3d(3, 8, 3)(torch.randn(1, 4, 2, 8, 8))


def test_zero_module_zeroes_every_parameter():
    layer = zero_module(torch.nn.Linear(4, 4))
    assert all(torch.count_nonzero(p) == 0 for p in layer.parameters())


def test_spatio_temporal_attention_mixes_frames_and_keeps_shape():
    block = SpatioTemporalAttention(channels=16, num_heads=2, norm_num_groups=4, max_frames=8).eval()
    video = torch.randn(1, 16, 4, 6, 6)
    out = block(video)
    assert out.shape == video.shape
    changed = video.clone()
    changed[:, :, 0] += 1.0  # touch frame 0 only
    delta = (block(changed) - out).abs().amax(dim=(0, 1, 3, 4))  # per frame
    assert delta[3] > 1e-4, "temporal attention must carry frame 0 into frame 3"


def test_spatio_temporal_attention_rejects_too_many_frames():
    block = SpatioTemporalAttention(channels=8, num_heads=2, norm_num_groups=4, max_frames=2)
    with pytest.raises(ModelInputError, match="max_frames"):
        block(torch.randn(1, 8, 3, 4, 4))


def test_temporal_projection_of_a_single_frozen_clip_is_one_matrix_product():
    block = SpatioTemporalAttention(channels=8, num_heads=2, norm_num_groups=4, max_frames=8).eval()
    block.requires_grad_(False)  # as served: frozen weights, B = 1
    video = torch.randn(1, 8, 5, 6, 6)
    with torch.inference_mode(), torch.profiler.profile() as profile:
        out = block(video)
    batched = [event for event in profile.events() if event.name == "aten::bmm"]
    assert not batched, "proj_in must not fall back to one tiny product per pixel"
    unhooked = SpatioTemporalAttention(channels=8, num_heads=2, norm_num_groups=4, max_frames=8).eval()
    unhooked.load_state_dict(block.state_dict())
    unhooked.temporal.proj_in._forward_pre_hooks.clear()
    with torch.inference_mode():
        assert torch.allclose(unhooked(video), out, atol=1e-6)  # the same numbers, one GEMM
