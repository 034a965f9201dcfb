"""SDGPip configuration (paper §3.1): what music, which motion source, how clips are cut and rendered."""

from __future__ import annotations

import os
from typing import Any

from pydantic import Field, model_validator

from dancegen.config import StrictModel, build_config, read_yaml


class SplitConfig(StrictModel):
    """Fractions of *tracks* per split (clips of one track never straddle splits)."""

    train: float = 0.8
    val: float = 0.1
    test: float = 0.1

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitConfig:
        total = self.train + self.val + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"split fractions must sum to 1, got {total:.3f}")
        return self


class SDGPipConfig(StrictModel):
    """Every SDGPip setting. ``out`` is a local directory or ``s3://bucket/prefix``."""

    out: str = Field(description="output directory or s3://bucket/prefix")
    music_dir: str | None = None
    synthetic_tracks: int | None = Field(default=None, ge=1)
    motion: str = "choreographer"
    track_seconds: float = Field(default=20.0, gt=0)
    clip_seconds: float = Field(default=5.0, gt=0)
    fps: float = Field(default=15.0, gt=0, le=60)
    size: int = Field(default=512, ge=32, le=2048)
    heatmap_size: int | None = Field(default=None, description="heatmap side; default size // 8 (latent)")
    heatmap_sigma: float = Field(default=1.5, gt=0, description="Gaussian sigma in heatmap pixels")
    feature_fps: float = Field(default=30.0, gt=0, description="EDGE features are computed here, then resampled")
    clips_per_shard: int = Field(default=8, ge=1)
    seed: int = 0
    workers: int = Field(default=2, ge=1)
    smpl_model_dir: str | None = None
    splits: SplitConfig = SplitConfig()
    genres: list[str] | None = None
    crf: int = Field(default=18, ge=0, le=51, description="x264 quality of the map/frame streams")

    @model_validator(mode="after")
    def _one_music_source(self) -> SDGPipConfig:
        if self.music_dir and self.synthetic_tracks:
            raise ValueError("give either music_dir or synthetic_tracks, not both")
        if not self.music_dir and not self.synthetic_tracks and not self.motion.startswith("aist:"):
            raise ValueError("no music: give music_dir (--music DIR) or synthetic_tracks (--synthetic N)")
        if not (self.motion == "choreographer" or self.motion.startswith("aist:")):
            raise ValueError(f"motion must be 'choreographer' or 'aist:DIR', got {self.motion!r}")
        if self.size % 8:
            raise ValueError(f"size must be a multiple of 8 (latent = size/8), got {self.size}")
        if self.clip_seconds > self.track_seconds and self.synthetic_tracks:
            raise ValueError("track_seconds must be at least clip_seconds")
        return self

    @property
    def frames_per_clip(self) -> int:
        return int(round(self.clip_seconds * self.fps))

    @property
    def resolved_heatmap_size(self) -> int:
        return self.heatmap_size or self.size // 8


def load_sdgpip_config(path: str | os.PathLike | None, overrides: dict[str, Any]) -> SDGPipConfig:
    """Defaults, then the YAML file (if any), then CLI overrides."""
    return build_config(SDGPipConfig, read_yaml(path) if path else None, overrides, what="sdgpip")
