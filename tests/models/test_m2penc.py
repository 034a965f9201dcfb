import pytest
import torch

from dancegen.errors import ConfigError
from dancegen.models import GuidanceEncoder, M2PEnc, M2PEncOutput, ModelInputError


def test_output_shapes(tiny):
    cfg = tiny["m2penc"]
    model = M2PEnc(**cfg)
    out = model(torch.randn(2, 4, cfg["feature_dim"]))  # (B, F, D)
    assert isinstance(out, M2PEncOutput)
    assert out.guidance.shape == (8, cfg["guidance_channels"], cfg["guidance_size"], cfg["guidance_size"])
    assert out.heatmaps.shape == (8, cfg["heatmap_channels"], cfg["spatial_size"], cfg["spatial_size"])


def test_guidance_matches_the_guidance_encoder_shape(tiny):
    music = M2PEnc(**tiny["m2penc"])(torch.randn(1, 3, 35)).guidance
    encoder = GuidanceEncoder(**tiny["guidance_encoder"])
    size = tiny["image_size"]
    maps = {m: torch.zeros(3, 3, size, size) for m in encoder.map_types}
    assert music.shape == encoder(maps).guidance.shape


def test_guidance_resampled_when_latent_differs_from_s(tiny):
    model = M2PEnc(**tiny["m2penc"] | {"spatial_size": 16, "guidance_size": 10})
    out = model(torch.randn(1, 2, 35))
    assert out.guidance.shape[-2:] == (10, 10)
    assert out.heatmaps.shape[-2:] == (16, 16)


def test_frames_interact_through_temporal_attention(tiny):
    model = M2PEnc(**tiny["m2penc"]).eval()
    features = torch.randn(1, 4, 35)
    changed = features.clone()
    changed[:, 0] += 1.0
    delta = (model(changed).guidance - model(features).guidance).abs().amax(dim=(1, 2, 3))  # per frame
    assert delta[3] > 0


def test_save_load_round_trip(tiny, tmp_path):
    model = M2PEnc(**tiny["m2penc"])
    features = torch.randn(2, 3, 35)
    model.save_pretrained(tmp_path)
    loaded = M2PEnc.from_pretrained(tmp_path)
    assert torch.allclose(model(features).guidance, loaded(features).guidance)
    assert torch.allclose(model(features).heatmaps, loaded(features).heatmaps)


def test_wrong_feature_dim_is_a_clear_error(tiny):
    model = M2PEnc(**tiny["m2penc"])
    with pytest.raises(ModelInputError, match=r"\(B, F, 35\).*dim 2 is 34"):
        model(torch.randn(1, 4, 34))
    with pytest.raises(ModelInputError, match=r"4 dims"):
        model(torch.randn(4, 35, 1, 1))


def test_too_many_frames_is_a_clear_error(tiny):
    model = M2PEnc(**tiny["m2penc"] | {"max_frames": 2})
    with pytest.raises(ModelInputError, match="max_frames"):
        model(torch.randn(1, 3, 35))


@pytest.mark.parametrize(
    ("key", "value"),
    [("feature_dim", 0), ("block_out_channels", [8, 6]), ("spatial_size", 1.5), ("heatmap_channels", True)],
)
def test_bad_config_names_key_and_value(tiny, key, value):
    with pytest.raises(ConfigError, match=f"{key}.*{value}|{value}.*{key}"):
        M2PEnc(**tiny["m2penc"] | {key: value})
