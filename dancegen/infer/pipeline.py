"""Generation (paper §3.3–3.4): music + one reference photo → a dance video with the music, in one call.

:func:`generate` is the single entry point; it checks every input before any model work:

1. settings (:mod:`~dancegen.infer.options`), the music (:mod:`~dancegen.infer.music`) and the photo
   (:mod:`~dancegen.infer.reference_image`); then the model (a :class:`~dancegen.models.DanceModel`, a
   directory, an ``s3://`` prefix or a ``models:/`` registry URI, :mod:`~dancegen.infer.model_uri`);
2. the frame plan: ``N = round(seconds · fps)`` frames in 5-s segments sharing ``overlap`` frames
   (:mod:`~dancegen.infer.segments`);
3. the photo → VAE latent + CLIP image embedding (:func:`~dancegen.models.encode_reference`), once;
4. per segment: the segment's EDGE music features → M2PEnc (or the simple audio encoder) → pose guidance
   (and keypoint heatmaps), the DDIM loop with reference guidance and noise conditioning on the previous
   segment (:mod:`~dancegen.infer.sampler`), and the VAE decoding of the segment's new frames;
5. a :class:`GenerationResult` whose ``to_mp4()`` is H.264 + AAC with the music, as long as the video.

Callers that prepare some inputs elsewhere (``dancegen.serving``: features and guidance from served models)
use the steps one by one: :func:`generation_fps`, :func:`plan_frames`, :func:`reference_pixels` and
:func:`run_segments` (steps 3–5).

The same inputs and seed give bit-identical frames (all noise comes from one seeded CPU generator, DDIM
runs with η = 0) and, since x264 is deterministic, identical mp4 bytes. Calls are serialised by a lock: the
denoiser's reference attention keeps per-call state, so one model cannot serve two generations at once.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from dancegen.errors import ConfigError, WeightsError
from dancegen.infer.model_uri import MODEL_INDEX, MODEL_KEY, resolve_model_dir
from dancegen.infer.music import Music, frame_count, music_features, read_music, soundtrack
from dancegen.infer.options import DEFAULT_GUIDANCE_SCALE, DEFAULT_STEPS, GenerationOptions, check_options
from dancegen.infer.preview import preview_frames
from dancegen.infer.reference_image import fit_square, image_tensor, read_image
from dancegen.infer.sampler import ReferenceConditioning, ddim_scheduler, denoise_segment
from dancegen.infer.segments import (
    SEGMENT_SECONDS,
    Segment,
    default_fps,
    default_overlap,
    plan_segments,
    segment_length,
    temporal_capacity,
)
from dancegen.models import DanceModel, M2PEnc, encode_reference
from dancegen.video import encode_mp4, write_mp4

DECODE_CHUNK = 8  # frames per VAE decode call


@dataclass
class GenerationResult:
    """A generated dance video.

    frames: (N, S, S, 3) uint8 RGB; fps: frame rate; audio: (T,) float32 mono music, T = N / fps · sample_rate;
    latents: (N, 4, h, w) float32 clean latents; segments: the plan the frames were generated in;
    preview: (N, S, 3·S, 3) uint8 video | skeleton | heatmaps, or None.
    """

    frames: np.ndarray
    fps: float
    audio: np.ndarray
    sample_rate: int
    latents: torch.Tensor
    segments: list[Segment]
    preview: np.ndarray | None = None

    @property
    def seconds(self) -> float:
        return len(self.frames) / self.fps

    def to_mp4(self) -> bytes:
        """H.264 + AAC mp4 bytes of the video with its music."""
        return encode_mp4(self.frames, self.fps, audio=self.audio, sample_rate=self.sample_rate)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the mp4 atomically; return the path."""
        return write_mp4(path, self.frames, self.fps, audio=self.audio, sample_rate=self.sample_rate)

    def write_preview(self, path: str | os.PathLike) -> Path:
        """Write the side-by-side preview mp4 (with the music); ConfigError if none was made."""
        if self.preview is None:
            raise ConfigError("this result has no preview; generate with preview=True (--preview)")
        return write_mp4(path, self.preview, self.fps, audio=self.audio, sample_rate=self.sample_rate)


_loaded: dict[tuple[str, int], DanceModel] = {}
_load_lock = threading.Lock()
_generate_lock = threading.Lock()


def load_model(model: DanceModel | str | os.PathLike) -> DanceModel:
    """A DanceModel as is, or loaded from a directory / ``s3://`` / ``models:/`` reference.

    The last model loaded from a directory is kept in memory (keyed by its path and ``model_index.json``
    modification time), so repeated requests (MLflow pyfunc, Triton) load it once.
    """
    if isinstance(model, DanceModel):
        return model
    if not isinstance(model, str | os.PathLike):
        raise WeightsError(f"{MODEL_KEY} must be a DanceModel, a directory or a models:/ URI, got {type(model)}")
    directory = resolve_model_dir(model)
    index = directory / MODEL_INDEX
    key = (str(directory.resolve()), index.stat().st_mtime_ns if index.exists() else 0)
    with _load_lock:
        if key not in _loaded:
            loaded = DanceModel.from_pretrained(directory, config_key=MODEL_KEY)
            _loaded.clear()
            _loaded[key] = loaded
        return _loaded[key]


@contextlib.contextmanager
def _eval_mode(model: DanceModel):
    """Put every network in eval mode for the duration, then restore each one's previous mode."""
    modules = [m for m in model.components().values() if isinstance(m, torch.nn.Module)]
    modes = [m.training for m in modules]
    try:
        for module in modules:
            module.eval()
        yield
    finally:
        for module, mode in zip(modules, modes, strict=True):
            module.train(mode)


@dataclass(frozen=True)
class FramePlan:
    """How a video is cut: ``frames`` = N frames at ``fps``, generated in ``segments`` (5-s windows sharing
    ``overlap`` frames, :func:`~dancegen.infer.segments.plan_segments`)."""

    fps: float
    frames: int
    segments: list[Segment]


def generation_fps(model: DanceModel, options: GenerationOptions) -> float:
    """The frame rate generation uses: ``options.fps``, else the highest whole fps ≤ 15 at which one
    ``options.segment_seconds`` segment fits the model's temporal capacity (motion modules, M2PEnc)."""
    if options.fps is not None:
        return float(options.fps)
    return default_fps(_capacity(model), options.segment_seconds)


def plan_frames(model: DanceModel, music: Music, options: GenerationOptions) -> FramePlan:
    """The :class:`FramePlan` for ``model`` and ``music`` with checked ``options`` (ConfigError naming the
    option to change when a segment does not fit the model or the music is shorter than ``options.seconds``)."""
    fps = generation_fps(model, options)
    frames = frame_count(music, options.seconds, fps)
    per_segment = segment_length(options.segment_seconds, fps, _capacity(model))
    overlap = default_overlap(per_segment) if options.overlap is None else options.overlap
    return FramePlan(fps, frames, plan_segments(frames, per_segment, overlap))


def _capacity(model: DanceModel) -> int:
    """Frames one segment may have: the smaller of the motion modules' and M2PEnc's limits."""
    encoder = model.music_encoder
    return temporal_capacity(
        model.unet.config.motion_max_seq_length, encoder.config.max_frames if isinstance(encoder, M2PEnc) else None
    )


def reference_pixels(model: DanceModel, photo: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 RGB photo → (1, 3, S, S) float32 in [-1, 1], S the model's frame size."""
    size = model.config.get("image_size") or model.vae.config.sample_size
    return image_tensor(fit_square(photo, size))


def _decode(model: DanceModel, latents: torch.Tensor) -> np.ndarray:
    """(F, 4, h, w) latents → (F, S, S, 3) uint8 frames, DECODE_CHUNK frames per VAE call."""
    vae = model.vae
    frames = []
    for chunk in latents.split(DECODE_CHUNK):
        pixels = vae.decode(chunk.to(vae.dtype) / vae.config.scaling_factor).sample  # (f, 3, S, S) in [-1, 1]
        pixels = ((pixels.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        frames.append(pixels.permute(0, 2, 3, 1).numpy())
    return np.concatenate(frames)


def generate(
    music,
    image,
    model: DanceModel | str | os.PathLike,
    seconds: float | None = None,
    steps: int = DEFAULT_STEPS,
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
    seed: int = 0,
    overlap: int | None = None,
    fps: float | None = None,
    preview: bool = False,
    progress: bool = True,
    segment_seconds: float = SEGMENT_SECONDS,
) -> GenerationResult:
    """Generate a dance video of the person in ``image`` to ``music`` (see the module docstring).

    Args:
        music: audio file path, encoded audio bytes, or ``(samples, sample_rate)``.
        image: photo path, encoded image bytes, or an (H, W, 3) RGB array.
        model: a DanceModel, a DanceModel directory, an ``s3://`` prefix or ``models:/name@alias``.
        seconds: video length (≤ the music's; default the music's duration); the last segment is trimmed.
        steps: DDIM steps per segment.
        guidance_scale: classifier-free guidance scale on the reference photo (1 = off).
        seed: seed of the initial noise; the same seed gives the same video.
        overlap: frames each segment shares with the previous one (default: an eighth of a segment).
        fps: frame rate (default: the highest whole fps ≤ 15 at which a segment fits the model).
        preview: also build the video | skeleton | heatmaps preview (needs M2PEnc's heatmaps).
        progress: show tqdm bars per segment and per step.
        segment_seconds: length of a segment (5 s in the paper).
    """
    options = check_options(GenerationOptions(seconds, steps, guidance_scale, seed, overlap, fps, segment_seconds))
    track = read_music(music)
    photo = read_image(image)
    model = load_model(model)
    plan = plan_frames(model, track, options)
    encoder = model.music_encoder
    if preview and not isinstance(encoder, M2PEnc):
        raise ConfigError("--preview draws M2PEnc's heatmaps but this model uses the simple audio encoder; drop it")
    features = music_features(track, plan.fps, plan.frames, encoder.config.feature_dim)  # (N, D)
    pixels = reference_pixels(model, photo)  # (1, 3, S, S)
    with _generate_lock, _eval_mode(model), torch.inference_mode():
        return run_segments(model, track, features, pixels, plan, options, preview=preview, progress=progress)


def run_segments(
    model: DanceModel,
    music: Music,
    features: np.ndarray,
    pixels: torch.Tensor,
    plan: FramePlan,
    options: GenerationOptions,
    *,
    preview: bool = False,
    progress: bool = False,
) -> GenerationResult:
    """The generation loop of :func:`generate` over ``plan.segments``, on inputs already checked and prepared.

    Args:
        model: the networks; the loop calls ``model.music_encoder(features)`` with (1, F, D) segment features
            (expecting M2PEnc's output: guidance (F, C, h, w), heatmaps (F, J, S_h, S_h)) and ``model.denoiser()``,
            so a caller may stand in its own encoder (e.g. a served one).
        music: the decoded music; its soundtrack is cut to the video's length.
        features: (N, D) float32 music features at ``plan.fps``, N = ``plan.frames``.
        pixels: (1, 3, S, S) float32 reference photo in [-1, 1] (:func:`reference_pixels`).
        plan: from :func:`plan_frames` for the same model, music and options.
        options: checked settings (steps, guidance scale, seed are used here).
        preview: also build the video | skeleton | heatmaps preview.
        progress: show tqdm bars.

    The caller chooses the grad mode, eval mode and locking (:func:`generate` runs it under
    ``torch.inference_mode``, eval mode and the generation lock).
    """
    dtype = model.unet.dtype
    context = encode_reference(model.vae, model.image_encoder, pixels.to(dtype))
    reference = ReferenceConditioning(
        image_embeds=context.image_embeds.to(dtype),
        reference_latents=context.latents.to(dtype) if model.reference_unet is not None else None,
    )
    denoiser = model.denoiser()
    scheduler = ddim_scheduler(model.scheduler.config, options.steps)
    generator = torch.Generator(device="cpu").manual_seed(options.seed)
    channels, height, width = context.latents.shape[1:]
    latents = torch.zeros(plan.frames, channels, height, width)  # (N, 4, h, w) clean latents
    frames = np.zeros((plan.frames, *pixels.shape[2:], 3), np.uint8)
    heatmaps = None
    outer = tqdm(plan.segments, desc="segments", unit="seg", disable=not progress)
    for segment in outer:
        segment_features = torch.from_numpy(features[segment.start : segment.stop]).to(dtype)[None]  # (1, F, D)
        encoded = model.music_encoder(segment_features)
        noise = torch.randn((1, channels, segment.frames, height, width), generator=generator).to(dtype)
        known = latents[segment.start : segment.new_start].permute(1, 0, 2, 3)[None] if segment.overlap else None
        with tqdm(
            total=options.steps, desc=f"segment {segment.index + 1}/{len(plan.segments)}", unit="step",
            leave=False, disable=not progress,
        ) as bar:  # fmt: skip
            clean = denoise_segment(
                denoiser,
                scheduler,
                noise,
                encoded.guidance,  # (F, C0, h, w)
                reference,
                float(options.guidance_scale),
                known=known.to(dtype) if known is not None else None,
                on_step=bar.update,
            )  # (1, 4, F, h, w)
        new = clean[0, :, segment.overlap :].permute(1, 0, 2, 3).float()  # (F_new, 4, h, w)
        latents[segment.new_start : segment.stop] = new
        frames[segment.new_start : segment.stop] = _decode(model, new)
        if preview:
            segment_maps = encoded.heatmaps[segment.overlap :].float().numpy()  # (F_new, J, S_h, S_h)
            if heatmaps is None:
                heatmaps = np.zeros((plan.frames, *segment_maps.shape[1:]), np.float32)
            heatmaps[segment.new_start : segment.stop] = segment_maps
    audio, rate = soundtrack(music, plan.frames, plan.fps)
    return GenerationResult(
        frames=frames,
        fps=plan.fps,
        audio=audio,
        sample_rate=rate,
        latents=latents,
        segments=plan.segments,
        preview=preview_frames(frames, heatmaps) if preview else None,
    )


def generate_video_bytes(
    model_dir: DanceModel | str | os.PathLike,
    music_bytes: bytes,
    image_bytes: bytes,
    seconds: float | None = None,
    seed: int = 0,
    steps: int | None = None,
    guidance_scale: float | None = None,
) -> bytes:
    """Encoded music + encoded photo → mp4 bytes (for the MLflow pyfunc and Triton); defaults as :func:`generate`."""
    result = generate(
        bytes(music_bytes),
        bytes(image_bytes),
        model_dir,
        seconds=seconds,
        steps=DEFAULT_STEPS if steps is None else steps,
        guidance_scale=DEFAULT_GUIDANCE_SCALE if guidance_scale is None else guidance_scale,
        seed=seed,
        progress=False,
    )
    return result.to_mp4()
