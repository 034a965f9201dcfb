"""The training pipeline: SDGPip → stages 0–3 → evaluate → register → promote → export."""

from pipelines.training.pipeline import training_pipeline

__all__ = ["training_pipeline"]
