import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from dancegen.errors import WeightsError
from dancegen.metrics import LPIPS, lpips_distances, lpips_metric

ALEX_LAYOUT = {
    "net.slice1.0.weight": (64, 3, 11, 11),
    "net.slice2.3.weight": (192, 64, 5, 5),
    "net.slice3.6.weight": (384, 192, 3, 3),
    "net.slice4.8.weight": (256, 384, 3, 3),
    "net.slice5.10.weight": (256, 256, 3, 3),
    "lin0.model.1.weight": (1, 64, 1, 1),
    "lin4.model.1.weight": (1, 256, 1, 1),
}


def synthetic_state_dict(net: str = "alex", seed: int = 0) -> dict[str, torch.Tensor]:
    """A random LPIPS state dict in the lpips package's layout, with its duplicate ``lins.K`` keys."""
    torch.manual_seed(seed)
    state = {key: value.clone() for key, value in LPIPS(net).state_dict().items()}
    for k in range(5):
        state[f"lin{k}.model.1.weight"] = state[f"lin{k}.model.1.weight"].abs()  # trained heads are ≥ 0
        state[f"lins.{k}.model.1.weight"] = state[f"lin{k}.model.1.weight"]
    return state


@pytest.fixture
def frames():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (3, 48, 40, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-60, 61, a.shape), 0, 255).astype(np.uint8)
    return a, b


def test_alexnet_layout_keys_and_shapes():
    state = LPIPS("alex").state_dict()
    for key, shape in ALEX_LAYOUT.items():
        assert tuple(state[key].shape) == shape
    assert tuple(state["scaling_layer.shift"].shape) == (1, 3, 1, 1)


def test_loaded_weights_reproduce_the_saved_network(tmp_path, frames):
    state = synthetic_state_dict()
    torch.save(state, tmp_path / "lpips_alex.pth")
    model = LPIPS.from_file(tmp_path / "lpips_alex.pth")
    reference = LPIPS("alex")
    reference.load_state_dict({k: v for k, v in state.items() if not k.startswith("lins.")})
    x0, x1 = (torch.from_numpy(f).permute(0, 3, 1, 2).float() / 127.5 - 1 for f in frames)
    torch.testing.assert_close(model(x0, x1), reference(x0, x1))


def test_identical_frames_score_zero_and_different_frames_score_more(tmp_path, frames):
    torch.save(synthetic_state_dict(), tmp_path / "lpips_alex.pth")
    model = LPIPS.from_file(str(tmp_path / "lpips_alex.pth"))
    a, b = frames
    np.testing.assert_array_equal(lpips_distances(model, a, a), 0.0)
    different = lpips_distances(model, a, b)
    assert different.shape == (3,) and np.all(different > 0)
    result = lpips_metric(a, b, str(tmp_path / "lpips_alex.pth"))
    assert result.available and result.value == pytest.approx(different.mean())
    assert result.details == {"frames": 3, "net": "alex"}


def test_vgg_layout_from_safetensors_is_recognised(tmp_path, frames):
    skip = ("scaling_layer", "lins.")  # both optional; safetensors refuses the shared lins.K duplicates
    state = {k: v for k, v in synthetic_state_dict("vgg").items() if not k.startswith(skip)}
    save_file(state, str(tmp_path / "lpips_vgg.safetensors"))
    model = LPIPS.from_file(tmp_path / "lpips_vgg.safetensors")
    assert model.net_name == "vgg"
    a, b = frames
    assert np.all(lpips_distances(model, a[:1], b[:1]) > 0)


def test_missing_weights_are_reported_unavailable(tmp_path, frames):
    a, b = frames
    unset = lpips_metric(a, b, None)
    assert unset.status == "unavailable" and unset.value is None
    assert "metrics.lpips_weights is not set" in unset.reason
    absent = lpips_metric(a, b, str(tmp_path / "nope.pth"))
    assert absent.value is None and "nope.pth" in absent.reason and "does not exist" in absent.reason


def test_heads_only_file_asks_for_the_backbone(tmp_path):
    heads = {k: v for k, v in synthetic_state_dict().items() if k.startswith("lin")}
    torch.save(heads, tmp_path / "alex.pth")
    with pytest.raises(WeightsError, match="only the linear heads"):
        LPIPS.from_file(tmp_path / "alex.pth")


def test_wrong_shapes_and_unreadable_files_are_weights_errors(tmp_path):
    state = synthetic_state_dict()
    state["lin2.model.1.weight"] = torch.zeros(1, 100, 1, 1)
    state.pop("lins.2.model.1.weight")
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match="lin2.model.1.weight"):
        LPIPS.from_file(tmp_path / "bad.pth")
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot read"):
        LPIPS.from_file(tmp_path / "garbage.pth")
