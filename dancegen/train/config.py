"""The training config (paper §3.4, §4.1): one typed model, layered defaults → preset → YAML → CLI overrides.

Stages are config, not code. ``stages.stageN`` says which parameter groups train, where the U-Net's pose
guidance comes from, which losses with which weights, how many frames a sample has and how long to train:

=====  ==================================  ===========  =========================  ==========  ============
stage  trainable groups                    guidance     losses                     frames      paper steps
=====  ==================================  ===========  =========================  ==========  ============
0      guidance_encoder, unet_spatial,     maps         pix 1                      1           (CHAMP's)
       reference_unet
1      music_encoder                       —            guid 1 (L1, eq. 1),        whole clip  20K × 24
                                                        heat 1 (MSE)
2      unet_spatial, reference_unet        music        pix 1                      1           60K × 32
3      unet_temporal, music_encoder        music        pix 0.5, guid 0.5 (eq. 4)  24          20 × 8
=====  ==================================  ===========  =========================  ==========  ============

``pix`` is the diffusion loss: the MSE between the U-Net's prediction and the scheduler's target (the noise
for ``epsilon`` schedulers, the velocity for CHAMP's ``v_prediction`` one). The paper's eq. 3 writes it as a
pixel MSE between frames; latent diffusion trains with the noise-prediction form, which is what it denotes.
``heat`` is the MSE between predicted and SDGPip heatmaps: §3.2 says "optimized via MSE loss" while the
printed eq. 2 is garbled (``exp(k̂)/HWC − k``), so the text's MSE is used.

Ablations (paper §4.4): ``model.audio_encoder: simple`` swaps M2PEnc for the Simple Audio Encoder, which has
no stage 1, trains with the U-Net in stage 2 and drops L_guid in stage 3 (the paper also ran stage 2 for 20K
more steps: set ``stages.stage2.max_steps``); ``data.motion_sources: [aist]`` leaves out the pseudo-motions;
``model.guidance_types`` picks DNS, P or PDNS maps. ``trainable``, ``guidance_from``, ``losses`` and ``frames`` left
unset resolve to the table above (for the chosen audio encoder), and the resolved values are what
checkpoints record. ``frames: 0`` means the whole clip.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, model_validator

from dancegen.config import StrictModel, build_config, parse_overrides, read_yaml
from dancegen.errors import ConfigError

TRAINABLE_GROUPS = ("guidance_encoder", "music_encoder", "unet_spatial", "unet_temporal", "reference_unet")
"""Parameter groups a stage can train. ``unet_temporal`` = the motion modules, ``unet_spatial`` = the rest."""

TrainableGroup = Literal["guidance_encoder", "music_encoder", "unet_spatial", "unet_temporal", "reference_unet"]


class LossWeights(StrictModel):
    """Weights of the three losses; 0 switches a loss off."""

    pix: float = Field(default=0.0, ge=0, description="diffusion (noise/v-prediction MSE) loss, paper's L_pix")
    guid: float = Field(default=0.0, ge=0, description="L1 guidance loss vs the guidance encoder's features (eq. 1)")
    heat: float = Field(default=0.0, ge=0, description="heatmap MSE vs SDGPip's joint heatmaps")


class StageConfig(StrictModel):
    """One training stage. ``micro_batch_size`` is per process; the global batch is
    micro_batch_size × grad_accum_steps × world size."""

    trainable: list[TrainableGroup] | None = Field(default=None, description="None → the stage's paper default")
    guidance_from: Literal["maps", "music", "none"] | None = Field(default=None, description="None → stage default")
    losses: LossWeights | None = Field(default=None, description="None → the stage's paper default")
    frames: int | None = Field(default=None, ge=0, description="target frames per sample, 0 = the whole clip")
    micro_batch_size: int = Field(default=1, ge=1)
    grad_accum_steps: int = Field(default=1, ge=1)
    max_steps: int = Field(default=10, ge=1)
    lr: float | None = Field(default=None, gt=0, description="None → optim.lr")


class VaeTrainingConfig(StrictModel):
    """The VAE phase: stage 0 first trains the model's own VAE when no pretrained one is given.

    The paper freezes SD's pretrained VAE throughout (§3.3; ``weights.vae``). Without one (the tiny preset:
    no weights can be had offline) every latent would be noise, so stage 0 starts by training the preset's
    AutoencoderKL on the dataset's frames, loss ``l1·|x̂ − x| + mse·(x̂ − x)² + kl·KL(q(z|x) ‖ N(0, I))`` with
    the posterior sampled and the body's pixels (SDGPip's rendered silhouette: a few % of a frame, but all
    of the pose) weighted ``1 + body_weight`` against the background's 1 (normalised to mean 1). It then
    sets the VAE's ``scaling_factor`` to 1 / std of the latents (how SD got 0.18215) and freezes it. A new
    VAE's posterior std is ≈ 1, as large as its means, and a short run would spend its steps shrinking it,
    so ``init_logvar`` starts it small. The denoiser then trains in that latent space, the VAE is exported
    with the model and no later stage trains it. The phase runs ``min(max_steps, stages.stage0.max_steps)``
    steps (a short stage-0 smoke run stays short), only in stage 0, and never when ``weights.vae``,
    ``init_from`` or ``weights.champ_dir`` provide a trained VAE. Its result is ``<out>/vae/model``; stage 0
    resumed with ``--resume auto`` loads it from there (a run interrupted during the phase runs it again).
    """

    max_steps: int = Field(default=0, ge=0, description="0 = no VAE phase (keep the VAE as built or given)")
    micro_batch_size: int = Field(default=8, ge=1, description="frames per step and process, one per clip")
    grad_accum_steps: int = Field(default=1, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    l1: float = Field(default=1.0, ge=0, description="weight of the L1 reconstruction loss")
    mse: float = Field(default=1.0, ge=0, description="weight of the MSE reconstruction loss")
    kl: float = Field(default=1e-6, ge=0, description="weight of the KL term (summed over latent elements)")
    body_weight: float = Field(
        default=0.0, ge=0, description="extra reconstruction weight of body pixels (the semantic map's silhouette)"
    )
    init_logvar: float | None = Field(
        default=-6.0, description="start the posterior's log-variance here (None: as built, ≈ 0, i.e. std 1)"
    )
    scale_batches: int = Field(default=4, ge=1, description="batches whose latent std sets scaling_factor")

    @model_validator(mode="after")
    def _some_reconstruction(self) -> VaeTrainingConfig:
        if self.max_steps and self.l1 == self.mse == 0:
            raise ValueError("vae.l1 and vae.mse are both 0: give a reconstruction loss a positive weight")
        return self


class StagesConfig(StrictModel):
    stage0: StageConfig = StageConfig()
    stage1: StageConfig = StageConfig()
    stage2: StageConfig = StageConfig()
    stage3: StageConfig = StageConfig()


class ModelChoice(StrictModel):
    """Which model is built (from ``init_from``, CHAMP weights or the preset) and the ablation switches."""

    preset: Literal["tiny", "paper"] = "tiny"
    audio_encoder: Literal["m2penc", "simple"] = "m2penc"
    guidance_types: Literal["DNS", "P", "PDNS"] = "PDNS"
    overrides: dict[str, Any] = Field(default_factory=dict, description="nested model-preset keys to change")


class WeightsConfig(StrictModel):
    """Pretrained weights (local paths or s3:// URIs); nothing is downloaded from the internet."""

    champ_dir: str | None = Field(default=None, description="CHAMP's released checkpoints: stage 0 is skipped")
    vae: str | None = Field(default=None, description="SD VAE directory (diffusers layout)")
    image_encoder: str | None = Field(default=None, description="CLIP image encoder directory (transformers)")


class DataConfig(StrictModel):
    path: str = Field(default="", description="SDGPip dataset directory or s3:// prefix")
    split: Literal["train", "val", "test"] = "train"
    motion_sources: list[str] | None = Field(default=None, description="keep clips whose meta 'motion' is listed")
    rank_split: Literal["samples", "shards"] = Field(
        default="samples", description="ranks take every W-th sample (all read every shard) or every W-th shard"
    )
    prefetch_batches: int = Field(default=2, ge=0, description="batches decoded ahead in a background thread")
    overfit_batches: int = Field(default=0, ge=0, description="debug: train on the first N batches over and over")
    cache_mb: int = Field(
        default=0, ge=0, description="decoded clips (resized to the model's size) kept in memory per process, MB"
    )


class OptimConfig(StrictModel):
    """AdamW (paper §4.1: lr 1e-5)."""

    lr: float = Field(default=1e-5, gt=0)
    weight_decay: float = Field(default=1e-2, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = Field(default=1e-8, gt=0)
    grad_clip: float = Field(default=1.0, ge=0, description="global gradient-norm clip; 0 = off")
    warmup_steps: int = Field(default=0, ge=0)


class DeepSpeedConfig(StrictModel):
    zero_stage: Literal[1, 2, 3] = 2
    precision: Literal["auto", "fp32", "bf16"] = Field(default="auto", description="auto: bf16 on GPU, fp32 on CPU")
    torch_adam: bool = Field(default=True, description="torch's AdamW instead of DeepSpeed's JIT-compiled fused Adam")
    extra: dict[str, Any] = Field(default_factory=dict, description="merged into the DeepSpeed JSON config last")


class CheckpointConfig(StrictModel):
    every: int = Field(default=500, ge=1, description="save a resumable checkpoint every N optimizer steps")
    keep: int = Field(default=2, ge=1, description="newest checkpoints kept locally")


class LogConfig(StrictModel):
    every: int = Field(default=10, ge=1, description="log metrics every N steps")
    sample_every: int = Field(default=500, ge=1, description="write a sample grid PNG every N steps")
    sample_rows: int = Field(default=2, ge=1)
    tracker: Literal["none", "files", "mlflow"] = "none"  # mlflow: MLFLOW_TRACKING_URI or the local stack
    experiment: str = Field(default="dancegen", description="MLflow experiment of the run (tracker: mlflow)")
    progress: bool = True


class TrainConfig(StrictModel):
    """Everything a training run needs; saved (resolved) in every checkpoint and exported model."""

    stage: Literal[0, 1, 2, 3] = 0
    out: str = Field(default="", description="run directory or s3:// prefix")
    init_from: str | None = Field(default=None, description="the previous stage's exported model directory")
    seed: int = 0
    model: ModelChoice = ModelChoice()
    weights: WeightsConfig = WeightsConfig()
    data: DataConfig = DataConfig()
    stages: StagesConfig = StagesConfig()
    vae: VaeTrainingConfig = VaeTrainingConfig()
    optim: OptimConfig = OptimConfig()
    deepspeed: DeepSpeedConfig = DeepSpeedConfig()
    checkpoint: CheckpointConfig = CheckpointConfig()
    log: LogConfig = LogConfig()

    @model_validator(mode="after")
    def _resolve_stages(self) -> TrainConfig:
        simple = self.model.audio_encoder == "simple"
        for number in range(4):
            stage: StageConfig = getattr(self.stages, f"stage{number}")
            if stage.trainable is None:
                stage.trainable = list(default_trainable(number, simple))
            if stage.losses is None:
                stage.losses = default_losses(number, simple)
            if stage.guidance_from is None:
                stage.guidance_from = ("maps", "none", "music", "music")[number]
            if stage.frames is None:
                stage.frames = (1, 0, 1, 4)[number]
        return self

    @property
    def current(self) -> StageConfig:
        """The config of the stage being trained."""
        return getattr(self.stages, f"stage{self.stage}")

    @property
    def music_encoder_name(self) -> str:
        """The model preset's name of the configured audio encoder."""
        return "m2penc" if self.model.audio_encoder == "m2penc" else "simple_audio_encoder"


def default_trainable(stage: int, simple: bool) -> tuple[str, ...]:
    """The paper's trainable groups of ``stage`` (§3.4); the simple encoder trains with the U-Net (§4.4)."""
    return {
        0: ("guidance_encoder", "unet_spatial", "reference_unet"),
        1: ("music_encoder",),
        2: ("unet_spatial", "reference_unet", "music_encoder") if simple else ("unet_spatial", "reference_unet"),
        3: ("unet_temporal", "music_encoder"),
    }[stage]


def default_losses(stage: int, simple: bool) -> LossWeights:
    """The paper's losses of ``stage``: eq. 1 + heatmap MSE, L_pix, and eq. 4 (L_guid ignored when simple)."""
    return {
        0: LossWeights(pix=1.0),
        1: LossWeights(guid=1.0, heat=1.0),
        2: LossWeights(pix=1.0),
        3: LossWeights(pix=0.5, guid=0.0 if simple else 0.5),
    }[stage]


TRAIN_PRESETS: dict[str, dict[str, Any]] = {
    # CPU-sized: all four stages train the tiny model to a (blurry) pose-following one on a small SDGPip
    # dataset at 64 px / 3 fps in ≈ 7 minutes on 2 cores, 2 one-thread processes, at load ≈ 2.5
    # (bench/train_quality.py; a busier machine takes longer). Its learning rates are far above the paper's
    # 1e-5, which fine-tunes SD-1.5-sized pretrained networks; these start from random weights (the VAE
    # too: none can be had offline, so stage 0 trains it first) and have minutes.
    "tiny": {
        "model": {"preset": "tiny"},
        "optim": {"lr": 5e-4},
        "vae": {"max_steps": 400, "micro_batch_size": 4, "lr": 2e-3, "body_weight": 4.0},
        "data": {"cache_mb": 256},  # the decoded clips of a small dataset: H.264 decoding once, not every epoch
        # ZeRO-3's re-use scan walks the whole module trace when parameters are small (O(modules²) per step);
        # a tiny model fits any budget, so release parameters right after use instead
        "deepspeed": {"extra": {"zero_optimization": {"stage3_max_reuse_distance": 0}}},
        "stages": {
            "stage0": {"micro_batch_size": 2, "max_steps": 600, "lr": 1e-3},
            "stage1": {"micro_batch_size": 2, "max_steps": 60, "lr": 1e-3},
            "stage2": {"micro_batch_size": 2, "max_steps": 120},
            "stage3": {"micro_batch_size": 1, "frames": 4, "max_steps": 30},
        },
        "checkpoint": {"every": 250},
        "log": {"every": 10, "sample_every": 100},
    },
    # §4.1 on 8 GPUs: batch 24 / 32 / 8 = micro batch 3 / 4 / 1 per GPU; 75- and 24-frame clips
    "paper": {
        "model": {"preset": "paper"},
        "optim": {"lr": 1e-5},
        "data": {"rank_split": "shards"},
        "stages": {
            # stage 0 is CHAMP's pretraining (not in the paper): its batch and length are our choice
            "stage0": {"micro_batch_size": 4, "max_steps": 60000},
            "stage1": {"micro_batch_size": 3, "frames": 0, "max_steps": 20000},
            "stage2": {"micro_batch_size": 4, "max_steps": 60000},
            "stage3": {"micro_batch_size": 1, "frames": 24, "max_steps": 20},
        },
        "checkpoint": {"every": 1000},
        "log": {"every": 50, "sample_every": 2000},
    },
}


def check_stage_consistency(cfg: TrainConfig) -> None:
    """Every trainable group must be reached by a weighted loss; targets are never trained; raise ConfigError."""
    stage, key = cfg.current, f"stages.stage{cfg.stage}"
    losses, trainable = stage.losses, set(stage.trainable)
    if losses.pix == losses.guid == losses.heat == 0:
        raise ConfigError(f"{key}.losses: every loss weight is 0; give pix, guid or heat a positive weight")
    if cfg.stage == 1 and cfg.model.audio_encoder == "simple":
        raise ConfigError(
            "stage 1 pretrains M2PEnc, but model.audio_encoder is 'simple' (the §4.4 ablation has no stage 1); "
            "run stage 2 next"
        )
    if losses.heat > 0 and cfg.model.audio_encoder == "simple":
        raise ConfigError(f"{key}.losses.heat > 0 but the simple audio encoder has no heatmap head; set it to 0")
    if losses.pix > 0 and stage.guidance_from == "none":
        raise ConfigError(f"{key}.guidance_from is 'none' but losses.pix > 0 needs guidance: use 'maps' or 'music'")
    if losses.guid > 0 and "guidance_encoder" in trainable:
        raise ConfigError(f"{key}: the guidance encoder gives L_guid's targets and cannot train with losses.guid > 0")
    reached = set()
    if losses.pix > 0:
        reached |= {"unet_spatial", "unet_temporal", "reference_unet"}
        reached.add("guidance_encoder" if stage.guidance_from == "maps" else "music_encoder")
    if losses.guid > 0 or losses.heat > 0:
        reached.add("music_encoder")
    unreached = sorted(trainable - reached)
    if unreached:
        raise ConfigError(f"{key}.trainable has {unreached} but no weighted loss reaches them; fix trainable or losses")
    if not trainable:
        raise ConfigError(f"{key}.trainable is empty; list parameter groups from {list(TRAINABLE_GROUPS)}")


def load_train_config(
    stage: int | None = None,
    preset: str | None = None,
    config_path: str | os.PathLike | None = None,
    overrides: list[str] | None = None,
    cli: dict[str, Any] | None = None,
) -> TrainConfig:
    """Defaults → training preset → YAML file → ``cli`` options (``--data``, ``--out``…) → ``--set`` overrides.

    ``preset`` defaults to the YAML's ``model.preset`` or ``tiny``; the result is checked for stage consistency.
    """
    yaml_layer = read_yaml(config_path) if config_path else {}
    name = preset or yaml_layer.get("model", {}).get("preset") or "tiny"
    if name not in TRAIN_PRESETS:
        raise ConfigError(f"preset {name!r} does not exist; use one of {sorted(TRAIN_PRESETS)}")
    layers = [TRAIN_PRESETS[name], yaml_layer, cli or {}, parse_overrides(overrides)]
    if stage is not None:
        layers.append({"stage": stage})
    cfg = build_config(TrainConfig, *layers, what="train config")
    if cfg.model.preset != name:
        raise ConfigError(f"model.preset = {cfg.model.preset!r} contradicts --preset {name!r}; give one of them")
    check_stage_consistency(cfg)
    return cfg
