"""Building a stage: which model to start from, which parameters train, what DeepSpeed wraps.

The model comes from, in order: ``init_from`` (the previous stage's exported model directory, local or
S3), else CHAMP's released weights (``weights.champ_dir``, which replace stage 0), else — for stage 0 only —
the random-initialised preset. Stages 1–3 need trained guidance features and a trained U-Net, so they
refuse to start from random weights. ``weights.vae`` / ``weights.image_encoder`` replace the preset's VAE
and CLIP tower when set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from dancegen.config import deep_merge
from dancegen.errors import ConfigError
from dancegen.models.dancer import DanceModel
from dancegen.models.guidance_encoder import guidance_map_types
from dancegen.paths import cache_dir
from dancegen.storage import Location
from dancegen.train.config import TrainConfig
from dancegen.train.inputs import FrozenParts
from dancegen.train.objective import StageModule
from dancegen.train.samples import SampleSpec


def fetch_model_dir(uri: str, config_key: str) -> Path:
    """A local directory holding the model at ``uri`` (an ``s3://`` prefix is downloaded to the cache once)."""
    location = Location.parse(uri)
    if not location.is_s3:
        return Path(location.uri)
    target = cache_dir() / "models" / hashlib.sha256(location.uri.encode()).hexdigest()[:16]
    names = list(location.list(""))
    if not names:
        raise ConfigError(f"{config_key}: {uri} holds no files; point it at an exported model directory")
    for name in names:
        if not (target / name).exists():
            location.download_file(name, target / name)
    return target


def model_overrides(cfg: TrainConfig) -> dict:
    """The model-preset layer of the training config: audio encoder, guidance maps, then ``model.overrides``."""
    choice = {
        "music_encoder": cfg.music_encoder_name,
        "guidance_encoder": {"map_types": list(guidance_map_types(cfg.model.guidance_types))},
    }
    return deep_merge(choice, cfg.model.overrides)


def load_model(cfg: TrainConfig) -> DanceModel:
    """The model the stage starts from (see the module docstring); raises ConfigError / WeightsError."""
    if cfg.init_from:
        if cfg.model.overrides:
            raise ConfigError("model.overrides change the preset's architecture and cannot apply with init_from")
        model = DanceModel.from_pretrained(fetch_model_dir(cfg.init_from, "init_from"), config_key="init_from")
        if model.music_encoder_name != cfg.music_encoder_name:
            raise ConfigError(
                f"init_from holds a {model.music_encoder_name} but model.audio_encoder is "
                f"{cfg.model.audio_encoder!r}; train the earlier stages with the same model.audio_encoder"
            )
        wanted = tuple(guidance_map_types(cfg.model.guidance_types))
        if tuple(model.guidance_encoder.map_types) != wanted:
            raise ConfigError(
                f"init_from's guidance encoder reads {list(model.guidance_encoder.map_types)} but "
                f"model.guidance_types is {cfg.model.guidance_types!r}; train stage 0 with the same guidance types"
            )
    else:
        if cfg.stage > 0 and not cfg.weights.champ_dir:
            raise ConfigError(
                f"stage {cfg.stage} starts from a trained model: give --init DIR (the previous stage's "
                f"<out>/model) or weights.champ_dir (CHAMP's checkpoints)"
            )
        model = DanceModel.from_preset(cfg.model.preset, model_overrides(cfg))
        if cfg.weights.champ_dir:
            from dancegen.models.champ_weights import load_champ_weights

            load_champ_weights(model, fetch_model_dir(cfg.weights.champ_dir, "weights.champ_dir"))
    if cfg.weights.vae:
        from dancegen.models.champ_weights import load_vae

        model.vae = load_vae(fetch_model_dir(cfg.weights.vae, "weights.vae"))
    if cfg.weights.image_encoder:
        from dancegen.models.champ_weights import load_image_encoder

        model.image_encoder = load_image_encoder(fetch_model_dir(cfg.weights.image_encoder, "weights.image_encoder"))
    return model


def set_trainable(model: DanceModel, groups: list[str]) -> dict[str, int]:
    """Freeze everything, then unfreeze ``groups``; return the trainable parameter count of each group."""
    modules = (model.unet, model.reference_unet, model.guidance_encoder, model.music_encoder, model.vae)
    for module in (*modules, model.image_encoder):
        if module is not None:
            module.requires_grad_(False)
    if "reference_unet" in groups and model.reference_unet is None:
        raise ConfigError("trainable has 'reference_unet' but the model has none (use_reference_unet is false)")
    counts = dict.fromkeys(groups, 0)
    for group, module in (("guidance_encoder", model.guidance_encoder), ("music_encoder", model.music_encoder)):
        if group in groups:
            module.requires_grad_(True)
            counts[group] = sum(p.numel() for p in module.parameters())
    if "reference_unet" in groups:
        model.reference_unet.requires_grad_(True)
        counts["reference_unet"] = sum(p.numel() for p in model.reference_unet.parameters())
    for name, param in model.unet.named_parameters():
        group = "unet_temporal" if ".motion_modules." in name else "unet_spatial"
        if group in groups:
            param.requires_grad_(True)
            counts[group] += param.numel()
    return counts


@dataclass
class StageParts:
    """The pieces of a stage: the DeepSpeed-wrapped module, the frozen networks, what to read from the
    dataset and which parameters train."""

    module: StageModule
    frozen: FrozenParts
    spec: SampleSpec
    trained: dict[str, list[str]]  # DanceModel component → names of its trained parameters


def stage_parts(model: DanceModel, cfg: TrainConfig, device: torch.device, dtype: torch.dtype) -> StageParts:
    """Freeze/unfreeze per ``stages.stageN.trainable`` and split the model into trained and frozen parts."""
    stage = cfg.current
    losses, trainable = stage.losses, set(stage.trainable)
    set_trainable(model, stage.trainable)
    uses_denoiser = losses.pix > 0
    guidance_inside = "guidance_encoder" in trainable
    music_inside = "music_encoder" in trainable
    module = StageModule(
        losses,
        stage.guidance_from,
        denoiser=model.denoiser() if uses_denoiser else None,
        guidance_encoder=model.guidance_encoder if guidance_inside else None,
        music_encoder=model.music_encoder if music_inside else None,
    ).train()
    need_frozen_guidance = not guidance_inside and (
        losses.guid > 0 or (uses_denoiser and stage.guidance_from == "maps")
    )
    need_frozen_music = not music_inside and uses_denoiser and stage.guidance_from == "music"
    frozen = FrozenParts(
        vae=model.vae.to(device=device, dtype=dtype).eval(),
        image_encoder=model.image_encoder.to(device=device, dtype=dtype).eval(),
        scheduler=model.scheduler,
        guidance_encoder=model.guidance_encoder.to(device=device, dtype=dtype).eval() if need_frozen_guidance else None,
        music_encoder=model.music_encoder.to(device=device, dtype=dtype).eval() if need_frozen_music else None,
        heatmap_size=model.music_encoder.config.get("spatial_size"),
    )
    needs_maps = losses.guid > 0 or (uses_denoiser and stage.guidance_from == "maps")
    spec = SampleSpec(
        frames=stage.frames or None,  # 0 → the whole clip
        image_size=model.config["image_size"],
        map_types=tuple(model.guidance_encoder.map_types) if needs_maps else (),
        need_frames=uses_denoiser,
        need_heatmaps=losses.heat > 0,
        feature_dim=model.music_encoder.config.feature_dim,
        heatmap_channels=model.music_encoder.config.get("heatmap_channels"),
    )
    if uses_denoiser and stage.frames > model.unet.config.motion_max_seq_length:
        raise ConfigError(
            f"stages.stage{cfg.stage}.frames = {stage.frames} exceeds the U-Net's motion_max_seq_length "
            f"{model.unet.config.motion_max_seq_length}; use fewer frames"
        )
    trained = {
        name: [key for key, param in getattr(model, name).named_parameters() if param.requires_grad]
        for name in ("unet", "reference_unet", "guidance_encoder", "music_encoder")
        if getattr(model, name) is not None and any(p.requires_grad for p in getattr(model, name).parameters())
    }
    return StageParts(module=module, frozen=frozen, spec=spec, trained=trained)
