"""The `register_model` component."""

from components.register_model.component import register_model

__all__ = ["register_model"]
