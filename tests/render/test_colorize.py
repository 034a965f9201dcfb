"""Map → uint8 image conversions used by the SDGPip video streams and previews."""

from __future__ import annotations

import numpy as np

from dancegen.render import SEMANTIC_COLORS, colorize_semantic, depth_image, heatmap_image, normal_image


def test_normal_image_matches_the_formula_for_float16_and_float32():
    rng = np.random.default_rng(0)
    normal = rng.normal(size=(2, 16, 16, 3))
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    normal[:, :4] = 0.0  # background
    normal[:, 4:6, :, 0] = 0.0  # a zero component on the foreground stays foreground
    for values in (normal.astype(np.float32), normal.astype(np.float16)):
        expected = np.round((values.astype(np.float64) + 1.0) * 127.5).astype(np.uint8)
        expected[:, :4] = 0
        assert np.array_equal(normal_image(values), expected), values.dtype


def test_depth_image_spans_near_bright_to_far_dim():
    depth = np.zeros((8, 8), np.float32)
    depth[2:6, 2:6] = np.linspace(3.0, 4.0, 16).reshape(4, 4)
    image = depth_image(depth)
    assert image.shape == (8, 8, 3) and (image[..., 0] == image[..., 2]).all()
    assert image[2, 2, 0] == 255 and image[5, 5, 0] == 55 and not image[0].any()
    assert np.all(np.diff(image[2:6, 2:6, 0].reshape(-1).astype(int)) <= 0)
    assert not depth_image(np.zeros((2, 4, 4), np.float32)).any()


def test_semantic_and_heatmap_images():
    labels = np.array([[0, 1], [24, 16]], np.uint8)
    assert np.array_equal(colorize_semantic(labels), SEMANTIC_COLORS[labels])
    assert not colorize_semantic(labels)[0, 0].any()
    heat = np.zeros((2, 4, 4), np.float16)
    heat[1, 2, 1] = 1.0
    image = heatmap_image(heat, 8)
    assert image.shape == (8, 8, 3) and image.dtype == np.uint8 and image.max() > image[0, 7].max()
