import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

import dancegen.metrics.image_quality as image_quality_module
from dancegen.errors import ImageError
from dancegen.metrics import psnr, ssim, ssim_psnr, ssim_psnr_metrics


def _reference_ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array(
        [
            structural_similarity(
                x,
                y,
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
                data_range=255,
                channel_axis=-1,
            )
            for x, y in zip(a, b, strict=True)
        ]
    )


@pytest.mark.parametrize("shape", [(3, 11, 11, 3), (2, 37, 53, 3), (4, 64, 48, 3)])
@pytest.mark.parametrize("noise", [8, 60, 255])
def test_ssim_and_psnr_equal_scikit_image(shape, noise):
    rng = np.random.default_rng(noise + shape[1])
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    if noise == 255:
        b = rng.integers(0, 256, shape, dtype=np.uint8)  # unrelated images
    else:
        b = np.clip(a.astype(int) + rng.integers(-noise, noise + 1, shape), 0, 255).astype(np.uint8)
    ssim_values, psnr_values = ssim_psnr(a, b)
    assert np.abs(ssim_values - _reference_ssim(a, b)).max() < 1e-4
    expected_psnr = [peak_signal_noise_ratio(x, y, data_range=255) for x, y in zip(b, a, strict=True)]
    np.testing.assert_allclose(psnr_values, expected_psnr, rtol=1e-12)
    np.testing.assert_allclose(psnr(a, b), expected_psnr, rtol=1e-12)
    np.testing.assert_array_equal(ssim(a, b), ssim_values)


def test_flat_and_saturated_frames_match_scikit_image():
    a = np.full((2, 20, 24, 3), 250, np.uint8)
    b = np.full((2, 20, 24, 3), 3, np.uint8)
    b[1, 5:15, 5:15] = 255
    assert np.abs(ssim(a, b) - _reference_ssim(a, b)).max() < 1e-4


def test_chunked_batches_give_the_per_frame_values(monkeypatch):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (7, 16, 16, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (7, 16, 16, 3), dtype=np.uint8)
    whole = ssim_psnr(a, b)
    monkeypatch.setattr(image_quality_module, "_CHUNK_ELEMENTS", 2 * 16 * 16 * 3)  # chunks of 2, last of 1
    chunked = ssim_psnr(a, b)
    np.testing.assert_allclose(chunked[0], whole[0], atol=1e-12)
    np.testing.assert_array_equal(chunked[1], whole[1])
    np.testing.assert_allclose(chunked[0], _reference_ssim(a, b), atol=1e-4)


def test_identical_frames_are_perfect():
    a = np.random.default_rng(2).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    ssim_values, psnr_values = ssim_psnr(a, a)
    np.testing.assert_allclose(ssim_values, 1.0, atol=1e-7)
    assert np.all(np.isinf(psnr_values))
    ssim_result, psnr_result = ssim_psnr_metrics(a, a)
    assert ssim_result.name == "ssim" and ssim_result.details["frames"] == 2
    assert psnr_result.value == float("inf") and psnr_result.details["identical_frames"] == 2


def test_image_quality_averages_over_frames():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    ssim_result, psnr_result = ssim_psnr_metrics(a, b)
    assert ssim_result.value == pytest.approx(_reference_ssim(a, b).mean(), abs=1e-4)
    assert psnr_result.value == pytest.approx(psnr(a, b).mean())


@pytest.mark.parametrize(
    "a, b, message",
    [
        (np.zeros((1, 10, 16, 3), np.uint8), np.zeros((1, 10, 16, 3), np.uint8), "at least 11x11"),
        (np.zeros((1, 16, 16, 3), np.uint8), np.zeros((2, 16, 16, 3), np.uint8), "differ in shape"),
        (np.zeros((1, 16, 16, 3), np.float32), np.zeros((1, 16, 16, 3), np.float32), "uint8"),
        (np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16, 3), np.uint8), "(N, H, W, 3)"),
    ],
)
def test_bad_frames_are_named(a, b, message):
    with pytest.raises(ImageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ssim_psnr(a, b)


def test_clip_lists_of_different_sizes_are_averaged_over_all_frames():
    rng = np.random.default_rng(4)
    clips = [rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) for n, h, w in ((2, 16, 16), (3, 24, 20))]
    others = [255 - clip for clip in clips]
    ssim_result, psnr_result = ssim_psnr_metrics(clips, others)
    per_frame = np.concatenate([ssim(a, b) for a, b in zip(clips, others, strict=True)])
    assert ssim_result.details["frames"] == 5 and ssim_result.value == pytest.approx(per_frame.mean())
    with pytest.raises(ImageError, match="same non-zero number"):
        ssim_psnr_metrics(clips, others[:1])
