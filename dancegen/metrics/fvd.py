"""Fréchet Video Distance (Unterthiner et al. 2018) with a Kinetics-400 I3D (paper §4.2, tables 1 and 3).

The I3D network is a TorchScript file configured as ``metrics.i3d_torchscript`` (StyleGAN-V's
``i3d_torchscript.pt``: ``forward(x, rescale: bool, resize: bool, return_features: bool)`` with
``x (B, 3, T, 224, 224)`` float in [-1, 1] when ``rescale=False, resize=False``, returning ``(B, 400)``
pre-softmax logits when ``return_features=True``). Without it FVD is "unavailable".

Two preprocessing conventions exist in the literature and give different numbers; the result names the
one used:

- ``stylegan-v``: every frame resized (bilinear, aspect not kept) to 224×224, scaled to [-1, 1].
- ``videogpt``: shorter side resized to 224 (bilinear), centre crop 224×224, scaled to [-1, 1].

Both read the 400-d logits. The distance is computed in float64:
``‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2·sqrtm(Σ1·Σ2))`` with scipy's ``sqrtm``; a product whose root is not
finite is retried with 1e-6 added to both diagonals, and an imaginary part from rounding (at most 1e-3
of the largest entry) is dropped; a larger one makes the result "unavailable", never a guess.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F

from dancegen.errors import ConfigError, ImageError, WeightsError
from dancegen.metrics.inputs import check_frames
from dancegen.metrics.report import MetricResult
from dancegen.metrics.weights import resolve_weights

CONFIG_KEY = "metrics.i3d_torchscript"
I3D_SIZE = 224
Convention = Literal["stylegan-v", "videogpt"]
CONVENTIONS: dict[str, str] = {
    "stylegan-v": "resize to 224x224 (bilinear), [-1, 1], I3D logits (400-d)",
    "videogpt": "short side to 224 (bilinear) + centre crop 224x224, [-1, 1], I3D logits (400-d)",
}


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (unbiased) of ``features (N, D)``, float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"features must be (N, D) with N ≥ 2, got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _covariance_term(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """``tr(Σ1 + Σ2 − 2·sqrtm(Σ1·Σ2))`` in float64.

    Σ1·Σ2 is singular whenever a set has fewer samples than dimensions; scipy's ill-conditioning warning is
    silenced (as StyleGAN-V's ``disp=False`` does) because the checks below handle the outcome.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.all(np.isfinite(covmean)):
            offset = np.eye(sigma1.shape[0]) * 1e-6
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        largest = float(np.max(np.abs(covmean.imag)))
        if largest > 1e-3 * max(1.0, float(np.max(np.abs(covmean.real)))):
            raise ValueError(f"sqrtm(Σ1·Σ2) has an imaginary part of {largest:.3g}: statistics are degenerate")
        covmean = covmean.real
    return float(np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def frechet_distance_from_stats(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2), float64."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"mismatched statistics: μ {mu1.shape}/{mu2.shape}, Σ {sigma1.shape}/{sigma2.shape}")
    diff = mu1 - mu2
    return float(diff @ diff) + _covariance_term(sigma1, sigma2)


def frechet_distance(features1: np.ndarray, features2: np.ndarray) -> float:
    """Fréchet distance between the Gaussians fitted to ``features1 (N1, D)`` and ``features2 (N2, D)``.

    With fewer videos than feature dimensions (the usual FVD case: 100 clips, 400 logits) both covariances
    live in the span of the centred features; they are expressed in an orthonormal basis of that span
    (``N1 + N2`` columns) before ``sqrtm``. The distance is unchanged (it is invariant to rotations, and the
    orthogonal complement carries zero variance in both sets) and ``sqrtm`` avoids a large singular matrix.
    """
    (mu1, _), (mu2, _) = gaussian_stats(features1), gaussian_stats(features2)
    centred1 = np.asarray(features1, np.float64) - mu1
    centred2 = np.asarray(features2, np.float64) - mu2
    if centred1.shape[1] != centred2.shape[1]:
        raise ValueError(f"feature sizes differ: {centred1.shape[1]} and {centred2.shape[1]}")
    if len(centred1) + len(centred2) < centred1.shape[1]:
        basis, _ = np.linalg.qr(np.concatenate([centred1, centred2]).T)  # (D, N1 + N2) orthonormal
        centred1, centred2 = centred1 @ basis, centred2 @ basis
    sigma1 = centred1.T @ centred1 / (len(centred1) - 1)
    sigma2 = centred2.T @ centred2 / (len(centred2) - 1)
    diff = mu1 - mu2
    return float(diff @ diff) + _covariance_term(sigma1, sigma2)


def load_i3d(path: str | os.PathLike | None) -> torch.jit.ScriptModule:
    """The I3D TorchScript module from a local path or s3:// URI; WeightsError if absent or unreadable."""
    local = resolve_weights(path, CONFIG_KEY, "I3D TorchScript file (StyleGAN-V's i3d_torchscript.pt)")
    try:
        with warnings.catch_warnings():  # the released I3D exists only as TorchScript; its deprecation is moot
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.load.*", category=DeprecationWarning)
            model = torch.jit.load(str(local), map_location="cpu")
    except Exception as exc:  # a corrupt or non-TorchScript file is the same user problem
        raise WeightsError(f"{CONFIG_KEY} = {str(path)!r} is not a TorchScript file ({type(exc).__name__})") from None
    return model.eval()


def preprocess_videos(videos: np.ndarray, convention: Convention) -> torch.Tensor:
    """``(B, T, H, W, 3)`` uint8 → I3D input ``(B, 3, T, 224, 224)`` float32 in [-1, 1]."""
    b, t, h, w, _ = videos.shape
    frames = torch.from_numpy(videos).reshape(b * t, h, w, 3).permute(0, 3, 1, 2).float() / 255.0
    if convention == "stylegan-v":
        frames = F.interpolate(frames, size=(I3D_SIZE, I3D_SIZE), mode="bilinear", align_corners=False)
    elif convention == "videogpt":
        scale = I3D_SIZE / min(h, w)
        size = (max(I3D_SIZE, math.ceil(h * scale)), max(I3D_SIZE, math.ceil(w * scale)))
        frames = F.interpolate(frames, size=size, mode="bilinear", align_corners=False)
        top, left = (size[0] - I3D_SIZE) // 2, (size[1] - I3D_SIZE) // 2
        frames = frames[:, :, top : top + I3D_SIZE, left : left + I3D_SIZE]
    else:
        raise ConfigError(f"metrics.fvd_convention must be one of {sorted(CONVENTIONS)}, got {convention!r}")
    frames = frames * 2.0 - 1.0
    return frames.reshape(b, t, 3, I3D_SIZE, I3D_SIZE).permute(0, 2, 1, 3, 4).contiguous()


def _stack_clips(videos: Sequence[np.ndarray] | np.ndarray, clip_frames: int | None, name: str) -> np.ndarray:
    """Videos ``(T_i, H, W, 3)`` uint8 → ``(B, T, H, W, 3)``, each cut to its first ``clip_frames`` frames."""
    clips = [check_frames(video, f"{name}[{i}]") for i, video in enumerate(videos)]
    if len(clips) < 2:
        raise ImageError(f"FVD needs at least 2 {name} (a covariance is estimated), got {len(clips)}")
    length = clip_frames or min(len(c) for c in clips)
    for i, clip in enumerate(clips):
        if len(clip) < length:
            raise ImageError(f"{name}[{i}] has {len(clip)} frames; FVD clips need {length} (metrics.fvd_clip_frames)")
        if clip.shape[1:] != clips[0].shape[1:]:
            raise ImageError(f"{name}[{i}] frames are {clip.shape[1:]}, {name}[0] frames are {clips[0].shape[1:]}")
    return np.stack([clip[:length] for clip in clips])


@torch.no_grad()
def i3d_features(
    model: torch.jit.ScriptModule, videos: np.ndarray, convention: Convention, batch_size: int = 4
) -> np.ndarray:
    """I3D logits ``(B, 400)`` float64 of ``videos (B, T, H, W, 3)`` uint8."""
    out = []
    for start in range(0, len(videos), batch_size):
        x = preprocess_videos(videos[start : start + batch_size], convention)
        features = model(x, rescale=False, resize=False, return_features=True)
        if not isinstance(features, torch.Tensor) or features.ndim != 2 or features.shape[0] != x.shape[0]:
            shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
            raise WeightsError(f"{CONFIG_KEY}: the model returned {shape}, expected (batch, features) logits")
        out.append(features.double().numpy())
    return np.concatenate(out)


def fvd_metric(
    generated: Sequence[np.ndarray] | np.ndarray,
    reference: Sequence[np.ndarray] | np.ndarray,
    i3d: str | os.PathLike | None,
    convention: Convention = "stylegan-v",
    clip_frames: int | None = 16,
) -> MetricResult:
    """FVD between generated and reference video sets (each video ``(T, H, W, 3)`` uint8).

    ``clip_frames`` frames from the start of every video are used (None: the shortest video's length).
    "unavailable" when the I3D file at ``metrics.i3d_torchscript`` cannot be loaded.
    """
    if convention not in CONVENTIONS:
        raise ConfigError(f"metrics.fvd_convention must be one of {sorted(CONVENTIONS)}, got {convention!r}")
    generated_clips = _stack_clips(generated, clip_frames, "generated videos")
    reference_clips = _stack_clips(reference, clip_frames, "reference videos")
    details = {"convention": convention, "preprocess": CONVENTIONS[convention]}
    try:
        model = load_i3d(i3d)
        generated_features = i3d_features(model, generated_clips, convention)
        reference_features = i3d_features(model, reference_clips, convention)
    except WeightsError as exc:
        return MetricResult.unavailable("fvd", str(exc), **details)
    try:
        value = frechet_distance(generated_features, reference_features)
    except ValueError as exc:
        return MetricResult.unavailable("fvd", str(exc), **details)
    return MetricResult.ok(
        "fvd",
        value,
        **details,
        clip_frames=int(generated_clips.shape[1]),
        generated_videos=len(generated_clips),
        reference_videos=len(reference_clips),
        feature_dim=int(generated_features.shape[1]),
    )
