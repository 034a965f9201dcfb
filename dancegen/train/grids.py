"""Sample grids written during training: one row per sample, one labelled column per image.

Diffusion stages show ``reference | maps… | generated | target``, where *generated* is the one-step estimate
of the clean frame from the U-Net's prediction at the sampled timestep, decoded by the VAE (cheap: no
sampling loop). Stage 1 shows ``maps… | heatmaps (predicted) | heatmaps (SDGPip) | guidance (predicted) |
guidance (target)``, heatmaps as the maximum over joints and guidance as the mean absolute feature. Only the
first frame of each sample is shown.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

LABEL_HEIGHT = 14


def to_rgb(images: torch.Tensor, size: int) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] → (B, size, size, 3) uint8."""
    images = F.interpolate(images.float().cpu(), size=(size, size), mode="bilinear", align_corners=False)
    return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def to_heat(maps: torch.Tensor, size: int) -> np.ndarray:
    """(B, C, h, w) non-negative features → (B, size, size, 3) uint8, normalised per sample, nearest-upscaled."""
    maps = maps.float().cpu()
    peak = maps.flatten(1).amax(dim=1).clamp(min=1e-6).view(-1, 1, 1, 1)
    maps = F.interpolate(maps / peak, size=(size, size), mode="nearest")
    gray = (maps.clamp(0, 1) * 255).round().byte().squeeze(1).numpy()  # (B, size, size)
    return np.stack([cv2.applyColorMap(g, cv2.COLORMAP_INFERNO)[..., ::-1] for g in gray])


def grid(columns: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """Labelled columns of ``(B, S, S, 3) uint8`` images → one ``(LABEL_HEIGHT + B·S, n·S, 3)`` uint8 image."""
    rows, size = columns[0][1].shape[:2]
    header = np.full((LABEL_HEIGHT, size * len(columns), 3), 255, np.uint8)
    for i, (label, _) in enumerate(columns):
        cv2.putText(header, label[:14], (i * size + 2, LABEL_HEIGHT - 4), cv2.FONT_HERSHEY_PLAIN, 0.8, (0, 0, 0), 1)
    body = np.concatenate([np.concatenate(list(images), axis=0) for _, images in columns], axis=1)
    return np.concatenate([header, body], axis=0)


def first_frames(video: torch.Tensor) -> torch.Tensor:
    """(B, C, F, H, W) → (B, C, H, W) at frame 0."""
    return video[:, :, 0]


def diffusion_grid(batch: dict, generated: torch.Tensor | None, rows: int, size: int = 128) -> np.ndarray:
    """Reference, maps, generated (B, 3, F, H, W) and target frames of the first ``rows`` samples."""
    columns = [("reference", to_rgb(batch["reference"][:rows], size))]
    columns += [(name, to_rgb(first_frames(video[:rows]), size)) for name, video in batch["maps"].items()]
    if generated is not None:
        columns.append(("generated", to_rgb(first_frames(generated[:rows]), size)))
    columns.append(("target", to_rgb(first_frames(batch["frames"][:rows]), size)))
    return grid(columns)


def music_grid(batch: dict, outputs: dict, inputs: dict, rows: int, size: int = 128) -> np.ndarray:
    """Maps, predicted vs SDGPip heatmaps and predicted vs target guidance for the first frame of each sample."""
    frames = batch["frame_ids"].shape[1]
    first = slice(None, rows * frames, frames)  # frame 0 of each of the first ``rows`` samples
    columns = [(name, to_rgb(first_frames(video[:rows]), size)) for name, video in batch["maps"].items()]
    if "heatmaps_pred" in outputs:
        columns.append(("heat pred", to_heat(outputs["heatmaps_pred"][first].amax(1, keepdim=True).relu(), size)))
        columns.append(("heat sdgpip", to_heat(inputs["heatmaps"][first].amax(1, keepdim=True), size)))
    if "guidance_pred" in outputs:
        columns.append(("guid pred", to_heat(outputs["guidance_pred"][first].abs().mean(1, keepdim=True), size)))
    if "guidance_target" in inputs:
        columns.append(("guid target", to_heat(inputs["guidance_target"][first].abs().mean(1, keepdim=True), size)))
    return grid(columns)
