"""2D keypoints of generated frames for 2D-BeatAlign (paper §4.2: "joints computed using DWPose").

Two sources, and the one used is recorded with the score:

- ``"dwpose-onnx"``: the DWPose whole-body model (``dw-ll_ucoco_384.onnx``: input ``(1, 3, 384, 288)``,
  outputs SimCC x ``(1, 133, 576)`` and y ``(1, 133, 768)``) run with onnxruntime from the file configured
  as ``metrics.dwpose_onnx``. Each frame is the person box (generated frames are already cropped to the
  dancer): the box is padded by 1.25, widened to the model's 3:4 aspect, warped to 288×384, normalised with
  the ImageNet mean/std (RGB, 0–255 scale); keypoint = argmax bin / split ratio (2), mapped back through
  the box; confidence = min of the two SimCC maxima (as mmpose decodes). The 17 COCO body joints are kept.
- ``"m2penc-heatmaps"``: argmax of M2PEnc's predicted joint heatmaps ``(F, J, h, w)``, scaled to the frame
  size with pixel centres aligned (``x = (col + 0.5)·W/w − 0.5``).
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from dancegen.errors import MotionError, WeightsError
from dancegen.metrics.inputs import check_frames
from dancegen.metrics.weights import resolve_weights

CONFIG_KEY = "metrics.dwpose_onnx"
SOURCE_DWPOSE = "dwpose-onnx"
SOURCE_HEATMAPS = "m2penc-heatmaps"
BODY_JOINTS = 17  # COCO body keypoints lead DWPose's 133 whole-body points
BOX_PADDING = 1.25
MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)
DEFAULT_INPUT_HW = (384, 288)


def keypoints_from_heatmaps(heatmaps: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """``heatmaps (F, J, h, w)`` → keypoints ``(F, J, 2)`` float64 (x, y) in pixels of ``frame_size (H, W)``."""
    heatmaps = np.asarray(heatmaps)
    if heatmaps.ndim != 4 or min(heatmaps.shape) < 1:
        raise MotionError(f"heatmaps must be (F, J, h, w), got {heatmaps.shape}")
    if not np.all(np.isfinite(heatmaps)):
        raise MotionError("heatmaps contain NaN or inf")
    f, j, h, w = heatmaps.shape
    flat = heatmaps.reshape(f, j, h * w).argmax(axis=-1)
    rows, cols = np.divmod(flat, w)
    height, width = frame_size
    x = (cols + 0.5) * (width / w) - 0.5
    y = (rows + 0.5) * (height / h) - 0.5
    return np.stack([x, y], axis=-1).astype(np.float64)


def _box_affine(height: int, width: int, input_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The (2, 3) frame→model warp for the whole-frame box, and the box (centre x, centre y, w, h)."""
    in_h, in_w = input_hw
    box_w, box_h = width * BOX_PADDING, height * BOX_PADDING
    aspect = in_w / in_h
    if box_w > box_h * aspect:
        box_h = box_w / aspect
    else:
        box_w = box_h * aspect
    cx, cy = width / 2.0, height / 2.0
    sx, sy = in_w / box_w, in_h / box_h
    warp = np.array([[sx, 0.0, (box_w / 2 - cx) * sx], [0.0, sy, (box_h / 2 - cy) * sy]], dtype=np.float64)
    return warp, np.array([cx, cy, box_w, box_h])


class DWPose:
    """DWPose whole-body keypoints from its ONNX file (local path or s3:// URI at ``metrics.dwpose_onnx``)."""

    def __init__(self, path: str | os.PathLike | None) -> None:
        local = resolve_weights(path, CONFIG_KEY, "DWPose ONNX model (dw-ll_ucoco_384.onnx)")
        try:
            import onnxruntime
        except ImportError:
            raise WeightsError(f"{CONFIG_KEY} needs onnxruntime: pip install onnxruntime") from None
        try:
            self.session = onnxruntime.InferenceSession(str(local), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for bad graphs
            raise WeightsError(f"{CONFIG_KEY} = {str(path)!r} is not a loadable ONNX model ({exc})") from None
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        dims = model_input.shape
        static = len(dims) == 4 and all(isinstance(d, int) for d in dims[2:])
        self.input_hw = (int(dims[2]), int(dims[3])) if static else DEFAULT_INPUT_HW
        if len(self.session.get_outputs()) < 2:
            raise WeightsError(f"{CONFIG_KEY}: the model has one output; DWPose gives SimCC x and y outputs")

    def __call__(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``frames (F, H, W, 3)`` uint8 RGB → keypoints ``(F, K, 2)`` float64 pixels and scores ``(F, K)``."""
        frames = check_frames(frames, "video frames", min_size=8)
        in_h, in_w = self.input_hw
        warp, (cx, cy, box_w, box_h) = _box_affine(frames.shape[1], frames.shape[2], self.input_hw)
        keypoints, scores = [], []
        for frame in frames:
            crop = cv2.warpAffine(frame, warp, (in_w, in_h), flags=cv2.INTER_LINEAR)
            x = ((crop.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]  # (1, 3, in_h, in_w)
            simcc_x, simcc_y = self.session.run(None, {self.input_name: np.ascontiguousarray(x)})[:2]
            simcc_x, simcc_y = np.asarray(simcc_x)[0], np.asarray(simcc_y)[0]  # (K, in_w·r), (K, in_h·r)
            if simcc_x.ndim != 2 or simcc_x.shape[0] != simcc_y.shape[0]:
                raise WeightsError(f"{CONFIG_KEY}: outputs {simcc_x.shape}/{simcc_y.shape} are not SimCC (K, bins)")
            ratio_x, ratio_y = simcc_x.shape[1] / in_w, simcc_y.shape[1] / in_h
            px = simcc_x.argmax(axis=1) / ratio_x  # model-input pixels
            py = simcc_y.argmax(axis=1) / ratio_y
            keypoints.append(np.stack([px / in_w * box_w + cx - box_w / 2, py / in_h * box_h + cy - box_h / 2], -1))
            scores.append(np.minimum(simcc_x.max(axis=1), simcc_y.max(axis=1)))
        return np.stack(keypoints).astype(np.float64), np.stack(scores).astype(np.float64)


def extract_keypoints(
    frames: np.ndarray,
    heatmaps: np.ndarray | None = None,
    dwpose_onnx: str | os.PathLike | None = None,
) -> tuple[np.ndarray, str]:
    """Body keypoints ``(F, J, 2)`` of ``frames (F, H, W, 3)`` and the name of their source.

    DWPose when ``dwpose_onnx`` is configured (a configured but missing file is a WeightsError, never a
    silent fallback); otherwise the argmax of M2PEnc's ``heatmaps (F, J, h, w)``.
    """
    frames = check_frames(frames, "video frames")
    if dwpose_onnx:
        keypoints, _ = DWPose(dwpose_onnx)(frames)
        return keypoints[:, :BODY_JOINTS], SOURCE_DWPOSE
    if heatmaps is None:
        raise WeightsError(
            f"{CONFIG_KEY} is not set and no M2PEnc heatmaps were given: set it to the DWPose ONNX file "
            "or pass the heatmaps predicted with the video"
        )
    if len(heatmaps) != len(frames):
        raise MotionError(f"{len(heatmaps)} heatmap frames for {len(frames)} video frames; they must match")
    return keypoints_from_heatmaps(heatmaps, frames.shape[1:3]), SOURCE_HEATMAPS
