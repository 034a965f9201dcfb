"""DanceModel: the container of every network of the framework, saved in the diffusers folder layout.

It holds the components and nothing else (no forward, no sampler):

========================  ============================================  ==========================
attribute                 class                                          subfolder
========================  ============================================  ==========================
``unet``                  :class:`~dancegen.models.VideoUNet`            ``unet/`` (+ ``motion_adapter/``)
``vae``                   ``diffusers.AutoencoderKL`` (frozen)           ``vae/``
``image_encoder``         ``transformers.CLIPVisionModelWithProjection``  ``image_encoder/``
``music_encoder``         :class:`M2PEnc` or :class:`SimpleAudioEncoder`  ``m2penc/`` or ``simple_audio_encoder/``
``guidance_encoder``      :class:`GuidanceEncoder`                       ``guidance_encoder/``
``reference_unet``        ``diffusers.UNet2DConditionModel`` or None     ``reference_unet/``
``scheduler``             ``diffusers.DDIMScheduler``/``DDPMScheduler``   ``scheduler/``
========================  ============================================  ==========================

``model_index.json`` names each component's library and class (diffusers' convention) and keeps the
resolved preset config. ``motion_adapter/`` is the temporal layers alone, a ``MotionAdapter`` that can be
shipped and loaded on its own. :meth:`DanceModel.denoiser` composes the U-Nets for one denoising step.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import diffusers
import torch
from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler, MotionAdapter, UNet2DConditionModel
from torch import nn
from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

import dancegen
from dancegen.config import deep_merge
from dancegen.errors import ConfigError, WeightsError
from dancegen.models.denoiser import DanceDenoiser
from dancegen.models.guidance_encoder import GuidanceEncoder
from dancegen.models.m2penc import M2PEnc
from dancegen.models.presets import model_preset
from dancegen.models.simple_audio_encoder import SimpleAudioEncoder
from dancegen.models.video_unet import VideoUNet

MODEL_INDEX = "model_index.json"
MUSIC_ENCODERS = {"m2penc": M2PEnc, "simple_audio_encoder": SimpleAudioEncoder}
SCHEDULERS = {"DDIMScheduler": DDIMScheduler, "DDPMScheduler": DDPMScheduler}
# model_index.json entries: subfolder → (library, class); only these classes are ever instantiated.
_LIBRARY_CLASSES = {
    ("dancegen.models", "VideoUNet"): VideoUNet,
    ("dancegen.models", "M2PEnc"): M2PEnc,
    ("dancegen.models", "SimpleAudioEncoder"): SimpleAudioEncoder,
    ("dancegen.models", "GuidanceEncoder"): GuidanceEncoder,
    ("diffusers", "AutoencoderKL"): AutoencoderKL,
    ("diffusers", "UNet2DConditionModel"): UNet2DConditionModel,
    ("diffusers", "MotionAdapter"): MotionAdapter,
    ("diffusers", "DDIMScheduler"): DDIMScheduler,
    ("diffusers", "DDPMScheduler"): DDPMScheduler,
    ("transformers", "CLIPVisionModelWithProjection"): CLIPVisionModelWithProjection,
}
_TOP_LEVEL_KEYS = {
    "image_size",
    "num_frames",
    "music_encoder",
    "use_reference_unet",
    "guidance_encoder",
    "m2penc",
    "simple_audio_encoder",
    "unet",
    "motion_adapter",
    "vae",
    "image_encoder",
    "scheduler",
}


def count_parameters(model: nn.Module) -> dict[str, int]:
    """``{"total": all parameters, "trainable": those with requires_grad}`` (works on the meta device)."""
    params = list(model.parameters())
    return {"total": sum(p.numel() for p in params), "trainable": sum(p.numel() for p in params if p.requires_grad)}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def check_model_config(config: Mapping[str, Any]) -> None:
    """Check the keys of a model config and that its components fit together; raise ConfigError naming keys."""
    unknown = sorted(set(config) - _TOP_LEVEL_KEYS)
    _require(not unknown, f"model config: unknown key(s) {unknown}; known: {sorted(_TOP_LEVEL_KEYS)}")
    missing = sorted(_TOP_LEVEL_KEYS - set(config))
    _require(not missing, f"model config: missing key(s) {missing}")
    music = config["music_encoder"]
    _require(
        music in MUSIC_ENCODERS, f"model config: 'music_encoder' = {music!r} must be one of {list(MUSIC_ENCODERS)}"
    )
    unet, vae = config["unet"], config["vae"]
    width = unet["block_out_channels"][0]
    for section in ("guidance_encoder", music):
        got = config[section].get("guidance_channels")
        _require(
            got == width,
            f"model config: '{section}.guidance_channels' = {got} must equal 'unet.block_out_channels[0]' = {width}",
        )
    vae_factor = 2 ** (len(vae["block_out_channels"]) - 1)
    image_size = config["image_size"]
    _require(
        isinstance(image_size, int) and image_size % vae_factor == 0,
        f"model config: 'image_size' = {image_size!r} must be an integer divisible by the VAE factor {vae_factor}",
    )
    latent = image_size // vae_factor
    got = config[music].get("guidance_size")
    _require(
        got == latent,
        f"model config: '{music}.guidance_size' = {got} must equal the latent size image_size/{vae_factor} = {latent}",
    )
    encoder_factor = 2 ** (len(config["guidance_encoder"]["block_out_channels"]) - 1)
    _require(
        encoder_factor == vae_factor,
        f"model config: 'guidance_encoder.block_out_channels' down-scales by {encoder_factor}, "
        f"the VAE by {vae_factor}; give it {len(vae['block_out_channels'])} widths",
    )
    projection = config["image_encoder"].get("projection_dim")
    _require(
        unet["cross_attention_dim"] == projection,
        f"model config: 'unet.cross_attention_dim' = {unet['cross_attention_dim']} must equal "
        f"'image_encoder.projection_dim' = {projection}",
    )
    _require(
        unet["in_channels"] == vae["latent_channels"],
        f"model config: 'unet.in_channels' = {unet['in_channels']} must equal "
        f"'vae.latent_channels' = {vae['latent_channels']}",
    )
    motion = config["motion_adapter"]
    _require(
        list(motion["block_out_channels"]) == list(unet["block_out_channels"]),
        "model config: 'motion_adapter.block_out_channels' must equal 'unet.block_out_channels'",
    )
    frames, max_frames = config["num_frames"], motion["motion_max_seq_length"]
    _require(
        frames <= max_frames,
        f"model config: 'num_frames' = {frames} exceeds 'motion_adapter.motion_max_seq_length' = {max_frames}",
    )
    scheduler = config["scheduler"].get("_class_name")
    _require(
        scheduler in SCHEDULERS,
        f"model config: 'scheduler._class_name' = {scheduler!r} must be one of {list(SCHEDULERS)}",
    )


def _build(section: str, factory, kwargs: Mapping[str, Any]):
    """Call ``factory(**kwargs)``; an unknown or ill-typed argument becomes a ConfigError naming the section."""
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"model config: section {section!r}: {exc}") from None


class DanceModel:
    """The framework's networks, their config and the noise scheduler; see the module docstring."""

    def __init__(
        self,
        *,
        unet: VideoUNet,
        vae: AutoencoderKL,
        image_encoder: CLIPVisionModelWithProjection,
        music_encoder: M2PEnc | SimpleAudioEncoder,
        guidance_encoder: GuidanceEncoder,
        scheduler: DDIMScheduler | DDPMScheduler,
        reference_unet: UNet2DConditionModel | None = None,
        config: Mapping[str, Any] | None = None,
    ):
        self.unet = unet
        self.vae = vae.requires_grad_(False).eval()  # frozen throughout (§3.3)
        self.image_encoder = image_encoder.requires_grad_(False).eval()
        self.music_encoder = music_encoder
        self.guidance_encoder = guidance_encoder
        self.reference_unet = reference_unet
        self.scheduler = scheduler
        self.config = dict(config or {})
        self._denoiser: DanceDenoiser | None = None

    @property
    def music_encoder_name(self) -> str:
        """``"m2penc"`` or ``"simple_audio_encoder"`` (also the subfolder name)."""
        return "m2penc" if isinstance(self.music_encoder, M2PEnc) else "simple_audio_encoder"

    def components(self) -> dict[str, Any]:
        """Subfolder name → component (``None`` for an absent reference U-Net)."""
        return {
            "unet": self.unet,
            "vae": self.vae,
            "image_encoder": self.image_encoder,
            self.music_encoder_name: self.music_encoder,
            "guidance_encoder": self.guidance_encoder,
            "reference_unet": self.reference_unet,
            "scheduler": self.scheduler,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any], device: str | torch.device | None = None) -> DanceModel:
        """Build randomly initialised components from a model config (a preset, possibly overridden).

        ``device="meta"`` builds parameter shapes without memory (for counting the paper model).
        """
        check_model_config(config)
        target = torch.device(device) if device is not None else torch.device("cpu")
        build_device = target if target.type == "meta" else torch.device("cpu")
        with build_device:
            unet2d = _build("unet", UNet2DConditionModel, config["unet"])
            adapter = _build("motion_adapter", MotionAdapter, config["motion_adapter"])
            unet = VideoUNet.from_unet2d(unet2d, adapter)
            reference_unet = unet2d if config["use_reference_unet"] else None
            vae = _build("vae", AutoencoderKL, config["vae"])
            image_encoder = CLIPVisionModelWithProjection(
                _build("image_encoder", CLIPVisionConfig, config["image_encoder"])
            )
            name = config["music_encoder"]
            music_encoder = _build(name, MUSIC_ENCODERS[name], config[name])
            guidance_encoder = _build("guidance_encoder", GuidanceEncoder, config["guidance_encoder"])
        scheduler = SCHEDULERS[config["scheduler"]["_class_name"]].from_config(config["scheduler"])
        model = cls(
            unet=unet,
            vae=vae,
            image_encoder=image_encoder,
            music_encoder=music_encoder,
            guidance_encoder=guidance_encoder,
            scheduler=scheduler,
            reference_unet=reference_unet,
            config=config,
        )
        return model.to(target) if target != build_device else model

    @classmethod
    def from_preset(
        cls, name: str, overrides: Mapping[str, Any] | None = None, device: str | torch.device | None = None
    ) -> DanceModel:
        """Build preset ``"tiny"`` or ``"paper"`` with optional nested ``overrides`` (e.g. ``{"music_encoder":
        "simple_audio_encoder"}`` or ``{"guidance_encoder": {"map_types": ["skeleton"]}}``)."""
        return cls.from_config(deep_merge(model_preset(name), overrides or {}), device=device)

    def to(self, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> DanceModel:
        """Move every network (in place) and return self."""
        for component in self.components().values():
            if isinstance(component, nn.Module):
                component.to(device=device, dtype=dtype)
        return self

    def denoiser(self) -> DanceDenoiser:
        """The video U-Net + reference U-Net of one denoising step (built once, processors attached)."""
        if self._denoiser is None:
            self._denoiser = DanceDenoiser(self.unet, self.reference_unet)
        return self._denoiser

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per component, the U-Net's temporal layers separately, and the total."""
        counts = {
            name: count_parameters(component)["total"]
            for name, component in self.components().items()
            if isinstance(component, nn.Module)
        }
        counts["unet_temporal"] = sum(p.numel() for n, p in self.unet.named_parameters() if ".motion_modules." in n)
        counts["total"] = sum(v for k, v in counts.items() if k != "unet_temporal")
        return counts

    def model_index(self) -> dict[str, Any]:
        """The ``model_index.json`` content: each subfolder's (library, class), versions and the config."""
        index: dict[str, Any] = {
            "_class_name": type(self).__name__,
            "_dancegen_version": dancegen.__version__,
            "_diffusers_version": diffusers.__version__,
            "dancegen_config": self.config,
        }
        for name, component in self.components().items():
            if component is None:
                index[name] = [None, None]
                continue
            library = type(component).__module__.split(".")[0]
            library = "dancegen.models" if library == "dancegen" else library
            index[name] = [library, type(component).__name__]
        index["motion_adapter"] = ["diffusers", "MotionAdapter"]
        return index

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write every component to ``directory/<subfolder>/`` plus ``model_index.json``; the directory is
        replaced only once everything is written."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            for name, component in self.components().items():
                if component is not None:
                    component.save_pretrained(staging / name)
            self.unet.save_motion_modules(str(staging / "motion_adapter"))
            (staging / MODEL_INDEX).write_text(json.dumps(self.model_index(), indent=2) + "\n")
            if directory.exists():
                shutil.rmtree(directory)
            staging.rename(directory)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path, config_key: str = "model.dir") -> DanceModel:
        """Load a directory written by :meth:`save_pretrained` (local files only)."""
        directory = Path(directory)
        index_path = directory / MODEL_INDEX
        if not index_path.is_file():
            raise WeightsError(
                f"{config_key}: {directory} has no {MODEL_INDEX}; point {config_key} at a saved DanceModel"
            )
        index = json.loads(index_path.read_text())
        loaded: dict[str, Any] = {}
        for name in (
            "unet",
            "vae",
            "image_encoder",
            "m2penc",
            "simple_audio_encoder",
            "guidance_encoder",
            "reference_unet",
            "scheduler",
        ):
            entry = index.get(name)
            if entry is None or entry == [None, None]:
                continue
            component_cls = _LIBRARY_CLASSES.get(tuple(entry))
            if component_cls is None:
                raise WeightsError(f"{config_key}: {index_path} names unsupported class {entry} for {name!r}")
            if not (directory / name).is_dir():
                raise WeightsError(f"{config_key}: {directory / name} is missing; the saved DanceModel is incomplete")
            loaded[name] = component_cls.from_pretrained(directory / name, local_files_only=True)
        music = [name for name in MUSIC_ENCODERS if name in loaded]
        needed = {"unet", "vae", "image_encoder", "guidance_encoder", "scheduler"} - set(loaded)
        if len(music) != 1 or needed:
            raise WeightsError(f"{config_key}: {index_path} lacks components {sorted(needed) or 'music encoder'}")
        return cls(
            unet=loaded["unet"],
            vae=loaded["vae"],
            image_encoder=loaded["image_encoder"],
            music_encoder=loaded[music[0]],
            guidance_encoder=loaded["guidance_encoder"],
            scheduler=loaded["scheduler"],
            reference_unet=loaded.get("reference_unet"),
            config=index.get("dancegen_config"),
        )
