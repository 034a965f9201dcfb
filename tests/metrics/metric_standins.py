"""Synthetic inputs for the metric tests: moving-square videos, click tracks, and weight-file stand-ins.

The I3D TorchScript and DWPose ONNX files made here are stand-ins with the real files' interfaces (argument
names, input/output shapes and ranges), not the real networks: no pretrained weights can be had offline.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

FPS = 30
SR = 22050


def square_video(jump_frames: list[int], frames: int = 90, size: int = 64) -> np.ndarray:
    """``(frames, size, size, 3)`` uint8: a white square that stands still and jumps 8 px at ``jump_frames``."""
    video = np.zeros((frames, size, size, 3), np.uint8)
    x = 10
    for f in range(frames):
        if f in jump_frames:
            x = x + 8 if x + 8 + 14 < size else 10
        video[f, 24:40, x : x + 14] = 255
    return video


def click_track(click_frames: list[int], frames: int = 90, seed: int = 0) -> np.ndarray:
    """``(T,)`` float32 mono at 22050 Hz: short decaying noise bursts starting at the given video frames."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(int(frames / FPS * SR), np.float32)
    burst = (rng.standard_normal(300) * np.exp(-np.arange(300) / 60)).astype(np.float32)
    for f in click_frames:
        start = int(round(f / FPS * SR))
        audio[start : start + 300] += burst[: len(audio) - start]
    return audio


def keypoints_with_beats(beat_frames: list[int], frames: int, joints: int = 5) -> np.ndarray:
    """``(frames, joints, 2)`` keypoints whose mean joint speed has strict minima exactly at ``beat_frames``."""
    t = np.arange(1, frames)  # speed[t−1] is the motion into frame t
    speed = 3.0 - sum(2.0 * np.exp(-((t - b) ** 2) / 8.0) for b in beat_frames)
    x = np.concatenate([[0.0], np.cumsum(speed)])
    offsets = np.arange(joints) * 7.0
    return np.stack([x[:, None] + offsets[None, :], np.full((frames, joints), 50.0) + offsets], axis=-1)


class StandInI3D(torch.nn.Module):
    """Interface of StyleGAN-V's ``i3d_torchscript.pt`` (x (B,3,T,224,224) in [-1,1] → (B,400)); not I3D."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.proj = torch.nn.Linear(3 * 2 * 4 * 4, 400)

    def forward(
        self, x: torch.Tensor, rescale: bool = True, resize: bool = True, return_features: bool = False
    ) -> torch.Tensor:
        if rescale or resize or not return_features:
            raise RuntimeError("stand-in expects rescale=False, resize=False, return_features=True")
        if x.dim() != 5 or x.shape[1] != 3 or x.shape[3] != 224 or x.shape[4] != 224:
            raise RuntimeError("stand-in expects (B, 3, T, 224, 224)")
        if bool(x.min() < -1.0) or bool(x.max() > 1.0):
            raise RuntimeError("stand-in expects values in [-1, 1]")
        pooled = torch.nn.functional.adaptive_avg_pool3d(x, [2, 4, 4]).flatten(1)
        return self.proj(pooled * 4.0)


def save_dwpose_stand_in(path: Path) -> None:
    """Write an ONNX graph with DWPose's interface whose SimCC peaks at the brightest column/row of the input."""
    import onnx
    from onnx import TensorProto, helper

    joints = 133
    const = [
        helper.make_tensor("axis_last", TensorProto.INT64, [1], [-1]),
        helper.make_tensor("axis_one", TensorProto.INT64, [1], [1]),
        helper.make_tensor("shape_x", TensorProto.INT64, [2], [1, 576]),
        helper.make_tensor("shape_y", TensorProto.INT64, [2], [1, 768]),
        helper.make_tensor("repeats", TensorProto.INT64, [3], [1, joints, 1]),
    ]
    nodes = [helper.make_node("ReduceMean", ["input"], ["gray"], axes=[1], keepdims=0)]  # (1, 384, 288)
    for name, axis, shape in (("x", 1, "shape_x"), ("y", 2, "shape_y")):
        nodes += [
            helper.make_node("ReduceMean", ["gray"], [f"{name}_profile"], axes=[axis], keepdims=0),
            helper.make_node("Unsqueeze", [f"{name}_profile", "axis_last"], [f"{name}_col"]),
            helper.make_node("Concat", [f"{name}_col", f"{name}_col"], [f"{name}_pair"], axis=-1),
            helper.make_node("Reshape", [f"{name}_pair", shape], [f"{name}_bins"]),  # split ratio 2
            helper.make_node("Unsqueeze", [f"{name}_bins", "axis_one"], [f"{name}_one"]),
            helper.make_node("Tile", [f"{name}_one", "repeats"], [f"simcc_{name}"]),
        ]
    graph = helper.make_graph(
        nodes,
        "dwpose_stand_in",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 384, 288])],
        [
            helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, [1, joints, 576]),
            helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, [1, joints, 768]),
        ],
        initializer=const,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def save_i3d_stand_in(path: Path) -> None:
    with warnings.catch_warnings():  # TorchScript is the released file's format
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(StandInI3D()), str(path))
