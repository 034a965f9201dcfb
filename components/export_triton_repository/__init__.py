"""The `export_triton_repository` component."""

from components.export_triton_repository.component import export_triton_repository

__all__ = ["export_triton_repository"]
