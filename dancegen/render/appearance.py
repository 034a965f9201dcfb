"""How the textured avatar looks: skin, hair, clothing per SMPL part, a clothing pattern and the background.

The avatar's RGB frame stands in for AIST's C09 video frame when no video exists (always, offline). Colours
are sRGB uint8 triples. Each SMPL part is dressed in one of five materials (skin, hair, top, bottom,
shoes); sleeve and trouser length decide which limb parts are skin. The background is a wall with a
vertical gradient above a floor (the floor line comes from the camera), or a given image.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field

import cv2
import numpy as np

from dancegen.render.context import RenderError

RGB = tuple[int, int, int]
MATERIALS = ("skin", "hair", "top", "bottom", "shoes")
PATTERNS = ("plain", "stripes", "checks")
SLEEVES = ("none", "short", "long")
LEGS = ("shorts", "long")

# SMPL part → material; limb parts that depend on sleeve/leg length are patched in part_materials().
_BASE_PART_MATERIAL = (
    "bottom", "bottom", "bottom", "top", "bottom", "bottom",  # pelvis, l/r hip (thighs), spine1, l/r knee (shins)
    "top", "shoes", "shoes", "top", "shoes", "shoes",  # spine2, l/r ankle, spine3, l/r foot
    "skin", "top", "top", "skin", "top", "top",  # neck, l/r collar, head, l/r shoulder (upper arms)
    "top", "top", "skin", "skin", "skin", "skin",  # l/r elbow (forearms), l/r wrist, l/r hand
)  # fmt: skip
_UPPER_ARMS, _FOREARMS, _SHINS = (16, 17), (18, 19), (4, 5)

_SKIN_TONES = ((255, 224, 196), (241, 194, 160), (224, 172, 135), (198, 134, 96),
               (161, 102, 66), (125, 78, 48), (92, 58, 38), (62, 40, 28))  # fmt: skip
_HAIR_COLOURS = ((20, 17, 15), (59, 42, 30), (106, 78, 52), (183, 148, 96), (145, 70, 40), (170, 170, 170))


@dataclass(frozen=True)
class Appearance:
    """One avatar's look (sRGB uint8 colours).

    Attributes:
        skin, hair, top, bottom, shoes: material colours.
        pattern: top garment pattern, one of PATTERNS; pattern_color: its second colour.
        sleeves: one of SLEEVES ("none" = bare upper arms); legs: one of LEGS.
        wall, floor: background colours (wall gradient darkens toward the floor line).
        light: camera-space direction toward the key light (unit after normalising).
        background_image: optional (H, W, 3) uint8 replacing wall and floor (centre-cropped and resized to
            the render size).
    """

    skin: RGB = (224, 172, 135)
    hair: RGB = (59, 42, 30)
    top: RGB = (40, 90, 170)
    bottom: RGB = (50, 50, 60)
    shoes: RGB = (240, 240, 240)
    pattern: str = "plain"
    pattern_color: RGB = (230, 230, 230)
    sleeves: str = "short"
    legs: str = "long"
    wall: RGB = (200, 205, 215)
    floor: RGB = (120, 110, 100)
    light: tuple[float, float, float] = (-0.4, 0.6, 0.7)
    background_image: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("skin", "hair", "top", "bottom", "shoes", "pattern_color", "wall", "floor"):
            value = getattr(self, name)
            if len(value) != 3 or any(not 0 <= int(c) <= 255 for c in value):
                raise RenderError(f"appearance {name}={value!r} must be an RGB triple of ints in [0, 255]")
        for name, value, allowed in (("pattern", self.pattern, PATTERNS), ("sleeves", self.sleeves, SLEEVES),
                                     ("legs", self.legs, LEGS)):  # fmt: skip
            if value not in allowed:
                raise RenderError(f"appearance {name}={value!r} is not one of {allowed}")
        if np.linalg.norm(self.light) < 1e-6:
            raise RenderError("appearance light direction must be non-zero")
        image = self.background_image
        if image is not None and (image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8):
            raise RenderError(
                f"background_image must be (H, W, 3) uint8, got {image.shape} {image.dtype}; "
                "convert it with np.asarray(PIL.Image.open(path).convert('RGB'))"
            )

    def part_materials(self) -> np.ndarray:
        """(24,) int32 material index (into MATERIALS) of each SMPL part."""
        names = list(_BASE_PART_MATERIAL)
        if self.sleeves == "none":
            for part in _UPPER_ARMS:
                names[part] = "skin"
        if self.sleeves != "long":
            for part in _FOREARMS:
                names[part] = "skin"
        if self.legs == "shorts":
            for part in _SHINS:
                names[part] = "skin"
        return np.array([MATERIALS.index(n) for n in names], np.int32)

    def material_colors(self) -> np.ndarray:
        """(5, 3) float32 linear-light RGB in [0, 1] of MATERIALS (shading happens in linear light)."""
        return srgb_to_linear(np.array([getattr(self, name) for name in MATERIALS], np.float32) / 255.0)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB in [0, 1] → linear light (float32), gamma-2 approximation (the shader encodes with sqrt)."""
    rgb = np.asarray(rgb, np.float32)
    return rgb * rgb


def render_background(appearance: Appearance, size: int, floor_row: float) -> np.ndarray:
    """(size, size, 3) uint8 background: the image if given, else a wall gradient over a floor.

    ``floor_row`` is the image row of the wall/floor line (may lie outside the image).
    """
    if appearance.background_image is not None:
        image = appearance.background_image
        side = min(image.shape[:2])
        top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
        square = image[top : top + side, left : left + side]
        return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
    rows = np.arange(size, dtype=np.float32)[:, None]  # (size, 1)
    wall = np.asarray(appearance.wall, np.float32)
    floor = np.asarray(appearance.floor, np.float32)
    wall_t = np.clip(rows / max(floor_row, 1.0), 0.0, 1.0)  # 0 at the top → 1 at the floor line
    floor_t = np.clip((rows - floor_row) / max(size - floor_row, 1.0), 0.0, 1.0)  # 0 at the line → 1 at the bottom
    wall_rgb = wall * (1.05 - 0.25 * wall_t)  # lit from above
    floor_rgb = floor * (0.8 + 0.3 * floor_t)  # brighter toward the camera
    column = np.where(rows < floor_row, wall_rgb, floor_rgb)  # (size, 3)
    return np.broadcast_to(np.clip(column, 0, 255).astype(np.uint8)[:, None, :], (size, size, 3)).copy()


def _random_color(rng: np.random.Generator, sat: tuple[float, float], val: tuple[float, float]) -> RGB:
    h, s, v = rng.uniform(0, 1), rng.uniform(*sat), rng.uniform(*val)
    return tuple(int(round(c * 255)) for c in colorsys.hsv_to_rgb(h, s, v))


def _jitter(rng: np.random.Generator, rgb: RGB, amount: int) -> RGB:
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in rgb)


def random_appearance(rng: np.random.Generator) -> Appearance:
    """A random avatar look; the same generator state gives the same look."""
    skin = _jitter(rng, _SKIN_TONES[rng.integers(len(_SKIN_TONES))], 8)
    hair = _jitter(rng, _HAIR_COLOURS[rng.integers(len(_HAIR_COLOURS))], 10)
    top = _random_color(rng, (0.2, 0.9), (0.25, 0.95))
    bottom = _random_color(rng, (0.1, 0.7), (0.15, 0.8))
    shoes = _random_color(rng, (0.0, 0.5), (0.1, 1.0))
    pattern = str(rng.choice(PATTERNS, p=(0.5, 0.25, 0.25)))
    pattern_color = _random_color(rng, (0.0, 0.9), (0.3, 1.0))
    sleeves, legs = str(rng.choice(SLEEVES)), str(rng.choice(LEGS))
    wall = _random_color(rng, (0.0, 0.25), (0.45, 0.95))
    floor = _random_color(rng, (0.05, 0.4), (0.2, 0.6))
    light = (float(rng.uniform(-0.7, 0.7)), float(rng.uniform(0.3, 0.9)), float(rng.uniform(0.5, 1.0)))
    return Appearance(skin, hair, top, bottom, shoes, pattern, pattern_color, sleeves, legs, wall, floor, light)
