"""Model presets: the constructor arguments of every :class:`~dancegen.models.DanceModel` component.

A preset is a plain JSON-able dict (one sub-dict of constructor arguments per component plus a few
top-level choices), read by :meth:`DanceModel.from_config`:

- ``tiny``: CPU-sized, for tests and the demo: 64×64 frames → 16×16 latents (a 3-level VAE, ÷4: at ÷8 a
  VAE trained for minutes on CPU loses the 1–2-pixel limbs of a 64-px dancer), 8–32 channels, 2 heads,
  35-d EDGE/librosa music features, up to 16 frames. Every component builds in well under a second.
- ``paper``: the paper's model (§3.3, §4.1). SD-1.5's U-Net (block widths 320/640/1280/1280, 2 layers per
  block, 8 heads, cross-attention 768) inflated with CHAMP's AnimateDiff motion modules (8 heads, 32
  frames, a mid-block module), the SD VAE, CLIP ViT-L/14's image tower, CHAMP's guidance encoders
  (16/32/96/256 → 320) and M2PEnc on 4800-d Jukebox features with S = 64; 640×640 frames (80×80
  latents, so M2PEnc's 64×64 guidance is resampled to 80×80). The scheduler is CHAMP's: DDIM with
  zero-terminal-SNR betas, trailing spacing and v-prediction. Build it on the meta device to inspect it
  without allocating weights (``DanceModel.from_preset("paper", device="meta")``).
"""

from __future__ import annotations

import copy
from typing import Any

from dancegen.errors import ConfigError

_SCHEDULER = {
    # CHAMP's noise schedule (configs/inference/inference.yaml with enable_zero_snr: true).
    "_class_name": "DDIMScheduler",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "linear",
    "steps_offset": 1,
    "clip_sample": False,
    "rescale_betas_zero_snr": True,
    "timestep_spacing": "trailing",
    "prediction_type": "v_prediction",
}

_SD_UNET_BLOCKS = {
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}

_ALL_MAPS = ["depth", "normal", "semantic", "skeleton"]

TINY: dict[str, Any] = {
    "image_size": 64,
    "num_frames": 4,
    "music_encoder": "m2penc",  # or "simple_audio_encoder" (the §4.4 ablation)
    "use_reference_unet": True,
    "guidance_encoder": {
        "map_types": _ALL_MAPS,
        "in_channels": 3,
        "block_out_channels": [8, 16, 32],  # ÷4, as the VAE
        "guidance_channels": 16,
        "num_attention_heads": 2,
        "norm_num_groups": 8,
    },
    "m2penc": {
        "feature_dim": 35,
        "spatial_size": 16,
        "block_out_channels": [8, 16],
        "num_attention_heads": 2,
        "norm_num_groups": 4,
        "max_frames": 16,
        "guidance_channels": 16,
        "guidance_size": 16,
        "heatmap_channels": 24,
    },
    "simple_audio_encoder": {
        "feature_dim": 35,
        "hidden_dim": 32,
        "spatial_size": 16,
        "block_out_channels": [8],
        "guidance_channels": 16,
        "guidance_size": 16,
    },
    "unet": {
        "sample_size": 16,
        "in_channels": 4,
        "out_channels": 4,
        "block_out_channels": [16, 32],
        "layers_per_block": 1,
        "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
        "cross_attention_dim": 32,
        "attention_head_dim": 2,  # diffusers' SD naming: this is the number of heads
        "norm_num_groups": 8,
    },
    "motion_adapter": {
        "block_out_channels": [16, 32],
        "motion_layers_per_block": 1,
        "motion_num_attention_heads": 2,
        "motion_norm_num_groups": 8,
        "motion_max_seq_length": 16,
        "use_motion_mid_block": True,
    },
    "vae": {  # trained in stage 0 (config ``vae``), then frozen; its scaling_factor is set from the data
        "in_channels": 3,
        "out_channels": 3,
        "down_block_types": ["DownEncoderBlock2D"] * 3,
        "up_block_types": ["UpDecoderBlock2D"] * 3,
        "block_out_channels": [16, 32, 32],
        "layers_per_block": 1,
        "latent_channels": 4,
        "norm_num_groups": 8,
        "sample_size": 64,
    },
    "image_encoder": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": 32,
        "patch_size": 8,
        "projection_dim": 32,
    },
    "scheduler": _SCHEDULER,
}

PAPER: dict[str, Any] = {
    "image_size": 640,
    "num_frames": 24,
    "music_encoder": "m2penc",
    "use_reference_unet": True,
    "guidance_encoder": {
        "map_types": _ALL_MAPS,
        "in_channels": 3,
        "block_out_channels": [16, 32, 96, 256],
        "guidance_channels": 320,
        "num_attention_heads": 8,
        "norm_num_groups": 32,
    },
    "m2penc": {
        "feature_dim": 4800,  # Jukebox
        "spatial_size": 64,
        "block_out_channels": [64, 128, 256],
        "num_attention_heads": 8,
        "norm_num_groups": 32,
        "max_frames": 128,  # stage 1 trains on 75-frame sequences
        "guidance_channels": 320,
        "guidance_size": 80,
        "heatmap_channels": 24,
    },
    "simple_audio_encoder": {
        "feature_dim": 4800,
        "hidden_dim": 1024,
        "spatial_size": 64,
        "block_out_channels": [64, 128],
        "guidance_channels": 320,
        "guidance_size": 80,
    },
    "unet": {
        "sample_size": 80,
        "in_channels": 4,
        "out_channels": 4,
        "block_out_channels": [320, 640, 1280, 1280],
        "layers_per_block": 2,
        **_SD_UNET_BLOCKS,
        "cross_attention_dim": 768,
        "attention_head_dim": 8,
        "norm_num_groups": 32,
    },
    "motion_adapter": {
        "block_out_channels": [320, 640, 1280, 1280],
        "motion_layers_per_block": 2,
        "motion_num_attention_heads": 8,
        "motion_norm_num_groups": 32,
        "motion_max_seq_length": 32,
        "use_motion_mid_block": True,
    },
    "vae": {
        "in_channels": 3,
        "out_channels": 3,
        "down_block_types": ["DownEncoderBlock2D"] * 4,
        "up_block_types": ["UpDecoderBlock2D"] * 4,
        "block_out_channels": [128, 256, 512, 512],
        "layers_per_block": 2,
        "latent_channels": 4,
        "norm_num_groups": 32,
        "sample_size": 640,
        "scaling_factor": 0.18215,
    },
    "image_encoder": {  # CLIP ViT-L/14 vision tower
        "hidden_size": 1024,
        "intermediate_size": 4096,
        "num_hidden_layers": 24,
        "num_attention_heads": 16,
        "image_size": 224,
        "patch_size": 14,
        "projection_dim": 768,
        "hidden_act": "quick_gelu",
    },
    "scheduler": _SCHEDULER,
}

MODEL_PRESETS: dict[str, dict[str, Any]] = {"tiny": TINY, "paper": PAPER}


def model_preset(name: str) -> dict[str, Any]:
    """A deep copy of preset ``name`` (``"tiny"`` or ``"paper"``), safe to modify."""
    if name not in MODEL_PRESETS:
        raise ConfigError(f"model preset {name!r} does not exist; use one of {sorted(MODEL_PRESETS)}")
    return copy.deepcopy(MODEL_PRESETS[name])
