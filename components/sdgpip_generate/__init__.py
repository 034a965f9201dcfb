"""The `sdgpip_generate` component."""

from components.sdgpip_generate.component import sdgpip_generate

__all__ = ["sdgpip_generate"]
