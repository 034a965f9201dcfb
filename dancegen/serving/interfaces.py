"""The tensor interfaces of the three served models: one source for the configs, the model checks and the clients.

==================  ==========================================================================================
model               what it does
==================  ==========================================================================================
``music_features``  encoded audio file → EDGE 35-d features at a frame rate (+ the decoded mono samples)
``m2penc``          features → pose guidance + keypoint heatmaps (M2PEnc, paper §3.2); dynamic batching
``dance_video``     BLS: audio + photo + settings → mp4 bytes; calls the two above, diffusion in-process
==================  ==========================================================================================

Shapes are written without the batch dimension (Triton's ``dims``); ``-1`` is any length. ``m2penc`` is
batched (``max_batch_size > 0``), so its clients add a leading batch dimension ``B``. Dtypes are Triton's
wire names (``BYTES`` is ``TYPE_STRING`` in ``config.pbtxt``). :func:`interfaces_markdown` renders the table
the README shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

MUSIC_FEATURES, M2PENC, DANCE_VIDEO = "music_features", "m2penc", "dance_video"
MODEL_NAMES = (MUSIC_FEATURES, M2PENC, DANCE_VIDEO)

# tensor names
AUDIO, FPS, SECONDS = "AUDIO", "FPS", "SECONDS"
FEATURES, SAMPLES, SAMPLE_RATE = "FEATURES", "SAMPLES", "SAMPLE_RATE"
GUIDANCE, HEATMAPS = "GUIDANCE", "HEATMAPS"
IMAGE, STEPS, SEED, GUIDANCE_SCALE = "IMAGE", "STEPS", "SEED", "GUIDANCE_SCALE"
VIDEO, PROGRESS = "VIDEO", "PROGRESS"

EDGE_FEATURE_DIM = 35  # dancegen.infer.music extracts EDGE's 35-d librosa features
NUMPY_DTYPES = {"FP32": np.float32, "INT32": np.int32, "INT64": np.int64, "BYTES": np.object_}


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: Triton wire dtype (``FP32``, ``INT32``, ``INT64``, ``BYTES``) and dims without the
    batch dimension (``-1`` = any length)."""

    name: str
    dtype: str
    dims: tuple[int, ...]
    description: str
    optional: bool = False
    length: str = "N"  # what the README calls a -1 dim

    @property
    def config_dtype(self) -> str:
        """The ``data_type`` of ``config.pbtxt`` (``TYPE_FP32``, ``TYPE_STRING`` for BYTES, …)."""
        return "TYPE_STRING" if self.dtype == "BYTES" else f"TYPE_{self.dtype}"

    @property
    def numpy_dtype(self) -> type:
        return NUMPY_DTYPES[self.dtype]


@dataclass(frozen=True)
class ParameterSpec:
    """A tunable of ``config.pbtxt`` ``parameters`` (stored as a string; parsed with ``kind``)."""

    name: str
    kind: type
    default: Any
    description: str


@dataclass(frozen=True)
class ModelInterface:
    """A served model: its tensors, whether it is batched (leading ``B`` on every tensor) and its tunables."""

    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    batched: bool
    parameters: tuple[ParameterSpec, ...]
    description: str

    def tensor(self, name: str) -> TensorSpec:
        for spec in (*self.inputs, *self.outputs):
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name} has no tensor {name!r}")


_THREADS = ParameterSpec("torch_threads", int, 0, "torch intra-op threads per instance (0 = torch's default)")


def music_features_interface() -> ModelInterface:
    return ModelInterface(
        name=MUSIC_FEATURES,
        inputs=(
            TensorSpec(AUDIO, "BYTES", (1,), "the whole audio file (wav, flac, mp3, ogg, m4a)"),
            TensorSpec(FPS, "FP32", (1,), "feature frame rate [default_fps = 30, EDGE's rate]", optional=True),
            TensorSpec(SECONDS, "FP32", (1,), "length to cover, ≤ the music's [the whole music]", optional=True),
        ),
        outputs=(
            TensorSpec(FEATURES, "FP32", (-1, EDGE_FEATURE_DIM), "N = round(seconds·FPS) frames of EDGE features"),
            TensorSpec(SAMPLES, "FP32", (-1,), "the decoded music, mono in [-1, 1]", length="T"),
            TensorSpec(SAMPLE_RATE, "INT32", (1,), "sample rate of SAMPLES in Hz"),
        ),
        batched=False,
        parameters=(
            ParameterSpec("max_seconds", float, 600.0, "longest audio accepted, in seconds"),
            ParameterSpec("max_bytes", int, 100_000_000, "largest encoded audio file accepted"),
            ParameterSpec("default_fps", float, 30.0, "FPS when the request has none"),
        ),
        description="encoded audio → EDGE 35-d music features",
    )


def m2penc_interface(m2penc_config: Mapping[str, Any]) -> ModelInterface:
    """Dims come from the M2PEnc config (``feature_dim``, ``guidance_channels``/``_size``, ``heatmap_channels``,
    ``spatial_size``)."""
    cfg = m2penc_config
    guidance = (-1, cfg["guidance_channels"], cfg["guidance_size"], cfg["guidance_size"])
    heatmaps = (-1, cfg["heatmap_channels"], cfg["spatial_size"], cfg["spatial_size"])
    return ModelInterface(
        name=M2PENC,
        inputs=(
            TensorSpec(FEATURES, "FP32", (-1, cfg["feature_dim"]), f"F ≤ {cfg['max_frames']} frames of music features"),
        ),
        outputs=(
            TensorSpec(GUIDANCE, "FP32", guidance, "pose guidance per frame (the U-Net latent grid)"),
            TensorSpec(HEATMAPS, "FP32", heatmaps, "keypoint heatmaps per frame, one per body joint"),
        ),
        batched=True,
        parameters=(
            _THREADS,
            ParameterSpec("torchscript", int, 1, "1 = run M2PEnc as a TorchScript trace (checked at load), 0 = eager"),
        ),
        description="music features → pose guidance + keypoint heatmaps (M2PEnc, paper §3.2)",
    )


def dance_video_interface(stream_progress: bool = False) -> ModelInterface:
    """``stream_progress`` makes the model decoupled: PROGRESS responses in [0, 1], then one with VIDEO."""
    from dancegen.infer.options import DEFAULT_GUIDANCE_SCALE, DEFAULT_STEPS

    outputs = (TensorSpec(VIDEO, "BYTES", (1,), "H.264 + AAC mp4 with the music"),)
    if stream_progress:
        outputs += (TensorSpec(PROGRESS, "FP32", (1,), "fraction of denoising steps done (streamed)"),)
    return ModelInterface(
        name=DANCE_VIDEO,
        inputs=(
            TensorSpec(AUDIO, "BYTES", (1,), "the whole music file"),
            TensorSpec(IMAGE, "BYTES", (1,), "the reference photo (PNG or JPEG)"),
            TensorSpec(SECONDS, "FP32", (1,), "video length [the music's]", optional=True),
            TensorSpec(STEPS, "INT32", (1,), f"DDIM steps per segment [{DEFAULT_STEPS}]", optional=True),
            TensorSpec(SEED, "INT64", (1,), "seed of the initial noise [0]", optional=True),
            TensorSpec(
                GUIDANCE_SCALE, "FP32", (1,), f"reference guidance scale [{DEFAULT_GUIDANCE_SCALE}]", optional=True
            ),
        ),
        outputs=outputs,
        batched=False,
        parameters=(
            _THREADS,
            ParameterSpec("default_steps", int, DEFAULT_STEPS, "STEPS when the request has none"),
            ParameterSpec("default_guidance_scale", float, DEFAULT_GUIDANCE_SCALE, "GUIDANCE_SCALE when absent"),
            ParameterSpec("max_steps", int, 200, "largest STEPS accepted"),
            ParameterSpec("max_video_seconds", float, 120.0, "longest video generated per request"),
        ),
        description="BLS: music + photo → dance video mp4 (calls music_features and m2penc)",
    )


def serving_interfaces(m2penc_config: Mapping[str, Any], stream_progress: bool = False) -> dict[str, ModelInterface]:
    """All three interfaces for a model whose M2PEnc has ``m2penc_config``."""
    return {
        MUSIC_FEATURES: music_features_interface(),
        M2PENC: m2penc_interface(m2penc_config),
        DANCE_VIDEO: dance_video_interface(stream_progress),
    }


def _shape(spec: TensorSpec, batched: bool) -> str:
    """The shape a client sends: ``[B, F, 35]`` for batched m2penc, ``[N, 35]`` otherwise."""
    length = "F" if batched else spec.length
    dims = (["B"] if batched else []) + [length if d == -1 else str(d) for d in spec.dims]
    return "[" + ", ".join(dims) + "]"


def interfaces_markdown(interfaces: Mapping[str, ModelInterface]) -> str:
    """A Markdown table per model: tensor, direction, dtype, shape as a client sends it, meaning."""
    lines = []
    for model in interfaces.values():
        lines += [f"**`{model.name}`**: {model.description}.", ""]
        lines += ["| tensor | in/out | dtype | shape | meaning |", "|---|---|---|---|---|"]
        for direction, specs in (("in", model.inputs), ("out", model.outputs)):
            for spec in specs:
                optional = " (optional)" if spec.optional else ""
                lines.append(
                    f"| `{spec.name}` | {direction}{optional} | {spec.dtype} | {_shape(spec, model.batched)} "
                    f"| {spec.description} |"
                )
        if model.parameters:
            names = ", ".join(f"`{p.name}` [{p.default}]" for p in model.parameters)
            lines += ["", f"Parameters (`config.pbtxt`): {names}."]
        lines.append("")
    return "\n".join(lines)
