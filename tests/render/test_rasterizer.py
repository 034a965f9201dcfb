"""BodyRasterizer: one GL pass gives correct linear depth, camera-space normals, part labels and the avatar."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.render import Appearance, BodyMesh, BodyRasterizer, CameraConfig, RenderError, render_background
from dancegen.render.body_mesh import HEAD_PART
from dancegen.render.rasterizer import WALL_Z

TILT = np.radians(40.0)
PLANE_SIZE = 96


def _tilted_plane(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A 1 m square centred at (0, 1, 0), its top tilted away from the camera; faces wound toward the camera."""
    s, t = np.meshgrid(np.linspace(-0.5, 0.5, n), np.linspace(-0.5, 0.5, n))  # t: rows (up), s: columns (x)
    up_away = np.array([0.0, np.cos(TILT), -np.sin(TILT)])
    vertices = np.array([0.0, 1.0, 0.0]) + s.reshape(-1, 1) * [1.0, 0.0, 0.0] + t.reshape(-1, 1) * up_away
    quads = [
        (i * n + j, i * n + j + 1, (i + 1) * n + j + 1, (i + 1) * n + j) for i in range(n - 1) for j in range(n - 1)
    ]
    faces = [tri for a, b, c, d in quads for tri in ((a, b, c), (a, c, d))]
    return vertices.astype(np.float32), np.array(faces, np.int32)


@pytest.fixture(scope="module")
def plane(gl):
    vertices, faces = _tilted_plane()
    mesh = BodyMesh.from_arrays(faces, np.full(len(vertices), HEAD_PART), vertices)
    camera = CameraConfig()
    return vertices, camera, BodyRasterizer(mesh, PLANE_SIZE, camera).render(vertices, Appearance())


def test_plane_depth_is_linear_metres_along_the_axis(plane):
    vertices, camera, out = plane
    normal = camera.view_matrix()[:3, :3] @ np.array([0.0, np.sin(TILT), np.cos(TILT)])
    centre = camera.to_camera(np.array([[0.0, 1.0, 0.0]]))[0]
    k = camera.intrinsics(PLANE_SIZE)
    rows, cols = np.nonzero(out["depth"] > 0)
    rays = np.stack([(cols - k[0, 2]) / k[0, 0], -(rows - k[1, 2]) / k[1, 1], -np.ones(len(rows))], axis=1)
    expected = (centre @ normal) / (rays @ normal)  # ray parameter = depth, since the ray has z = -1
    assert len(rows) > 500
    assert np.allclose(out["depth"][rows, cols], expected, rtol=1e-4)


def test_plane_depth_increases_away_from_the_camera(plane):
    _, _, out = plane
    depth = out["depth"]
    column = depth[:, PLANE_SIZE // 2]
    rows = np.flatnonzero(column > 0)
    assert len(rows) > 20
    assert np.all(np.diff(column[rows]) < 0)  # image rows go down = toward the near edge of the plane


def test_plane_normals_and_labels(plane):
    _, camera, out = plane
    mask = out["semantic"] > 0
    assert np.array_equal(mask, out["depth"] > 0)
    assert set(np.unique(out["semantic"][mask])) == {HEAD_PART + 1}
    expected = camera.view_matrix()[:3, :3] @ np.array([0.0, np.sin(TILT), np.cos(TILT)])
    assert np.allclose(out["normal"][mask].astype(np.float32), expected, atol=2e-3)
    assert not out["normal"][~mask].any()


def test_projection_matches_rasterised_corner(plane):
    vertices, camera, out = plane
    rows, cols = np.nonzero(out["depth"] > 0)
    corners = camera.project(vertices[[0, 11, 132, 143]], PLANE_SIZE)  # the plane's four corners
    assert cols.min() == pytest.approx(corners[:, 0].min(), abs=1.0)
    assert cols.max() == pytest.approx(corners[:, 0].max(), abs=1.0)
    assert rows.min() == pytest.approx(corners[:, 1].min(), abs=1.0)
    assert rows.max() == pytest.approx(corners[:, 1].max(), abs=1.0)


def test_body_known_vertex_lands_where_projected(renderer, posed, maps):
    """The nose vertex (front of the head) is visible: its projected pixel shows the head at its depth."""
    nose = renderer.mesh.landmarks["nose"]
    camera = renderer.camera
    for frame in (0, 1):
        u, v = np.round(camera.project(posed.vertices[frame, nose], renderer.size)).astype(int)
        assert maps.semantic[frame, v, u] == HEAD_PART + 1
        assert maps.depth[frame, v, u] == pytest.approx(camera.depth(posed.vertices[frame, nose]), abs=0.02)


def test_body_maps_are_consistent(renderer, posed, maps):
    camera = renderer.camera
    for frame in range(len(maps)):
        mask = maps.mask[frame]
        depth = maps.depth[frame]
        vertex_depth = camera.depth(posed.vertices[frame])
        assert np.array_equal(mask, depth > 0)
        assert vertex_depth.min() - 1e-3 <= depth[mask].min() and depth[mask].max() <= vertex_depth.max() + 1e-3
        lengths = np.linalg.norm(maps.normal[frame][mask].astype(np.float32), axis=-1)
        assert np.allclose(lengths, 1.0, atol=2e-3)
        assert not maps.normal[frame][~mask].any()
        assert (maps.normal[frame][mask][:, 2] > 0).mean() > 0.97  # visible surfaces face the camera


def test_rest_pose_shows_all_24_parts(maps):
    assert set(np.unique(maps.semantic[0])) == set(range(25))


def test_background_pixels_are_the_backdrop(renderer, maps):
    appearance = Appearance()
    floor_row = float(renderer.camera.project(np.array([[0.0, 0.0, WALL_Z]]), renderer.size)[0, 1])
    backdrop = render_background(appearance, renderer.size, floor_row)
    background = ~maps.mask[0]
    assert np.array_equal(maps.rgb[0][background], backdrop[background])
    assert not np.array_equal(maps.rgb[0][~background], backdrop[~background])


def test_same_inputs_give_identical_output(gl, body_mesh, posed, size):
    first = BodyRasterizer(body_mesh, size).render_sequence(posed.vertices, Appearance())
    first = {k: v.copy() for k, v in first.items()}
    again = BodyRasterizer(body_mesh, size)
    again.render_sequence(posed.vertices[::-1], Appearance(skin=(10, 10, 10)))  # other work in between
    second = again.render_sequence(posed.vertices, Appearance())
    for name in first:
        assert np.array_equal(first[name], second[name]), name


def test_bad_vertices_are_render_errors(gl, body_mesh, posed):
    rasterizer = BodyRasterizer(body_mesh, 32)
    with pytest.raises(RenderError, match="vertices must be"):
        rasterizer.render_sequence(posed.vertices[:, :100], Appearance())
    broken = posed.vertices[:1].copy()
    broken[0, 5, 1] = np.nan
    with pytest.raises(RenderError, match="NaN"):
        rasterizer.render_sequence(broken, Appearance())
    with pytest.raises(RenderError, match="render size"):
        BodyRasterizer(body_mesh, 4)
    out = rasterizer.allocate(2)
    out["rgb"] = out["rgb"][::-1]  # not C-contiguous: GL would write past it
    with pytest.raises(RenderError, match="allocate"):
        rasterizer.render_sequence(posed.vertices[:2], Appearance(), out=out)
