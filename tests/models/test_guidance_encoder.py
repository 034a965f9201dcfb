import pytest
import torch

from dancegen.errors import ConfigError
from dancegen.models import GUIDANCE_SETUPS, GuidanceEncoder, ModelInputError, guidance_map_types


def maps_for(map_types, n=3, size=64):
    return {m: torch.rand(n, 3, size, size) * 2 - 1 for m in map_types}  # values in [-1, 1]


def test_output_shape_and_exactly_zero_at_init(tiny):
    encoder = GuidanceEncoder(**tiny["guidance_encoder"])
    guidance = encoder(maps_for(encoder.map_types)).guidance
    latent = 64 // 2 ** (len(tiny["guidance_encoder"]["block_out_channels"]) - 1)  # = the U-Net's sample size
    assert latent == tiny["unet"]["sample_size"]
    assert guidance.shape == (3, tiny["guidance_encoder"]["guidance_channels"], latent, latent)  # (B·F, C, h, w)
    assert torch.count_nonzero(guidance) == 0


@pytest.mark.parametrize("setup", ["DNS", "P", "PDNS"])
def test_guidance_setups_build_one_encoder_per_map(tiny, setup, randomize):
    cfg = tiny["guidance_encoder"] | {"map_types": list(guidance_map_types(setup))}
    encoder = randomize(GuidanceEncoder(**cfg))
    assert sorted(encoder.encoders) == sorted(GUIDANCE_SETUPS[setup])
    maps = maps_for(GUIDANCE_SETUPS[setup])
    total = encoder(maps).guidance
    summed = sum(encoder.encoders[m](maps[m]) for m in GUIDANCE_SETUPS[setup])
    assert torch.allclose(total, summed, atol=1e-6)
    with pytest.raises(ModelInputError, match="exactly the keys"):
        encoder(maps_for(["depth", "normal", "semantic", "skeleton"]) if setup != "PDNS" else maps_for(["depth"]))


def test_save_load_round_trip(tiny, tmp_path, randomize):
    encoder = randomize(GuidanceEncoder(**tiny["guidance_encoder"]))
    maps = maps_for(encoder.map_types)
    encoder.save_pretrained(tmp_path)
    loaded = GuidanceEncoder.from_pretrained(tmp_path)
    expected = encoder(maps).guidance
    assert torch.count_nonzero(expected) > 0
    assert torch.allclose(expected, loaded(maps).guidance)
    assert loaded.map_types == encoder.map_types


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("map_types", ["depth", "pose"], "unknown map type"),
        ("map_types", [], "map_types"),
        ("map_types", ["depth", "depth"], "map_types"),
        ("block_out_channels", [8], "block_out_channels"),
        ("num_attention_heads", 3, "num_attention_heads"),
    ],
)
def test_bad_config_names_the_key(tiny, key, value, match):
    with pytest.raises(ConfigError, match=match):
        GuidanceEncoder(**tiny["guidance_encoder"] | {key: value})
    with pytest.raises(ValueError):
        GuidanceEncoder(**tiny["guidance_encoder"] | {key: value})


def test_bad_setup_name():
    with pytest.raises(ConfigError, match="PDN"):
        guidance_map_types("PDN")


def test_wrong_map_shapes_are_clear_errors(tiny):
    encoder = GuidanceEncoder(**tiny["guidance_encoder"])
    factor = 2 ** (len(tiny["guidance_encoder"]["block_out_channels"]) - 1)
    with pytest.raises(ModelInputError, match=f"divisible by {factor}"):
        encoder(maps_for(encoder.map_types, size=64 - factor // 2))
    maps = maps_for(encoder.map_types)
    maps["normal"] = torch.randn(3, 1, 64, 64)
    with pytest.raises(ModelInputError, match="maps\\['normal'\\]"):
        encoder(maps)
