"""Parameter counts and DeepSpeed's per-GPU memory estimates of every stage, without allocating weights.

The model is built on the meta device (shapes only). For each stage, the parameters DeepSpeed trains
(:func:`dancegen.train.build.set_trainable`) go through DeepSpeed's own estimators for ZeRO-2
(``estimate_zero2_model_states_mem_needs``) and ZeRO-3 (``estimate_zero3_model_states_mem_needs``), with
no CPU offload. DeepSpeed has no ZeRO-1 estimator; ZeRO-1 uses the same byte accounting with gradients
kept whole (16-bit params 2 B + 16-bit grads 2 B replicated, fp32 grads/params/Adam moments 16 B
partitioned). Frozen weights (VAE, CLIP, frozen parts of the U-Net and encoders) are added as 2 B per
parameter (bf16), replicated on every GPU. Activations are not included.
"""

from __future__ import annotations

from typing import Any

from dancegen.models.dancer import DanceModel
from dancegen.train.build import model_overrides, set_trainable
from dancegen.train.config import TrainConfig, load_train_config

GIB = 2**30


def _largest_trained_layer(networks) -> int:
    """Parameters of the largest single module (own parameters only) that has a trainable parameter."""
    largest = 0
    for network in networks:
        for module in network.modules():
            own = list(module.parameters(recurse=False))
            if any(p.requires_grad for p in own):
                largest = max(largest, sum(p.numel() for p in own))
    return largest


def zero1_model_states_bytes(trainable: int, gpus: int) -> int:
    """ZeRO-1 per-GPU bytes: 16-bit params and grads whole, fp32 master params, grads and moments partitioned."""
    return int(2 * trainable + 2 * trainable + 16 * trainable / gpus)


def stage_estimate(model: DanceModel, cfg: TrainConfig, gpus: int) -> dict[str, Any]:
    """Trainable/frozen parameter counts of ``cfg.stage`` and per-GPU bytes under ZeRO 1, 2, 3."""
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs

    set_trainable(model, cfg.current.trainable)
    networks = [c for c in model.components().values() if hasattr(c, "parameters")]
    params = [p for network in networks for p in network.parameters()]
    trainable = sum(p.numel() for p in params if p.requires_grad)
    frozen_bytes = 2 * sum(p.numel() for p in params if not p.requires_grad)
    _, zero2 = estimate_zero2_model_states_mem_needs(trainable, num_gpus_per_node=gpus, cpu_offload=False)
    _, zero3, _ = estimate_zero3_model_states_mem_needs(
        trainable, _largest_trained_layer(networks), num_gpus_per_node=gpus, cpu_offload=False, cpu_offload_params=False
    )
    per_gpu = {"zero1": zero1_model_states_bytes(trainable, gpus), "zero2": zero2, "zero3": zero3}
    return {
        "trainable_groups": list(cfg.current.trainable),
        "trainable_parameters": trainable,
        "frozen_parameters": sum(p.numel() for p in params if not p.requires_grad),
        "model_states_gib_per_gpu": {zero: round(b / GIB, 3) for zero, b in per_gpu.items()},
        "with_frozen_weights_gib_per_gpu": {zero: round((b + frozen_bytes) / GIB, 3) for zero, b in per_gpu.items()},
    }


def estimate_memory(preset: str = "paper", gpus: int = 8, cfg: TrainConfig | None = None) -> dict[str, Any]:
    """Parameter counts per component and the estimates of stages 0–3 for ``gpus`` GPUs on one node."""
    cfg = cfg or load_train_config(preset=preset)
    model = DanceModel.from_preset(cfg.model.preset, model_overrides(cfg), device="meta")
    stages = {}
    for stage in range(4):
        if stage == 1 and cfg.model.audio_encoder == "simple":
            continue  # the simple audio encoder has no stage 1
        stages[f"stage{stage}"] = stage_estimate(model, cfg.model_copy(update={"stage": stage}), gpus)
    return {
        "preset": cfg.model.preset,
        "gpus": gpus,
        "parameters": model.parameter_counts(),
        "stages": stages,
        "note": "model states only (params, grads, AdamW moments); add activations; DeepSpeed formulas, no offload",
    }
