"""GuidanceRenderer.render_streams: the images of GuidanceMaps.images() as encoder-ready YUV, made directly."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.body.motion import PosedBody
from dancegen.render import SEMANTIC_COLORS, SKELETON_PALETTE, STREAM_FORMATS, Appearance, RenderError, draw_skeleton
from dancegen.video import rgb_to_planar


@pytest.fixture(scope="module")
def streams(renderer, posed):
    return renderer.render_streams(posed, Appearance())


def test_streams_are_the_map_images_in_yuv(maps, streams):
    images = maps.images()
    assert set(streams.streams) == set(STREAM_FORMATS) == {"rgb", "depth", "normal"}
    for name, video in streams.streams.items():
        assert video.pix_fmt == STREAM_FORMATS[name] and len(video) == len(maps)
        expected = rgb_to_planar(images[name], video.pix_fmt).frames
        # ±1: rounding (palettes are converted once; the normal image comes from float32, not float16, normals)
        assert np.abs(expected.astype(int) - video.frames).max() <= 1, name
    # the part and skeleton maps are their label images through the palettes, exactly
    assert np.array_equal(SEMANTIC_COLORS[streams.semantic], images["semantic"])
    assert np.array_equal(SKELETON_PALETTE[streams.skeleton], images["skeleton"])


def test_streams_carry_the_maps_arrays(maps, streams):
    assert np.array_equal(streams.rgba[..., :3], maps.rgb) and (streams.rgba[..., 3] == 255).all()
    assert np.array_equal(streams.depth, maps.depth) and np.array_equal(streams.semantic, maps.semantic)
    assert np.array_equal(SKELETON_PALETTE[streams.skeleton], maps.skeleton)
    assert np.array_equal(streams.heatmaps, maps.heatmaps_uint8)
    assert np.array_equal(streams.joints2d, maps.joints2d)


def test_normal_yuv_background_is_black(streams):
    background = streams.semantic == 0  # (N, H, W)
    normal = streams.streams["normal"].frames  # (N, 3, H, W)
    for plane, black in zip(range(3), (16, 128, 128), strict=True):
        assert (normal[:, plane][background] == black).all()


def test_reused_stream_buffers_give_the_same_streams(renderer, posed, streams):
    buffers = renderer.allocate_streams(len(posed.vertices))
    renderer.render_streams(PosedBody(posed.vertices[::-1], posed.joints[::-1], posed.faces), Appearance(), out=buffers)
    part = renderer.render_streams(
        PosedBody(posed.vertices[:2], posed.joints[:2], posed.faces), Appearance(), out=buffers
    )
    assert len(part) == 2 and np.shares_memory(part.rgba, buffers.rgba)
    for name, video in part.streams.items():
        assert np.array_equal(video.frames, streams.streams[name].frames[:2]), name
    with pytest.raises(RenderError, match="allocate_streams"):
        renderer.render_streams(posed, Appearance(), out=renderer.allocate_streams(2))


def test_skeleton_labels_draw_the_palette_image():
    points = np.random.default_rng(0).uniform(-10, 74, (3, 20, 2))
    points[1, 4] = np.nan  # a joint behind the camera takes its limbs with it
    labels = draw_skeleton(points, 64, labels=True)
    assert labels.shape == (3, 64, 64) and labels.max() < len(SKELETON_PALETTE)
    assert np.array_equal(SKELETON_PALETTE[labels], draw_skeleton(points, 64))


def test_unknown_normal_format_is_a_render_error(gl, body_mesh):
    from dancegen.render import BodyRasterizer

    with pytest.raises(RenderError, match="normals must be one of"):
        BodyRasterizer(body_mesh, 32, normals="rgb")
