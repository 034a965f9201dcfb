"""One headless OpenGL context per process (moderngl on EGL; Mesa llvmpipe on a machine without a GPU).

Creating a context costs ~0.6 s, so every rasteriser of a process shares this one. A forked child (e.g. a
multiprocessing worker) must not reuse its parent's context, so the context is keyed by process id.
"""

from __future__ import annotations

import os

import moderngl

from dancegen.errors import DancegenError

_CONTEXTS: dict[int, moderngl.Context] = {}


class RenderError(DancegenError):
    """Headless OpenGL is unavailable or a render input is unusable."""


def gl_context() -> moderngl.Context:
    """The process's shared standalone EGL context (OpenGL ≥ 3.3 core), created on first use."""
    pid = os.getpid()
    ctx = _CONTEXTS.get(pid)
    if ctx is None:
        try:
            ctx = moderngl.create_standalone_context(backend="egl", require=330)
        except Exception as exc:  # moderngl raises plain Exception when EGL/Mesa is missing
            raise RenderError(
                f"cannot create a headless OpenGL (EGL) context: {exc}; install the Mesa EGL drivers "
                "(apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri, see scripts/apt-deps.sh)"
            ) from None
        _CONTEXTS.clear()  # a forked child drops its parent's context object without touching it
        _CONTEXTS[pid] = ctx
    return ctx
