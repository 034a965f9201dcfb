"""What ``dancegen ablate`` trains (paper §4.4, tables 1–3): settings, the ablation variants and the run plan.

Variants (each a chain of the trainer's stages, ``dancegen train`` config keys in brackets):

===========================  ==========================================================  ===========
variant                      training                                                    tables
===========================  ==========================================================  ===========
Ours                         stages 0–3, M2PEnc, PDNS maps                                1, 2, 3 (PDNS)
Simple Audio Encoder         stages 0, 2, 3 [model.audio_encoder=simple]: no stage 1,    1, 2
                             stage 2 runs 4/3 as long (paper: 60K + 20K steps), and
                             stage 3 drops L_guid (the trainer's default for it)
Ours w/o pseudo-motions      Ours' stage 0, then stages 1–3 on clips whose motion is     1, 2
                             not a pseudo-motion [data.motion_sources]
DNS, P                       stages 0–3 with those guidance maps [model.guidance_types]  3
===========================  ==========================================================  ===========

Pseudo-motions are motions made by a model rather than danced (the paper's EDGE motions); here the
procedural choreographer stands in for EDGE, so ``choreographer`` clips are pseudo-motions and AIST++
clips (``aist``) are not. A dataset without any non-pseudo clip leaves that variant unavailable, with the
reason, and nothing is trained for it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from dancegen.config import StrictModel, build_config, deep_merge
from dancegen.errors import ConfigError

PSEUDO_MOTION_SOURCES = ("choreographer",)
"""SDGPip ``meta.motion`` values that are pseudo-motions (the procedural stand-in for EDGE)."""


@dataclass(frozen=True)
class Variant:
    """One ablation variant: its row label, model switches and where it appears."""

    key: str
    name: str
    audio_encoder: Literal["m2penc", "simple"] = "m2penc"
    guidance_types: Literal["DNS", "P", "PDNS"] = "PDNS"
    pseudo_motions: bool = True
    in_main_tables: bool = True
    table3: str | None = None

    @property
    def stages(self) -> tuple[int, ...]:
        return (0, 2, 3) if self.audio_encoder == "simple" else (0, 1, 2, 3)


VARIANTS: dict[str, Variant] = {
    "ours": Variant("ours", "Ours", table3="PDNS"),
    "sae": Variant("sae", "Simple Audio Encoder", audio_encoder="simple"),
    "no-pseudo": Variant("no-pseudo", "Ours w/o pseudo-motions", pseudo_motions=False),
    "dns": Variant("dns", "DNS", guidance_types="DNS", in_main_tables=False, table3="DNS"),
    "p": Variant("p", "P", guidance_types="P", in_main_tables=False, table3="P"),
}


class StageSteps(StrictModel):
    """Optimizer steps per training stage, None = the training preset's (``dancegen train --preset``, the
    recipe bench/train_quality.py measured); SAE's stage 2 is scaled by ``sae_stage2_factor``."""

    stage0: int | None = Field(default=None, ge=1)
    stage1: int | None = Field(default=None, ge=1)
    stage2: int | None = Field(default=None, ge=1)
    stage3: int | None = Field(default=None, ge=1)

    def of(self, stage: int, preset: str = "tiny") -> int:
        given = getattr(self, f"stage{stage}")
        return given if given is not None else preset_steps(preset, stage)


def preset_steps(preset: str, stage: int) -> int:
    """``stages.stage<N>.max_steps`` of the training preset."""
    from dancegen.train.config import load_train_config

    return load_train_config(stage=stage, preset=preset).current.max_steps


class AblationSettings(StrictModel):
    """Everything ``dancegen ablate`` does; presets below, CLI options on top."""

    model_preset: Literal["tiny"] = Field(default="tiny", description="model + training preset of every run")
    tracks: int = Field(default=6, ge=2, description="procedural SDGPip tracks (when no --data is given)")
    track_seconds: float = Field(default=10.0, gt=0)
    clip_seconds: float = Field(default=5.0, gt=0, description="clip = generated segment length (paper: 5 s)")
    fps: float = Field(default=10.0, gt=0, le=30)
    size: int = Field(default=64, ge=32, description="SDGPip frame size (the tiny model works at 64)")
    test_fraction: float = Field(default=0.34, gt=0, lt=1, description="fraction of tracks held out for testing")
    sdgpip_workers: int = Field(default=1, ge=1)
    steps: StageSteps = StageSteps()
    sae_stage2_factor: float = Field(default=4 / 3, ge=1, description="paper: 20K more steps on 60K")
    ddim_steps: int = Field(default=10, ge=1)
    guidance_scale: float = Field(default=3.5, ge=1)
    test_clips: int = Field(default=0, ge=0, description="test clips generated per model (0 = all)")
    max_videos: int = Field(default=2, ge=0, description="side-by-side videos per model in the report")
    seed: int = 0
    variants: list[str] = Field(default_factory=lambda: list(VARIANTS))
    train_overrides: list[str] = Field(default_factory=list, description="extra key=value for every training run")

    @property
    def frames_per_clip(self) -> int:
        return int(round(self.clip_seconds * self.fps))


ABLATION_PRESETS: dict[str, dict[str, Any]] = {
    # ≈ 30 minutes on 2 CPU cores: 6 tracks → 8 train + 4 test clips of 5 s at 10 fps, the training preset's
    # steps (stage 0: 600 + the VAE's 400 once, shared), 4 models (no-pseudo needs AIST++ motions)
    "tiny": {},
    # seconds per run, for tests: 3 one-clip tracks of 2 s at 8 fps, one step per stage, one DDIM step
    "quick": {
        "tracks": 3,
        "track_seconds": 2.0,
        "clip_seconds": 2.0,
        "fps": 8.0,
        "steps": {"stage0": 1, "stage1": 1, "stage2": 1, "stage3": 1},
        "ddim_steps": 1,
        "test_clips": 1,
        "max_videos": 1,
    },
}


def load_ablation_settings(preset: str, quick: bool = False, **overrides: Any) -> AblationSettings:
    """The ``preset`` settings (``quick`` on top of it), then the non-None ``overrides``; ConfigError if bad."""
    if preset not in ("tiny",):
        raise ConfigError(
            f"--preset {preset!r}: dancegen ablate runs the tiny preset on this machine; at paper scale run the "
            "training pipeline per variant with model.audio_encoder, model.guidance_types and data.motion_sources"
        )
    layers = [ABLATION_PRESETS[preset], ABLATION_PRESETS["quick"] if quick else {}]
    given = {key: value for key, value in overrides.items() if value is not None}
    settings = build_config(AblationSettings, *layers, given, what="ablation settings")
    unknown = sorted(set(settings.variants) - set(VARIANTS))
    if unknown or not settings.variants:
        raise ConfigError(f"--variants {unknown or '(none)'}: choose from {', '.join(VARIANTS)}")
    if "ours" not in settings.variants and {"sae", "no-pseudo"} & set(settings.variants):
        raise ConfigError("--variants: sae and no-pseudo are compared with (and no-pseudo starts from) ours; add ours")
    return settings


def parse_steps(text: str) -> dict[str, int]:
    """``"40"`` (every stage) or ``"0=40,1=40,2=60,3=10"`` → StageSteps fields; ConfigError otherwise."""
    text = text.strip()
    try:
        if "=" not in text:
            return {f"stage{stage}": int(text) for stage in range(4)}
        pairs = (part.split("=", 1) for part in text.split(",") if part.strip())
        steps = {f"stage{int(stage)}": int(value) for stage, value in pairs}
    except ValueError:
        raise ConfigError(f"--steps {text!r} must be N (every stage) or 0=N,1=N,2=N,3=N") from None
    unknown = sorted(set(steps) - {f"stage{s}" for s in range(4)})
    if unknown:
        raise ConfigError(f"--steps {text!r} names stages {unknown}; stages are 0, 1, 2 and 3")
    return steps


def temporal_overrides(settings: AblationSettings) -> dict[str, Any]:
    """``model.overrides`` that let the tiny model take a whole clip as one segment (M2PEnc ``max_frames``
    and the motion modules' ``motion_max_seq_length``); empty when the preset already fits."""
    from dancegen.models.presets import model_preset

    preset = model_preset(settings.model_preset)
    frames = settings.frames_per_clip
    overrides: dict[str, Any] = {}
    if frames > preset["m2penc"]["max_frames"]:
        overrides["m2penc"] = {"max_frames": frames}
    if frames > preset["motion_adapter"]["motion_max_seq_length"]:
        overrides["motion_adapter"] = {"motion_max_seq_length": frames}
    return overrides


def non_pseudo_sources(motions: Counter) -> list[str]:
    """The motion sources of a split that are not pseudo-motions, sorted."""
    return sorted(source for source in motions if source not in PSEUDO_MOTION_SOURCES)


def no_pseudo_reason(motions: Counter) -> str:
    """Why the w/o-pseudo-motions variant cannot be trained on a split with these ``motions`` counts."""
    counts = ", ".join(f"{source} × {count}" for source, count in sorted(motions.items())) or "no clips"
    return (
        f"unavailable: no non-pseudo motions in the dataset (training clips: {counts}; pseudo-motion sources: "
        f"{', '.join(PSEUDO_MOTION_SOURCES)}); add AIST++ motions (dancegen sdgpip --motion aist:DIR)"
    )


def run_name(variant: str, stage: int) -> str:
    return f"{variant}-s{stage}"


def plan_training(
    settings: AblationSettings, data: str, runs_dir: Path, motions: Counter
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The training runs of the selected variants, in an order where every run's ``init_run`` comes first,
    and ``{variant: reason}`` for variants that cannot be trained here.

    A run is ``{"name", "variant", "preset", "stage", "cli", "overrides", "init_run", "vae_run"}``: ``cli`` and
    ``overrides`` are the layers :func:`dancegen.train.config.load_train_config` takes, ``init_run`` the run it
    starts from, ``vae_run`` the run whose trained VAE it uses (``weights.vae``).
    """
    runs: list[dict[str, Any]] = []
    unavailable: dict[str, str] = {}
    model_overrides = temporal_overrides(settings)
    for key in [name for name in VARIANTS if name in settings.variants]:  # ours before no-pseudo (shared stage 0)
        variant = VARIANTS[key]
        data_layer: dict[str, Any] = {"path": data}
        if not variant.pseudo_motions:
            sources = non_pseudo_sources(motions)
            if not sources:
                unavailable[key] = no_pseudo_reason(motions)
                continue
            data_layer["motion_sources"] = sources
        previous = None
        for stage in variant.stages:
            if stage == 0 and not variant.pseudo_motions:
                previous = run_name("ours", 0)  # stage 0 is CHAMP's pose-to-video pretraining: shared with Ours
                continue
            steps = settings.steps.of(stage, settings.model_preset)
            if stage == 2 and variant.audio_encoder == "simple":
                steps = math.ceil(steps * settings.sae_stage2_factor)
            cli: dict[str, Any] = {
                "seed": settings.seed,
                "out": str(runs_dir / run_name(key, stage)),
                "data": data_layer if stage > 0 else {"path": data},
                "model": {"audio_encoder": variant.audio_encoder, "guidance_types": variant.guidance_types},
                "stages": {f"stage{stage}": {"max_steps": steps}},
                "checkpoint": {"every": steps, "keep": 1},
                "log": {"tracker": "none", "progress": True},
            }
            if stage == 0 and model_overrides:
                cli = deep_merge(cli, {"model": {"overrides": model_overrides}})
            share_vae = stage == 0 and key != "ours" and "ours" in settings.variants and not _vae_given(settings)
            runs.append(
                {
                    "name": run_name(key, stage),
                    "variant": key,
                    "preset": settings.model_preset,
                    "stage": stage,
                    "cli": cli,
                    "overrides": list(settings.train_overrides),
                    "init_run": previous,
                    # the VAE codes frames whatever the variant: trained once, in Ours' stage 0, then shared
                    "vae_run": run_name("ours", 0) if share_vae else None,
                }
            )
            previous = run_name(key, stage)
    return runs, unavailable


def _vae_given(settings: AblationSettings) -> bool:
    keys = {item.split("=", 1)[0].strip() for item in settings.train_overrides}
    return bool(keys & {"weights.vae", "weights.champ_dir"})


def final_run(variant: str) -> str:
    """The run whose exported model is the variant's final model (its stage 3)."""
    return run_name(variant, 3)
