import numpy as np
import pytest
import torch

from dancegen.errors import ConfigError, ImageError, WeightsError
from dancegen.metrics import (
    frechet_distance,
    frechet_distance_from_stats,
    fvd_metric,
    gaussian_stats,
    i3d_features,
    load_i3d,
    preprocess_videos,
)


def test_a_feature_set_is_at_distance_zero_from_itself():
    features = np.random.default_rng(0).standard_normal((300, 16)) * 3 + 1
    assert abs(frechet_distance(features, features)) < 1e-8


def test_a_shift_adds_its_squared_length():
    features = np.random.default_rng(1).standard_normal((200, 6))
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0, 1.0])
    assert frechet_distance(features, features + shift) == pytest.approx(float(shift @ shift), rel=1e-9)


def test_diagonal_gaussians_match_the_closed_form():
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.standard_normal(5), rng.standard_normal(5)
    var1, var2 = rng.uniform(0.1, 4.0, 5), rng.uniform(0.1, 4.0, 5)
    closed_form = np.sum((mu1 - mu2) ** 2) + np.sum(var1 + var2 - 2 * np.sqrt(var1 * var2))
    value = frechet_distance_from_stats(mu1, np.diag(var1), mu2, np.diag(var2))
    assert value == pytest.approx(closed_form, rel=1e-10)


def test_few_samples_in_many_dimensions_give_the_full_space_distance():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((6, 30)), rng.standard_normal((7, 30)) * 2 + 0.3
    full = frechet_distance_from_stats(*gaussian_stats(a), *gaussian_stats(b))
    assert frechet_distance(a, b) == pytest.approx(full, rel=1e-6)


def test_sampled_gaussians_approach_the_closed_form():
    rng = np.random.default_rng(3)
    std1, std2 = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 1.0])
    a = rng.standard_normal((20000, 3)) * std1
    b = rng.standard_normal((20000, 3)) * std2 + np.array([1.0, 0.0, -1.0])
    closed_form = 2.0 + np.sum(std1**2 + std2**2 - 2 * std1 * std2)
    assert frechet_distance(a, b) == pytest.approx(closed_form, rel=0.05)


def _videos(seed: int, count: int = 5, frames: int = 8, height: int = 32, width: int = 32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (count, 1, height, width, 3))
    drift = rng.integers(-30, 31, (count, frames, 1, 1, 3))
    return np.clip(base + drift, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("convention", ["stylegan-v", "videogpt"])
def test_preprocessing_gives_i3d_input(convention):
    videos = _videos(0, count=2, frames=3, height=36, width=60)
    x = preprocess_videos(videos, convention)
    assert x.shape == (2, 3, 3, 224, 224) and x.dtype == torch.float32
    assert -1.0 <= float(x.min()) and float(x.max()) <= 1.0


def test_conventions_differ_on_non_square_frames(i3d_file):
    videos = _videos(4, count=2, frames=2, height=32, width=64)
    videos[:, :, :, :16] = 0  # left quarter dark: cropped away only by the videogpt centre crop
    model = load_i3d(i3d_file)
    stylegan = i3d_features(model, videos, "stylegan-v")
    videogpt = i3d_features(model, videos, "videogpt")
    assert stylegan.shape == (2, 400) and not np.allclose(stylegan, videogpt)


def test_fvd_end_to_end_with_a_torchscript_stand_in(i3d_file):
    real = _videos(5)
    same = fvd_metric(list(real), list(real), i3d_file, clip_frames=8)
    assert same.available and abs(same.value) < 1e-3
    assert same.details["convention"] == "stylegan-v" and same.details["feature_dim"] == 400
    other = fvd_metric(list(_videos(6) // 2), list(real), i3d_file, convention="videogpt", clip_frames=8)
    assert other.available and other.value > 1.0
    assert other.details["convention"] == "videogpt" and "centre crop" in other.details["preprocess"]


def test_fvd_without_i3d_is_unavailable(tmp_path):
    videos = list(_videos(7, count=2, frames=8))
    result = fvd_metric(videos, videos, None, clip_frames=8)
    assert result.status == "unavailable" and result.value is None
    assert "metrics.i3d_torchscript is not set" in result.reason
    (tmp_path / "i3d.pt").write_bytes(b"not torchscript")
    broken = fvd_metric(videos, videos, str(tmp_path / "i3d.pt"), clip_frames=8)
    assert broken.value is None and "not a TorchScript file" in broken.reason
    with pytest.raises(WeightsError):
        load_i3d(tmp_path / "missing.pt")


def test_bad_video_sets_are_named(i3d_file):
    videos = list(_videos(8, count=2, frames=8))
    with pytest.raises(ImageError, match="at least 2"):
        fvd_metric(videos[:1], videos, i3d_file, clip_frames=8)
    with pytest.raises(ImageError, match="fvd_clip_frames"):
        fvd_metric(videos, videos, i3d_file, clip_frames=16)
    with pytest.raises(ConfigError, match="fvd_convention"):
        fvd_metric(videos, videos, i3d_file, convention="tf-hub", clip_frames=8)
