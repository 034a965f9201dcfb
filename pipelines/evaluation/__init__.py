"""The evaluation pipeline: a registered version against the champion on the same held-out clips."""

from pipelines.evaluation.pipeline import evaluation_pipeline

__all__ = ["evaluation_pipeline"]
