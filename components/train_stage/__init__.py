"""The `train_stage` component."""

from components.train_stage.component import train_stage

__all__ = ["train_stage"]
