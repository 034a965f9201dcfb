"""Generation: sampling, long-video stitching and video writing (paper §3.3–3.4).

- :mod:`~dancegen.infer.pipeline`: :func:`generate` (the one entry point) and :func:`generate_video_bytes`;
  its steps for callers that prepare inputs elsewhere: :func:`generation_fps`, :func:`plan_frames`,
  :func:`reference_pixels`, :func:`run_segments`.
- :mod:`~dancegen.infer.sampler`: the unrolled DDIM loop with reference guidance and noise conditioning.
- :mod:`~dancegen.infer.segments`: 5-s segments sharing ``overlap`` frames.
- :mod:`~dancegen.infer.music`, :mod:`~dancegen.infer.reference_image`, :mod:`~dancegen.infer.options`:
  input checks and preparation.
- :mod:`~dancegen.infer.preview`: video | skeleton | heatmaps preview.
- :mod:`~dancegen.infer.model_uri`: model directories, ``s3://`` prefixes and ``models:/`` registry URIs.
- :mod:`~dancegen.infer.commands`: the ``dancegen generate`` command.

Names are imported on first use, so ``import dancegen.infer.commands`` (the CLI) stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "GenerationResult": "dancegen.infer.pipeline",
    "generate": "dancegen.infer.pipeline",
    "generate_video_bytes": "dancegen.infer.pipeline",
    "load_model": "dancegen.infer.pipeline",
    "FramePlan": "dancegen.infer.pipeline",
    "generation_fps": "dancegen.infer.pipeline",
    "plan_frames": "dancegen.infer.pipeline",
    "reference_pixels": "dancegen.infer.pipeline",
    "run_segments": "dancegen.infer.pipeline",
    "GenerationOptions": "dancegen.infer.options",
    "Segment": "dancegen.infer.segments",
    "plan_segments": "dancegen.infer.segments",
    "resolve_model_dir": "dancegen.infer.model_uri",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dancegen.infer' has no attribute {name!r}")
