import pytest
import torch

from dancegen.models import M2PEnc, ModelInputError, SimpleAudioEncoder


def test_output_matches_m2penc_guidance_and_is_zero_at_init(tiny):
    model = SimpleAudioEncoder(**tiny["simple_audio_encoder"])
    features = torch.randn(2, 3, 35)
    guidance = model(features).guidance
    assert guidance.shape == M2PEnc(**tiny["m2penc"])(features).guidance.shape
    assert torch.count_nonzero(guidance) == 0
    assert not hasattr(model(features), "heatmaps")


def test_frames_are_encoded_independently(tiny, randomize):
    model = randomize(SimpleAudioEncoder(**tiny["simple_audio_encoder"]))
    features = torch.randn(1, 4, 35)
    changed = features.clone()
    changed[:, 0] += 1.0
    delta = (model(changed).guidance - model(features).guidance).abs().amax(dim=(1, 2, 3))
    assert delta[0] > 0
    assert torch.all(delta[1:] == 0), "no temporal mixing in the ablation baseline"


def test_save_load_round_trip(tiny, tmp_path, randomize):
    model = randomize(SimpleAudioEncoder(**tiny["simple_audio_encoder"]))
    features = torch.randn(2, 3, 35)
    model.save_pretrained(tmp_path)
    expected = model(features).guidance
    assert torch.count_nonzero(expected) > 0
    assert torch.allclose(expected, SimpleAudioEncoder.from_pretrained(tmp_path)(features).guidance)


def test_wrong_feature_dim(tiny):
    with pytest.raises(ModelInputError, match="35"):
        SimpleAudioEncoder(**tiny["simple_audio_encoder"])(torch.randn(1, 2, 4800))
