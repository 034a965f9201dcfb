"""The trainable networks of the framework (paper §3.2–3.3), one architecture per file.

- :mod:`~dancegen.models.guidance_encoder`: CHAMP-style encoder of rendered pose maps (DNS / P / PDNS).
- :mod:`~dancegen.models.m2penc`: M2PEnc, music features → pose guidance + keypoint heatmaps (§3.2).
- :mod:`~dancegen.models.simple_audio_encoder`: the §4.4 ablation baseline.
- :mod:`~dancegen.models.video_unet`: the denoising 3-D U-Net with guidance after ``conv_in`` (§3.3).
- :mod:`~dancegen.models.reference_net`: VAE/CLIP reference encoding and ReferenceNet attention (§3.3).
- :mod:`~dancegen.models.denoiser`: one denoising step (reference U-Net + video U-Net).
- :mod:`~dancegen.models.dancer`: :class:`DanceModel`, every component in the diffusers folder layout.
- :mod:`~dancegen.models.presets`: ``tiny`` and ``paper`` model configs.
- :mod:`~dancegen.models.champ_weights`: CHAMP / SD-VAE / CLIP pretrained weights from local paths.

Schedulers are diffusers' and live beside the models in :class:`DanceModel`; no model owns a sampler.
"""

from dancegen.models.champ_weights import (
    CHAMP_GUIDANCE_FILES,
    guidance_state_from_champ,
    load_champ_weights,
    load_image_encoder,
    load_vae,
    motion_state_from_animatediff,
)
from dancegen.models.checks import ModelConfigError, ModelInputError
from dancegen.models.dancer import DanceModel, check_model_config, count_parameters
from dancegen.models.denoiser import DanceDenoiser
from dancegen.models.guidance_encoder import (
    GUIDANCE_MAP_TYPES,
    GUIDANCE_SETUPS,
    GuidanceEncoder,
    GuidanceEncoderOutput,
    guidance_map_types,
)
from dancegen.models.layers import InflatedConv3d, SpatioTemporalAttention, zero_module
from dancegen.models.m2penc import M2PEnc, M2PEncOutput
from dancegen.models.presets import MODEL_PRESETS, model_preset
from dancegen.models.reference_net import (
    ReferenceBank,
    ReferenceContext,
    ReferenceReadProcessor,
    ReferenceWriteProcessor,
    attach_reference_attention,
    encode_reference,
)
from dancegen.models.simple_audio_encoder import SimpleAudioEncoder, SimpleAudioEncoderOutput
from dancegen.models.video_unet import VideoUNet

__all__ = [
    "CHAMP_GUIDANCE_FILES",
    "GUIDANCE_MAP_TYPES",
    "GUIDANCE_SETUPS",
    "MODEL_PRESETS",
    "DanceDenoiser",
    "DanceModel",
    "GuidanceEncoder",
    "GuidanceEncoderOutput",
    "InflatedConv3d",
    "M2PEnc",
    "M2PEncOutput",
    "ModelConfigError",
    "ModelInputError",
    "ReferenceBank",
    "ReferenceContext",
    "ReferenceReadProcessor",
    "ReferenceWriteProcessor",
    "SimpleAudioEncoder",
    "SimpleAudioEncoderOutput",
    "SpatioTemporalAttention",
    "VideoUNet",
    "attach_reference_attention",
    "check_model_config",
    "count_parameters",
    "encode_reference",
    "guidance_map_types",
    "guidance_state_from_champ",
    "load_champ_weights",
    "load_image_encoder",
    "load_vae",
    "model_preset",
    "motion_state_from_animatediff",
    "zero_module",
]
