"""The `fetch_model` component."""

from components.fetch_model.component import fetch_model

__all__ = ["fetch_model"]
