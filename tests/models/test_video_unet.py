import pytest
import torch
from diffusers import MotionAdapter, UNetMotionModel

from dancegen.models import ModelInputError, VideoUNet


def inputs(tiny, batch=2, frames=3):
    size = tiny["unet"]["sample_size"]
    sample = torch.randn(batch, 4, frames, size, size)  # (B, C, F, h, w)
    context = torch.randn(batch, 1, tiny["unet"]["cross_attention_dim"])  # (B, L, D)
    return sample, torch.tensor([10, 700][:batch]), context


def test_output_shape_and_same_as_diffusers_without_guidance(tiny, tiny_video_unet):
    sample, t, context = inputs(tiny)
    out = tiny_video_unet(sample, t, context).sample
    assert out.shape == sample.shape
    plain = UNetMotionModel.from_config(tiny_video_unet.config)
    plain.load_state_dict(tiny_video_unet.state_dict())
    # diffusers' own forward wants the context repeated per frame, (B·F, L, D)
    expected = plain(sample, t, context.repeat_interleave(sample.shape[2], dim=0)).sample
    assert torch.allclose(out, expected, atol=1e-5)


def test_guidance_is_added_after_conv_in(tiny, tiny_video_unet):
    sample, t, context = inputs(tiny)
    assert torch.count_nonzero(tiny_video_unet.conv_in.weight) > 0
    width, size = tiny["unet"]["block_out_channels"][0], tiny["unet"]["sample_size"]
    guidance = torch.randn(2 * 3, width, size, size)  # (B·F, C0, h, w)
    without = tiny_video_unet(sample, t, context).sample
    with_guidance = tiny_video_unet(sample, t, context, guidance=guidance).sample
    assert (with_guidance - without).abs().max() > 1e-3
    zero = tiny_video_unet(sample, t, context, guidance=torch.zeros_like(guidance)).sample
    assert torch.allclose(zero, without)


def test_freezing_leaves_only_temporal_layers_trainable(tiny_video_unet):
    tiny_video_unet.freeze_unet2d_params()
    trainable = [n for n, p in tiny_video_unet.named_parameters() if p.requires_grad]
    assert trainable and trainable == tiny_video_unet.temporal_parameter_names()
    assert all(".motion_modules." in n for n in trainable)
    assert not tiny_video_unet.conv_in.weight.requires_grad


def test_save_load_round_trip_and_motion_adapter(tiny, tiny_video_unet, tmp_path):
    sample, t, context = inputs(tiny)
    expected = tiny_video_unet(sample, t, context).sample
    tiny_video_unet.save_pretrained(tmp_path / "unet")
    loaded = VideoUNet.from_pretrained(tmp_path / "unet")
    assert type(loaded) is VideoUNet
    assert torch.allclose(expected, loaded(sample, t, context).sample)
    tiny_video_unet.save_motion_modules(str(tmp_path / "motion_adapter"))
    adapter = MotionAdapter.from_pretrained(tmp_path / "motion_adapter")
    fresh = VideoUNet.from_config(tiny_video_unet.config)
    fresh.load_state_dict(
        {k: v for k, v in tiny_video_unet.state_dict().items() if ".motion_modules." not in k}, strict=False
    )
    fresh.load_motion_modules(adapter)
    assert torch.allclose(expected, fresh(sample, t, context).sample)


def test_scalar_timestep_broadcasts(tiny, tiny_video_unet):
    sample, _, context = inputs(tiny)
    a = tiny_video_unet(sample, 50, context).sample
    b = tiny_video_unet(sample, torch.tensor([50, 50]), context).sample
    assert torch.allclose(a, b)


def test_wrong_shapes_are_clear_errors(tiny, tiny_video_unet):
    sample, t, context = inputs(tiny)
    size = tiny["unet"]["sample_size"]
    with pytest.raises(ModelInputError, match="guidance"):
        tiny_video_unet(sample, t, context, guidance=torch.zeros(2, 16, size, size))  # B, not B·F
    with pytest.raises(ModelInputError, match="encoder_hidden_states"):
        tiny_video_unet(sample, t, context.repeat_interleave(3, dim=0))
    with pytest.raises(ModelInputError, match="motion_max_seq_length"):
        tiny_video_unet(torch.randn(1, 4, 17, size, size), 1, context[:1])
    with pytest.raises(ModelInputError, match="divisible"):
        tiny_video_unet(torch.randn(2, 4, 2, 7, 7), t, context)
