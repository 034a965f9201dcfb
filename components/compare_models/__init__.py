"""The `compare_models` component."""

from components.compare_models.component import compare_models

__all__ = ["compare_models"]
