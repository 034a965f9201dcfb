"""The reference photo: decoded, checked, centre-cropped to a square and resized to the model's frame size.

Accepted inputs: a file path, the encoded file's bytes (PNG, JPEG, … anything OpenCV decodes) or an
``(H, W, 3)`` RGB / ``(H, W)`` grey / ``(H, W, 4)`` RGBA array, ``uint8`` or float in [0, 1]. Photos under
:data:`MIN_SIDE` pixels are refused; a non-square photo is centre-cropped and a very large one
downscaled, each with a warning (never silently).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import torch

from dancegen.errors import ImageError

MIN_SIDE = 32  # smaller photos carry too little of the person to condition on
HUGE_SIDE = 4096  # larger photos are accepted but announced: they are mostly downscaled away

log = logging.getLogger(__name__)


class ReferenceImageWarning(UserWarning):
    """The photo was changed to fit the model (centre-cropped or heavily downscaled)."""


def _decode(data: bytes, what: str) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if image is None:
        raise ImageError(f"{what} is not an image OpenCV can decode; pass a PNG or JPEG photo")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _from_array(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[..., None].repeat(3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ImageError(f"image array must be (H, W, 3) RGB, (H, W) grey or (H, W, 4) RGBA, got {array.shape}")
    array = array[..., :3]
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise ImageError("float image arrays must hold finite values in [0, 1]; scale the photo first")
        return np.round(array * 255).astype(np.uint8)
    raise ImageError(f"image array dtype {array.dtype} is not supported; pass uint8 or float in [0, 1]")


def read_image(image: str | os.PathLike | bytes | np.ndarray) -> np.ndarray:
    """Decode and check a reference photo → (H, W, 3) uint8 RGB with both sides ≥ :data:`MIN_SIDE`."""
    if isinstance(image, bytes | bytearray | memoryview):
        rgb = _decode(bytes(image), "the image bytes")
    elif isinstance(image, str | os.PathLike):
        path = Path(image)
        if not path.is_file():
            raise ImageError(f"image file {path} does not exist or is not a file; pass --image PHOTO (PNG or JPEG)")
        rgb = _decode(path.read_bytes(), f"image file {path}")
    elif isinstance(image, np.ndarray):
        rgb = _from_array(image)
    else:
        raise ImageError(f"image must be a path, encoded bytes or an array, got {type(image).__name__}")
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ImageError(
            f"image is {width}×{height} px; the reference photo must be at least {MIN_SIDE} px on each side"
        )
    return rgb


def fit_square(rgb: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) uint8 → (size, size, 3) uint8: centre-crop to a square, then resize (area down, cubic up).

    A crop and a downscale from more than :data:`HUGE_SIDE` px are announced with ``warnings.warn``.
    """
    height, width = rgb.shape[:2]
    if height != width:
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        warnings.warn(
            f"reference image is {width}×{height}, not square; using its centre {side}×{side} crop "
            f"(crop the photo yourself to choose the region)",
            ReferenceImageWarning,
            stacklevel=3,
        )
        rgb = rgb[top : top + side, left : left + side]
    side = rgb.shape[0]
    if side > HUGE_SIDE:
        warnings.warn(
            f"reference image is huge ({side}×{side}); downscaling it to {size}×{size}",
            ReferenceImageWarning,
            stacklevel=3,
        )
    if side != size:
        log.info("resizing the reference image from %d×%d to the model's %d×%d", side, side, size, size)
        interpolation = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
        rgb = cv2.resize(rgb, (size, size), interpolation=interpolation)
    return np.ascontiguousarray(rgb)


def image_tensor(rgb: np.ndarray) -> torch.Tensor:
    """(S, S, 3) uint8 RGB → (1, 3, S, S) float32 in [-1, 1] (the VAE's input range)."""
    return torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).float().div(127.5).sub(1.0)
