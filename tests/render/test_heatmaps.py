"""Gaussian joint heatmaps peak at the projected joints."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.render import RenderError, joint_heatmaps


def test_peak_and_width_at_full_resolution():
    points = np.array([[[10.0, 20.0], [40.0, 5.0]]], np.float32)  # (1, 2, 2)
    maps = joint_heatmaps(points, 64, 64, sigma=2.0, dtype=np.float32)
    assert maps.shape == (1, 2, 64, 64)
    for j, (x, y) in enumerate(points[0].astype(int)):
        assert np.unravel_index(maps[0, j].argmax(), (64, 64)) == (y, x)
        assert maps[0, j, y, x] == pytest.approx(1.0)
        assert maps[0, j, y, x + 2] == pytest.approx(np.exp(-0.5), rel=1e-5)  # one sigma away


def test_latent_resolution_maps_pixel_centres():
    """A joint at image pixel (4k + 1.5) lands on the centre of heatmap pixel k at 1/4 resolution."""
    points = np.array([[[4 * 3 + 1.5, 4 * 7 + 1.5]]], np.float32)
    maps = joint_heatmaps(points, 64, 16, sigma=1.0)
    assert maps.dtype == np.float16
    assert np.unravel_index(maps[0, 0].argmax(), (16, 16)) == (7, 3)
    assert float(maps[0, 0, 7, 3]) == pytest.approx(1.0, abs=1e-3)


def test_non_finite_joints_give_empty_maps():
    points = np.array([[[np.nan, 3.0], [8.0, 8.0]]], np.float32)
    maps = joint_heatmaps(points, 16, 16, sigma=1.0)
    assert not maps[0, 0].any() and maps[0, 1].max() == 1.0


def test_float16_matches_float32():
    points = np.random.default_rng(0).uniform(-5, 70, (3, 5, 2)).astype(np.float32)
    half = joint_heatmaps(points, 64, 32, sigma=1.5).astype(np.float32)
    full = joint_heatmaps(points, 64, 32, sigma=1.5, dtype=np.float32)
    assert np.abs(half - full).max() < 2e-3


def test_renderer_heatmaps_peak_at_projected_joints(renderer, maps):
    scale = renderer.heatmap_size / renderer.size
    assert maps.heatmaps.shape == (len(maps), 24, renderer.heatmap_size, renderer.heatmap_size)
    for frame in range(len(maps)):
        expected = (maps.joints2d[frame] + 0.5) * scale - 0.5  # (24, 2)
        for j in range(24):
            row, col = np.unravel_index(maps.heatmaps[frame, j].argmax(), maps.heatmaps.shape[2:])
            assert abs(col - expected[j, 0]) <= 0.5 + 1e-3 and abs(row - expected[j, 1]) <= 0.5 + 1e-3


def test_bad_heatmap_arguments():
    with pytest.raises(RenderError, match="sigma"):
        joint_heatmaps(np.zeros((1, 1, 2)), 16, 16, sigma=0.0)
    with pytest.raises(RenderError, match="points2d"):
        joint_heatmaps(np.zeros((1, 2)), 16, 16, sigma=1.0)
