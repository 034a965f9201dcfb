"""One OpenGL pass per frame writes depth, normals, SMPL part labels and the shaded avatar (multiple render targets).

Per frame: upload posed positions and vertex normals (2 × V × 12 bytes); copy the backdrop image into the
colour target and clear the others (0 = background); draw the body once into a framebuffer with four colour
attachments; read each attachment straight into its frame of the preallocated output arrays (``read_into``
at a byte offset: no intermediate copies)::

    attachment 0  R32F     depth, metres along the optical axis (0 = background)
    attachment 1  RGBA16F  camera-space unit normal (xyz; 0 = background), read back as 3 × float16
    attachment 2  R8       part label / 255 → read back as uint8 label (0 = background, 1..24 = SMPL part + 1)
    attachment 3  RGBA8    the avatar in sRGB over the background, read back as 3 × uint8

With ``normals="yuv"`` (SDGPip's video streams) the shader writes the normal *image* instead, the colour
(n + 1) / 2 already in BT.601 limited-range YUV (``dancegen.video.rgb_to_yuv``; background black), to three
R8 planes read straight into a (N, 3, H, W) yuv444p array: no float read-back, no per-pixel conversion on
the CPU. Attachment 1 is then the Y plane and attachments 4, 5 the U and V planes; the avatar is read back as
RGBA (4 × uint8 is GL's copy path; 3 × uint8 costs ~5× more).

The camera's projection flips y, so row 0 of a read-back is the top image row. Back faces are culled (the
body is closed); on Mesa llvmpipe that halves the raster work.
"""

from __future__ import annotations

import moderngl
import numpy as np

from dancegen.render.appearance import PATTERNS, Appearance, render_background, srgb_to_linear
from dancegen.render.body_mesh import HEAD_PART, NUM_PARTS, BodyMesh
from dancegen.render.camera import CameraConfig
from dancegen.render.context import RenderError, gl_context
from dancegen.video import YUV_MATRIX, YUV_OFFSET, rgb_to_yuv

WALL_Z = -3.0  # world z of the background wall (its floor line sets the floor row of the backdrop)
NORMAL_FORMATS = ("float16", "yuv")
# per normal format: output name -> (dtype, per-frame shape; "s" = the render size)
_OUTPUT_LAYOUT = {
    "float16": {
        "depth": (np.float32, ("s", "s")),
        "normal": (np.float16, ("s", "s", 3)),
        "semantic": (np.uint8, ("s", "s")),
        "rgb": (np.uint8, ("s", "s", 3)),
    },
    "yuv": {
        "depth": (np.float32, ("s", "s")),
        "normal": (np.uint8, (3, "s", "s")),
        "semantic": (np.uint8, ("s", "s")),
        "rgb": (np.uint8, ("s", "s", 4)),
    },
}
_BLACK_YUV = rgb_to_yuv([0, 0, 0])  # (16, 128, 128)

_BODY_VS = f"""
#version 330
uniform mat4 u_view_proj;
uniform mat3 u_view_rot;
uniform int u_part_material[{NUM_PARTS}];
in vec3 in_pos;
in vec3 in_normal;
in vec3 in_rest;
in int in_part;
in int in_hair;
out vec3 v_normal;
out vec3 v_rest;
flat out int v_part;
flat out int v_material;
void main() {{
    v_normal = u_view_rot * in_normal;
    v_rest = in_rest;
    v_part = in_part;
    v_material = in_hair != 0 ? 1 : u_part_material[in_part];
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
}}
"""

# Few varyings on purpose (llvmpipe's per-triangle setup cost grows with them): depth comes from
# gl_FragCoord.w = 1 / w_clip = 1 / depth, the view ray from gl_FragCoord.xy and the intrinsics.
_BODY_FS = f"""
#version 330
#define NORMAL_YUV {{normal_yuv}}
uniform mat3 u_normal_yuv;  // BT.601 limited range, applied to (n + 1) / 2 in [0, 1]
uniform vec3 u_normal_yuv_offset;
uniform vec3 u_intrinsics;  // f, cx, cy in pixel-edge coordinates (rows counted from the top)
uniform vec3 u_material_color[5];
uniform vec3 u_pattern_color;
uniform int u_pattern;
uniform vec3 u_light;
uniform vec3 u_eyes[2];
in vec3 v_normal;
in vec3 v_rest;
flat in int v_part;
flat in int v_material;
layout(location = 0) out float out_depth;
layout(location = 2) out float out_part;
layout(location = 3) out vec4 out_color;
#if NORMAL_YUV
layout(location = 1) out float out_normal_y;
layout(location = 4) out float out_normal_u;
layout(location = 5) out float out_normal_v;
#else
layout(location = 1) out vec4 out_normal;
#endif
void main() {{
    vec3 n = normalize(v_normal);
    out_depth = 1.0 / gl_FragCoord.w;
#if NORMAL_YUV
    vec3 yuv = u_normal_yuv * (0.5 * n + 0.5) + u_normal_yuv_offset;  // [0, 1]: stored as round(255 · x)
    out_normal_y = yuv.x;
    out_normal_u = yuv.y;
    out_normal_v = yuv.z;
#else
    out_normal = vec4(n, 0.0);
#endif
    out_part = float(v_part + 1) / 255.0;

    vec3 albedo = u_material_color[v_material];
    if (v_material == 2 && u_pattern == 1) {{  // horizontal stripes, 8 cm period, fixed to the body
        albedo = mix(albedo, u_pattern_color, step(0.5, fract(v_rest.y * 12.5)));
    }} else if (v_material == 2 && u_pattern == 2) {{  // 10 cm checks
        vec3 cell = floor(v_rest * 10.0);
        albedo = mix(albedo, u_pattern_color, mod(cell.x + cell.y + cell.z, 2.0));
    }} else if (v_material == 0 && v_part == {HEAD_PART}) {{  // eyes: dark discs on the face
        float d = min(distance(v_rest, u_eyes[0]), distance(v_rest, u_eyes[1]));
        albedo = mix(vec3(0.01), albedo, smoothstep(0.009, 0.013, d));
    }}
    // Lambert key light + ambient + rim + a little specular; powers by squaring and gamma 2 (sqrt),
    // because pow() is costly on llvmpipe
    vec2 ray = (gl_FragCoord.xy - u_intrinsics.yz) / u_intrinsics.x;
    vec3 to_eye = normalize(vec3(-ray.x, ray.y, 1.0));
    float diffuse = max(dot(n, u_light), 0.0);
    float grazing = 1.0 - max(dot(n, to_eye), 0.0);
    float spec = max(dot(reflect(-u_light, n), to_eye), 0.0);
    spec *= spec;
    spec *= spec;
    spec *= spec;
    vec3 linear = albedo * (0.30 + 0.75 * diffuse + 0.15 * grazing * grazing * grazing) + 0.06 * spec * spec;
    out_color = vec4(sqrt(clamp(linear, 0.0, 1.0)), 1.0);
}}
"""


class BodyRasterizer:
    """Renders a posed body mesh into depth, normal, part-label and avatar-colour images in one pass.

    Args:
        mesh: the static mesh data (faces, parts, rest pose, hair, landmarks).
        size: output side in pixels (square, the camera's centre crop).
        camera: the camera (default: the AIST-like front camera).
        ctx: a moderngl context (default: the process's shared EGL context).
        normals: "float16" (camera-space unit normals) or "yuv" (the normal image as yuv444p planes and the
            avatar as RGBA, for video streams); see :meth:`allocate`.
    """

    def __init__(
        self, mesh: BodyMesh, size: int, camera: CameraConfig | None = None, ctx=None, normals: str = "float16"
    ):
        if not 8 <= size <= 4096:
            raise RenderError(f"render size {size} must lie in [8, 4096] pixels")
        if normals not in NORMAL_FORMATS:
            raise RenderError(f"normals must be one of {NORMAL_FORMATS}, got {normals!r}")
        self.mesh, self.size, self.normals = mesh, int(size), normals
        self.camera = camera or CameraConfig()
        self.ctx = ctx or gl_context()
        ctx = self.ctx
        yuv = normals == "yuv"
        fragment_shader = _BODY_FS.replace("{normal_yuv}", str(int(yuv)))
        self._body = ctx.program(vertex_shader=_BODY_VS, fragment_shader=fragment_shader)
        if yuv:
            self._set("u_normal_yuv", YUV_MATRIX.T)  # GLSL matrices are column-major
            self._set("u_normal_yuv_offset", YUV_OFFSET / 255.0)
        view = self.camera.view_matrix()
        self._set("u_view_proj", (self.camera.projection_matrix(size) @ view).T)
        self._set("u_view_rot", view[:3, :3].T)
        focal, cx, cy = self.camera.edge_intrinsics(size)
        self._set("u_intrinsics", np.array([focal, cx, cy]))
        self._set("u_eyes", mesh.rest_vertices[[mesh.landmarks["right_eye"], mesh.landmarks["left_eye"]]])

        n_vertices = mesh.num_vertices
        static = np.zeros(n_vertices, dtype=[("rest", "f4", 3), ("part", "i4"), ("hair", "i4")])
        static["rest"], static["part"], static["hair"] = mesh.rest_vertices, mesh.vertex_parts, mesh.hair
        self._static = ctx.buffer(static.tobytes())
        self._positions = ctx.buffer(reserve=n_vertices * 12, dynamic=True)
        self._normals = ctx.buffer(reserve=n_vertices * 12, dynamic=True)
        self._indices = ctx.buffer(mesh.faces.astype("i4").tobytes())
        self._vao = ctx.vertex_array(
            self._body,
            [
                (self._positions, "3f", "in_pos"),
                (self._normals, "3f", "in_normal"),
                (self._static, "3f 1i 1i", "in_rest", "in_part", "in_hair"),
            ],
            index_buffer=self._indices,
            index_element_size=4,
        )
        shape = (self.size, self.size)
        depth, part, color = (ctx.texture(shape, c, dtype=t) for c, t in ((1, "f4"), (1, "f1"), (4, "f1")))
        normal = [ctx.texture(shape, 1, dtype="f1") for _ in "yuv"] if yuv else [ctx.texture(shape, 4, dtype="f2")]
        self._targets = [depth, normal[0], part, color, *normal[1:]]
        self._fbo = ctx.framebuffer(color_attachments=self._targets, depth_attachment=ctx.depth_renderbuffer(shape))
        self._color_fbo = ctx.framebuffer(color_attachments=[color])
        # the background value of each target: 0, but the normal image's YUV planes hold black (16, 128, 128)
        zero = [depth, part] if yuv else [depth, normal[0], part]
        self._clears = [(ctx.framebuffer(color_attachments=zero, depth_attachment=self._fbo.depth_attachment), 0)]
        if yuv:
            for target, level in zip(normal, _BLACK_YUV, strict=True):
                self._clears.append((ctx.framebuffer(color_attachments=[target]), int(level)))
        self._backdrop = ctx.texture(shape, 4, dtype="f1")
        self._backdrop_fbo = ctx.framebuffer(color_attachments=[self._backdrop])
        self._appearance: Appearance | None = None

    def _set(self, uniform: str, value: np.ndarray, dtype: str = "f4") -> None:
        self._body[uniform].write(np.ascontiguousarray(value, dtype=dtype).tobytes())

    def _use_appearance(self, appearance: Appearance) -> None:
        """Upload the appearance's uniforms and backdrop (skipped when it is the same object as last time)."""
        if appearance is self._appearance:
            return
        self._set("u_part_material", appearance.part_materials(), dtype="i4")
        self._set("u_material_color", appearance.material_colors())
        self._set("u_pattern_color", srgb_to_linear(np.asarray(appearance.pattern_color) / 255.0))
        self._body["u_pattern"].value = PATTERNS.index(appearance.pattern)
        light = np.asarray(appearance.light, np.float64)
        self._set("u_light", light / np.linalg.norm(light))
        floor_row = float(self.camera.project(np.array([[0.0, 0.0, WALL_Z]]), self.size)[0, 1])
        backdrop = np.full((self.size, self.size, 4), 255, np.uint8)
        backdrop[..., :3] = render_background(appearance, self.size, floor_row)
        self._backdrop.write(backdrop.tobytes())
        self._appearance = appearance

    def _layout(self) -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
        """Output name -> (dtype, per-frame shape) for this rasterizer's normal format."""
        return {
            name: (dtype, tuple(self.size if dim == "s" else dim for dim in shape))
            for name, (dtype, shape) in _OUTPUT_LAYOUT[self.normals].items()
        }

    def allocate(self, frames: int) -> dict[str, np.ndarray]:
        """Empty output arrays for ``frames`` frames (H = W = size). ``normals="float16"``::

            depth (N, H, W) float32 · normal (N, H, W, 3) float16 · semantic (N, H, W) uint8 · rgb (N, H, W, 3) uint8

        ``normals="yuv"``: normal (N, 3, H, W) uint8 yuv444p planes and rgb (N, H, W, 4) uint8 RGBA (alpha 255).
        """
        return {name: np.empty((frames, *shape), dtype) for name, (dtype, shape) in self._layout().items()}

    def _check_out(self, out: dict[str, np.ndarray], frames: int) -> None:
        """GL writes raw bytes at offsets: every array must be C-contiguous with the exact dtype and shape."""
        for name, (dtype, shape) in self._layout().items():
            array = out.get(name)
            good = (
                isinstance(array, np.ndarray)
                and array.dtype == dtype
                and array.shape[1:] == shape
                and len(array) >= frames
                and array.flags.c_contiguous
            )
            if not good:
                raise RenderError(
                    f"out[{name!r}] does not fit {frames} frames of this rasterizer; use allocate({frames})"
                )

    def render_sequence(
        self, vertices: np.ndarray, appearance: Appearance, out: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Render N frames.

        Args:
            vertices: (N, V, 3) float32 posed vertices, world metres.
            appearance: the avatar's look.
            out: arrays from :meth:`allocate` with room for N frames, filled in place (reuse them across
                calls to avoid allocations).

        Returns:
            {"depth": (N, H, W) float32 metres along the optical axis, 0 = background,
            "normal": (N, H, W, 3) float16 camera-space unit normals, 0 = background,
            "semantic": (N, H, W) uint8, 0 = background, 1..24 = SMPL part + 1,
            "rgb": (N, H, W, 3) uint8 the shaded avatar over the background};
            with ``normals="yuv"`` the normal image and the avatar as in :meth:`allocate`.
        """
        vertices = np.asarray(vertices, dtype=np.float32)
        if vertices.ndim != 3 or vertices.shape[1:] != (self.mesh.num_vertices, 3):
            raise RenderError(f"vertices must be (N, {self.mesh.num_vertices}, 3) for this body, got {vertices.shape}")
        if not np.isfinite(vertices).all():
            raise RenderError("vertices contain NaN or inf; check the motion's poses and translations")
        n = len(vertices)
        out = out if out is not None else self.allocate(n)
        self._check_out(out, n)
        self._use_appearance(appearance)

        ctx, fbo = self.ctx, self._fbo
        # The body is a closed surface seen from outside, so back faces are never visible: culling them
        # halves llvmpipe's raster work. The y-flipped projection makes outward (CCW) faces clockwise.
        ctx.enable_only(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        ctx.front_face, ctx.cull_face = "cw", "back"
        pixels = self.size * self.size
        # (output, components, attachment, dtype, bytes per frame, byte offset within the frame)
        if self.normals == "yuv":
            normal = [("normal", 1, a, "f1", 3 * pixels, k * pixels) for k, a in enumerate((1, 4, 5))]
            color = ("rgb", 4, 3, "f1", 4 * pixels, 0)
        else:
            normal, color = [("normal", 3, 1, "f2", 6 * pixels, 0)], ("rgb", 3, 3, "f1", 3 * pixels, 0)
        reads = [("depth", 1, 0, "f4", 4 * pixels, 0), *normal, ("semantic", 1, 2, "f1", pixels, 0), color]
        for i in range(n):
            frame = np.ascontiguousarray(vertices[i])
            self._positions.write(frame)
            self._normals.write(self.mesh.vertex_normals(frame))
            # backdrop into the colour target (a memcpy; first, while nothing is pending), then depth to the
            # far plane and the other targets to their background value
            ctx.copy_framebuffer(self._color_fbo, self._backdrop_fbo)
            for target, level in self._clears:
                target.use()
                target.clear(level / 255.0, level / 255.0, level / 255.0, 0.0, depth=1.0)
            fbo.use()
            self._vao.render(moderngl.TRIANGLES)
            for name, components, attachment, dtype, frame_bytes, offset in reads:
                fbo.read_into(
                    out[name],
                    components=components,
                    attachment=attachment,
                    dtype=dtype,
                    write_offset=i * frame_bytes + offset,
                )
        return out if len(out["depth"]) == n else {k: v[:n] for k, v in out.items()}

    def render(self, vertices: np.ndarray, appearance: Appearance) -> dict[str, np.ndarray]:
        """Render one frame: vertices (V, 3) → the arrays of :meth:`render_sequence` without the N axis."""
        return {k: v[0] for k, v in self.render_sequence(np.asarray(vertices)[None], appearance).items()}
