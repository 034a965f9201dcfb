"""Guidance renders of posed SMPL bodies (paper §3.1): depth, normal, semantic parts, skeleton, joint heatmaps
and the textured-avatar frame, rendered with moderngl on headless EGL."""

from dancegen.render.appearance import MATERIALS, PATTERNS, Appearance, random_appearance, render_background
from dancegen.render.body_mesh import FACE_LANDMARKS, NUM_PARTS, BodyMesh
from dancegen.render.camera import CameraConfig
from dancegen.render.colorize import (
    SEMANTIC_COLORS,
    colorize_semantic,
    depth_image,
    heatmap_image,
    normal_image,
    visualize,
)
from dancegen.render.context import RenderError, gl_context
from dancegen.render.heatmaps import joint_heatmaps
from dancegen.render.maps import GuidanceMaps, GuidanceRenderer, render_guidance
from dancegen.render.rasterizer import BodyRasterizer
from dancegen.render.skeleton import (
    JOINT_SETS,
    KEYPOINT_NAMES,
    LIMBS,
    OPENPOSE18,
    SKELETON_PALETTE,
    SKELETON_POINTS,
    draw_skeleton,
    resolve_joint_set,
)
from dancegen.render.streams import STREAM_FORMATS, GuidanceStreams

__all__ = [
    "FACE_LANDMARKS",
    "JOINT_SETS",
    "KEYPOINT_NAMES",
    "LIMBS",
    "MATERIALS",
    "NUM_PARTS",
    "OPENPOSE18",
    "PATTERNS",
    "SEMANTIC_COLORS",
    "SKELETON_PALETTE",
    "SKELETON_POINTS",
    "STREAM_FORMATS",
    "Appearance",
    "BodyMesh",
    "BodyRasterizer",
    "CameraConfig",
    "GuidanceMaps",
    "GuidanceRenderer",
    "GuidanceStreams",
    "RenderError",
    "colorize_semantic",
    "depth_image",
    "draw_skeleton",
    "gl_context",
    "heatmap_image",
    "joint_heatmaps",
    "normal_image",
    "random_appearance",
    "render_background",
    "render_guidance",
    "resolve_joint_set",
    "visualize",
]
