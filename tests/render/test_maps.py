"""GuidanceRenderer / render_guidance: every map, shapes and dtypes, determinism, image streams, preview."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.body.motion import PosedBody
from dancegen.render import (
    SEMANTIC_COLORS,
    Appearance,
    GuidanceRenderer,
    RenderError,
    colorize_semantic,
    render_guidance,
    visualize,
)


def test_shapes_and_dtypes(renderer, posed, maps):
    n, s, h = len(posed.vertices), renderer.size, renderer.heatmap_size
    expected = {
        "depth": ((n, s, s), np.float32),
        "normal": ((n, s, s, 3), np.float16),
        "semantic": ((n, s, s), np.uint8),
        "skeleton": ((n, s, s, 3), np.uint8),
        "heatmaps": ((n, 24, h, h), np.float16),
        "rgb": ((n, s, s, 3), np.uint8),
        "mask": ((n, s, s), np.bool_),
        "joints2d": ((n, 24, 2), np.float32),
        "keypoints2d": ((n, 20, 2), np.float32),
    }
    for name, (shape, dtype) in expected.items():
        value = getattr(maps, name)
        assert value.shape == shape and value.dtype == dtype, name
    assert np.array_equal(maps.joints2d, renderer.camera.project(posed.joints, s))
    assert maps.semantic.max() <= 24 and maps.mask.any(axis=(1, 2)).all()


def test_same_inputs_give_identical_maps(renderer, posed, maps):
    again = renderer.render(posed, Appearance())
    for name in ("depth", "normal", "semantic", "skeleton", "heatmaps", "rgb", "joints2d"):
        assert np.array_equal(getattr(maps, name), getattr(again, name)), name


def test_reused_buffers_give_the_same_maps(renderer, posed, maps):
    buffers = renderer.allocate(len(posed.vertices))
    renderer.render(PosedBody(posed.vertices[::-1], posed.joints[::-1], posed.faces), Appearance(), out=buffers)
    part = renderer.render(PosedBody(posed.vertices[:3], posed.joints[:3], posed.faces), Appearance(), out=buffers)
    assert len(part) == 3 and np.shares_memory(part.rgb, buffers.rgb)
    for name in ("depth", "normal", "semantic", "skeleton", "heatmaps", "rgb", "mask", "joints2d", "keypoints2d"):
        assert np.array_equal(getattr(part, name), getattr(maps, name)[:3]), name
    with pytest.raises(RenderError, match="allocate"):
        renderer.render(posed, Appearance(), out=renderer.allocate(2))


def test_appearance_changes_only_the_rgb_frame(renderer, posed, maps):
    other = renderer.render(PosedBody(posed.vertices[:1], posed.joints[:1], posed.faces), Appearance(top=(255, 0, 0)))
    assert np.array_equal(other.depth[0], maps.depth[0]) and np.array_equal(other.semantic[0], maps.semantic[0])
    assert not np.array_equal(other.rgb[0], maps.rgb[0])


def test_image_streams_and_preview(maps):
    images = maps.images()
    assert set(images) == {"rgb", "depth", "normal", "semantic", "skeleton"}
    for name, image in images.items():
        assert image.shape == (*maps.depth.shape, 3) and image.dtype == np.uint8, name
    depth = images["depth"][..., 0]
    assert np.array_equal(depth > 0, maps.mask)
    fg = maps.mask[0]
    nearest = np.unravel_index(np.where(fg, maps.depth[0], np.inf).argmin(), fg.shape)
    assert depth[0][nearest] == 255  # near is bright
    assert np.array_equal(images["semantic"], SEMANTIC_COLORS[maps.semantic])
    assert len(np.unique(SEMANTIC_COLORS, axis=0)) == 25
    assert np.array_equal(colorize_semantic(np.array([0, 16])), SEMANTIC_COLORS[[0, 16]])
    u8 = maps.heatmaps_uint8
    assert u8.dtype == np.uint8 and u8.max() >= 200
    assert np.array_equal(u8, np.round(maps.heatmaps.astype(np.float32) * 255).astype(np.uint8))
    preview = visualize(maps, 1)
    assert preview.shape == (maps.depth.shape[1], 6 * maps.depth.shape[2], 3) and preview.dtype == np.uint8


def test_render_guidance_with_openpose_joints(smpl, posed, gl):
    maps = render_guidance(posed, smpl, Appearance(), size=64, heatmap_size=16, joint_set="openpose18")
    assert maps.heatmaps.shape == (len(posed.vertices), 18, 16, 16)
    assert maps.joint_names[0] == "nose"
    again = render_guidance(posed, smpl, Appearance(), size=64, heatmap_size=16, joint_set="openpose18")
    assert np.array_equal(maps.heatmaps, again.heatmaps)


def test_bad_inputs_are_render_errors(renderer, posed, body_mesh):
    with pytest.raises(RenderError, match="joints must be"):
        renderer.render(PosedBody(posed.vertices, posed.joints[:, :10], posed.faces), Appearance())
    with pytest.raises(RenderError, match="heatmap_sigma"):
        GuidanceRenderer(body_mesh, size=32, heatmap_sigma=-1.0)
