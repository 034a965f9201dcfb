"""Load pretrained weights from local files: CHAMP's released checkpoints, the SD VAE and CLIP's image tower.

Nothing is downloaded; every path comes from config and a missing one is a
:class:`~dancegen.errors.WeightsError` naming the config key. CHAMP (Zhu et al., ECCV 2024) ships bare
``torch.save`` state dicts in one directory (config key ``weights.champ_dir``):

=================================  ==============================  =========================================
CHAMP file                         dancegen target                  key mapping
=================================  ==============================  =========================================
``denoising_unet.pth``             ``VideoUNet`` spatial part       identical (diffusers ``UNet2DConditionModel``
                                                                    names: ``conv_in.weight``,
                                                                    ``down_blocks.0.attentions.0...``); every
                                                                    non-``motion_modules`` key must be present
``motion_module.pth``              ``VideoUNet`` motion modules     AnimateDiff → diffusers: drop
                                                                    ``.temporal_transformer``;
                                                                    ``.attention_blocks.0/1`` → ``.attn1/2``;
                                                                    ``.norms.0/1`` → ``.norm1/2``;
                                                                    ``.ff_norm`` → ``.norm3``; the
                                                                    ``pos_encoder.pe`` sinusoid tables are
                                                                    dropped (diffusers rebuilds them)
``reference_unet.pth``             reference ``UNet2DConditionModel``  identical
``guidance_encoder_depth.pth``     ``encoders["depth"]``            ``conv_in.*``, ``blocks.{i}.*``,
``guidance_encoder_normal.pth``    ``encoders["normal"]``           ``conv_out.*`` identical;
``guidance_encoder_semantic_map``  ``encoders["semantic"]``         ``attentions.{2S-3}.*`` (the last one, the
``.pth``                                                            only one CHAMP's forward uses) →
``guidance_encoder_dwpose.pth``    ``encoders["skeleton"]``         ``attention.*``; the unused
                                                                    ``attentions.{0..2S-4}.*`` and
                                                                    ``guidance_attention.*`` are dropped
=================================  ==============================  =========================================

(S = number of channel stages, 4 in CHAMP, so the used attention is ``attentions.5``.) After mapping, the
key sets must match exactly and every shape must agree, else a WeightsError lists the missing and
unexpected keys. The VAE (``weights.vae``, e.g. sd-vae-ft-mse) and the CLIP image encoder
(``weights.image_encoder``) load with ``from_pretrained(local_files_only=True)`` from a diffusers /
transformers directory, or from its ``vae/`` / ``image_encoder/`` subfolder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from diffusers import AutoencoderKL
from torch import nn
from transformers import CLIPVisionModelWithProjection

from dancegen.errors import WeightsError
from dancegen.models.dancer import DanceModel

CHAMP_DENOISING_UNET = "denoising_unet.pth"
CHAMP_REFERENCE_UNET = "reference_unet.pth"
CHAMP_MOTION_MODULE = "motion_module.pth"
CHAMP_GUIDANCE_FILES = {
    "depth": "guidance_encoder_depth.pth",
    "normal": "guidance_encoder_normal.pth",
    "semantic": "guidance_encoder_semantic_map.pth",
    "skeleton": "guidance_encoder_dwpose.pth",
}
_MOTION_RENAMES = (
    (".temporal_transformer.", "."),
    (".attention_blocks.0.", ".attn1."),
    (".attention_blocks.1.", ".attn2."),
    (".norms.0.", ".norm1."),
    (".norms.1.", ".norm2."),
    (".ff_norm.", ".norm3."),
)


def read_checkpoint(path: Path, config_key: str) -> dict[str, torch.Tensor]:
    """A ``torch.save``-d state dict (name → tensor) read on the CPU with ``weights_only=True``."""
    if not path.is_file():
        raise WeightsError(f"{config_key}: {path} does not exist; put CHAMP's {path.name} there or fix {config_key}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file; torch raises several types
        raise WeightsError(f"{config_key}: {path} is not a readable torch checkpoint ({type(exc).__name__})") from None
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{config_key}: {path} must hold a state dict of tensors (CHAMP's bare layout)")
    return dict(state)


def motion_state_from_animatediff(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """AnimateDiff/CHAMP motion-module keys → diffusers ``UNetMotionModel`` keys (see module docstring)."""
    mapped = {}
    for key, value in state.items():
        if ".pos_encoder." in key:
            continue
        for old, new in _MOTION_RENAMES:
            key = key.replace(old, new)
        mapped[key] = value
    return mapped


def guidance_state_from_champ(state: Mapping[str, torch.Tensor], num_stages: int) -> dict[str, torch.Tensor]:
    """One CHAMP ``GuidanceEncoder`` state dict → one :class:`~dancegen.models.guidance_encoder.MapEncoder`'s."""
    used = 2 * (num_stages - 1) - 1
    mapped = {}
    for key, value in state.items():
        match = re.match(r"attentions\.(\d+)\.(.*)", key)
        if match and int(match.group(1)) == used:
            mapped[f"attention.{match.group(2)}"] = value
        elif not (match or key.startswith("guidance_attention.")):
            mapped[key] = value
    return mapped


def load_exact(
    module: nn.Module,
    state: Mapping[str, torch.Tensor],
    source: str,
    keep: Callable[[str], bool] = lambda key: True,
) -> None:
    """Load ``state`` into the entries of ``module.state_dict()`` whose names pass ``keep``; the key sets
    must be equal and the shapes must agree, else a WeightsError names ``source`` and the differences."""
    expected = {k: v for k, v in module.state_dict().items() if keep(k)}
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise WeightsError(
            f"{source}: key layout does not match {type(module).__name__}: {len(missing)} missing "
            f"(e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]}); "
            f"is it the right file for this config?"
        )
    for key, value in state.items():
        if value.shape != expected[key].shape:
            raise WeightsError(
                f"{source}: {key} has shape {tuple(value.shape)}, the model expects {tuple(expected[key].shape)}; "
                f"the checkpoint was made for another model size"
            )
    module.load_state_dict(state, strict=False)


def load_champ_weights(model: DanceModel, champ_dir: str | Path, config_key: str = "weights.champ_dir") -> list[str]:
    """Load CHAMP's released checkpoints into ``model`` in place; return the file names read.

    Reads the denoising U-Net, motion module, reference U-Net (when the model has one) and one guidance
    encoder per configured map type. The music encoder, VAE and image encoder are untouched.
    """
    root = Path(champ_dir)
    if not root.is_dir():
        raise WeightsError(f"{config_key}: CHAMP checkpoint directory {root} does not exist; set {config_key}")

    def is_motion(key: str) -> bool:
        return ".motion_modules." in key

    read: list[str] = []
    path = root / CHAMP_DENOISING_UNET
    load_exact(model.unet, read_checkpoint(path, config_key), str(path), keep=lambda k: not is_motion(k))
    read.append(path.name)

    path = root / CHAMP_MOTION_MODULE
    motion = motion_state_from_animatediff(read_checkpoint(path, config_key))
    load_exact(model.unet, motion, str(path), keep=lambda k: is_motion(k) and not k.endswith(".pos_embed.pe"))
    read.append(path.name)

    if model.reference_unet is not None:
        path = root / CHAMP_REFERENCE_UNET
        load_exact(model.reference_unet, read_checkpoint(path, config_key), str(path))
        read.append(path.name)

    num_stages = len(model.guidance_encoder.config.block_out_channels)
    for map_type in model.guidance_encoder.map_types:
        path = root / CHAMP_GUIDANCE_FILES[map_type]
        state = guidance_state_from_champ(read_checkpoint(path, config_key), num_stages)
        load_exact(model.guidance_encoder.encoders[map_type], state, str(path))
        read.append(path.name)
    return read


def _local_dir(path: str | Path, config_key: str, subfolder: str, config_file: str) -> Path:
    """``path`` itself or ``path/subfolder``, whichever holds ``config_file``."""
    root = Path(path)
    for candidate in (root, root / subfolder):
        if (candidate / config_file).is_file():
            return candidate
    raise WeightsError(
        f"{config_key}: {root} has no {config_file} (nor {subfolder}/{config_file}); "
        f"point {config_key} at a local {subfolder} directory"
    )


def load_vae(path: str | Path, config_key: str = "weights.vae") -> AutoencoderKL:
    """The SD VAE from a local diffusers directory, frozen and in eval mode."""
    vae = AutoencoderKL.from_pretrained(_local_dir(path, config_key, "vae", "config.json"), local_files_only=True)
    return vae.requires_grad_(False).eval()


def load_image_encoder(path: str | Path, config_key: str = "weights.image_encoder") -> CLIPVisionModelWithProjection:
    """CLIP's image tower with projection from a local transformers directory, frozen and in eval mode."""
    directory = _local_dir(path, config_key, "image_encoder", "config.json")
    encoder = CLIPVisionModelWithProjection.from_pretrained(directory, local_files_only=True)
    return encoder.requires_grad_(False).eval()
