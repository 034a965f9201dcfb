"""The scalar settings of a generation, checked before anything is loaded (one-line errors naming the option)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from dancegen.errors import ConfigError
from dancegen.infer.segments import SEGMENT_SECONDS

DEFAULT_STEPS = 25
DEFAULT_GUIDANCE_SCALE = 3.5  # CHAMP's inference setting for reference guidance


@dataclass(frozen=True)
class GenerationOptions:
    """seconds: video length (None = the music's); steps: DDIM steps; guidance_scale: CFG scale on the
    reference (1 = off); seed: initial-noise seed; overlap: frames shared by consecutive segments (None =
    default); fps: video frame rate (None = the model's default); segment_seconds: segment length."""

    seconds: float | None = None
    steps: int = DEFAULT_STEPS
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE
    seed: int = 0
    overlap: int | None = None
    fps: float | None = None
    segment_seconds: float = SEGMENT_SECONDS


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def check_options(options: GenerationOptions) -> GenerationOptions:
    """Raise ConfigError on the first bad setting; return the options unchanged."""
    o = options
    if o.seconds is not None and not (_is_number(o.seconds) and o.seconds > 0):
        raise ConfigError(f"--seconds {o.seconds!r} must be a number > 0 (or left out for the music's length)")
    if not (_is_int(o.steps) and o.steps >= 1):
        raise ConfigError(f"--steps {o.steps!r} must be an integer ≥ 1 (the paper's sampler uses {DEFAULT_STEPS})")
    if o.steps > 1000:
        raise ConfigError(f"--steps {o.steps} exceeds the 1000 training timesteps; use at most 1000")
    if not (_is_number(o.guidance_scale) and o.guidance_scale >= 1):
        raise ConfigError(f"--guidance-scale {o.guidance_scale!r} must be a number ≥ 1 (1 turns guidance off)")
    if not (_is_int(o.seed) and 0 <= o.seed < 2**63):
        raise ConfigError(f"--seed {o.seed!r} must be an integer ≥ 0")
    if o.overlap is not None and not (_is_int(o.overlap) and o.overlap >= 0):
        raise ConfigError(f"--overlap {o.overlap!r} must be an integer number of frames ≥ 0")
    if o.fps is not None and not (_is_number(o.fps) and 0 < o.fps <= 120):
        raise ConfigError(f"--fps {o.fps!r} must be a number in (0, 120]")
    if not (_is_number(o.segment_seconds) and o.segment_seconds > 0):
        raise ConfigError(f"segment_seconds {o.segment_seconds!r} must be > 0 (the paper uses {SEGMENT_SECONDS})")
    return o
