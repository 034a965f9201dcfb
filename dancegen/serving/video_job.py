"""The in-process half of the ``dance_video`` BLS model: diffusion, VAE decoding and muxing around served guidance.

``dance_video`` gets the music features from the served ``music_features`` model and the pose guidance of each
segment from the served ``m2penc`` model; everything else runs in its own process, through the same segment
loop as in-process generation (:func:`dancegen.infer.pipeline.run_segments`), so a served video equals an
in-process one up to float rounding. The loop asks ``model.music_encoder`` for each segment's guidance: here
that encoder is a :class:`RemoteMusicEncoder` whose call is a BLS request, and the denoiser is observed to
report progress.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dancegen.infer.music import Music
from dancegen.infer.options import GenerationOptions
from dancegen.infer.pipeline import generation_fps, plan_frames, reference_pixels, run_segments
from dancegen.models import DanceModel, M2PEncOutput

EncodeFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""(1, F, D) float32 features → ((1, F, C, h, w) guidance, (1, F, J, S, S) heatmaps), e.g. a BLS call."""


class RemoteMusicEncoder:
    """Stands in for the DanceModel's M2PEnc in the segment loop; ``config`` is the real encoder's config."""

    def __init__(self, config, encode: EncodeFn):
        self.config = config
        self._encode = encode

    def __call__(self, features: torch.Tensor) -> M2PEncOutput:
        """features: (1, F, D) → guidance (F, C, h, w) and heatmaps (F, J, S, S), like ``M2PEnc.forward``."""
        guidance, heatmaps = self._encode(features.float().cpu().numpy())
        return M2PEncOutput(guidance=_first(guidance, features), heatmaps=_first(heatmaps, features))


def _first(array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """(1, F, …) array → (F, …) tensor with ``like``'s dtype and device."""
    return torch.from_numpy(np.ascontiguousarray(array[0])).to(like)


class _ObservedDenoiser:
    """Calls ``on_call`` before every denoiser evaluation (1 per step, 2 with reference guidance)."""

    def __init__(self, denoiser, on_call: Callable[[], None]):
        self._denoiser = denoiser
        self._on_call = on_call

    def __call__(self, *args, **kwargs):
        self._on_call()
        return self._denoiser(*args, **kwargs)


class _ServedDanceModel(DanceModel):
    """``model``'s networks with the music encoder served remotely and the denoiser observed."""

    def __init__(self, model: DanceModel, music_encoder: RemoteMusicEncoder, on_denoise: Callable[[], None]):
        super().__init__(
            unet=model.unet,
            vae=model.vae,
            image_encoder=model.image_encoder,
            music_encoder=music_encoder,
            guidance_encoder=model.guidance_encoder,
            scheduler=model.scheduler,
            reference_unet=model.reference_unet,
            config=model.config,
        )
        self._observed = _ObservedDenoiser(model.denoiser(), on_denoise)  # the model's processors, attached once

    def denoiser(self):
        return self._observed


def render_dance_video(
    model: DanceModel,
    music: Music,
    photo: np.ndarray,
    features: np.ndarray,
    options: GenerationOptions,
    encode: EncodeFn,
    on_progress: Callable[[float], None] | None = None,
) -> bytes:
    """mp4 bytes of the dance: ``photo`` (H, W, 3) uint8 RGB, ``features`` (N, D) from ``music_features`` at
    :func:`~dancegen.infer.pipeline.generation_fps`, guidance per segment from ``encode``;
    ``on_progress(fraction)`` after each denoiser call."""
    plan = plan_frames(model, music, options)
    if len(features) != plan.frames or plan.fps != generation_fps(model, options):
        raise RuntimeError(
            f"music_features returned {len(features)} frames at {generation_fps(model, options):g} fps but the plan "
            f"needs {plan.frames} at {plan.fps:g}"
        )
    passes = 1 if options.guidance_scale == 1 else 2
    total = options.steps * passes * len(plan.segments)
    done = 0

    def on_denoise() -> None:
        nonlocal done
        if on_progress is not None:
            on_progress(done / total)
        done += 1

    served = _ServedDanceModel(model, RemoteMusicEncoder(model.music_encoder.config, encode), on_denoise)
    pixels = reference_pixels(model, photo)  # (1, 3, S, S)
    with torch.inference_mode():
        result = run_segments(served, music, features, pixels, plan, options)
    return result.to_mp4()
