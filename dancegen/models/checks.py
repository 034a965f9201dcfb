"""Argument and input checks shared by the models in :mod:`dancegen.models`.

Constructor arguments are checked before any layer is built (diffusers' ``_check_config`` habit), and
tensors are checked at the top of ``forward``. Both raise errors that are at once a
:class:`~dancegen.errors.DancegenError` (so the CLI prints ``error: <msg>`` and exits 2) and a
``ValueError`` (the convention of diffusers' own model code), and name the key, the value and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from dancegen.errors import ConfigError, DancegenError


class ModelConfigError(ConfigError, ValueError):
    """A model constructor argument (a config key) with a bad value."""


class ModelInputError(DancegenError, ValueError):
    """A tensor handed to a model with the wrong rank, shape or keys."""


def check_positive_int(model: str, key: str, value: object) -> None:
    """Raise unless ``value`` is an ``int`` ≥ 1 (``bool`` is rejected)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelConfigError(f"{model}: config key {key!r} = {value!r} must be a positive integer")


def check_channels(model: str, key: str, value: object, *, min_len: int = 1) -> tuple[int, ...]:
    """Raise unless ``value`` is a sequence of ≥ ``min_len`` positive ints; return it as a tuple."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) < min_len:
        raise ModelConfigError(
            f"{model}: config key {key!r} = {value!r} must be a list of at least {min_len} positive integers"
        )
    for item in value:
        check_positive_int(model, key, item)
    return tuple(value)


def check_divisible(model: str, key: str, value: int, divisor_key: str, divisor: int) -> None:
    """Raise unless ``value`` (config ``key``) is divisible by ``divisor`` (config ``divisor_key``)."""
    if value % divisor != 0:
        raise ModelConfigError(
            f"{model}: config key {key!r} = {value} must be divisible by {divisor_key!r} = {divisor}; "
            f"change one of them"
        )


def check_tensor(model: str, name: str, tensor: object, expected: Sequence[int | str | None]) -> torch.Tensor:
    """Raise unless ``tensor`` is a tensor of ``len(expected)`` dims whose sizes match ``expected``.

    ``expected`` holds an int for a fixed size and a name (or ``None``) for a free one, e.g.
    ``("B", "F", 35)`` for music features of 35 dims; the message quotes that pattern.
    """
    pattern = "(" + ", ".join(str(e) if e is not None else "?" for e in expected) + ")"
    if not isinstance(tensor, torch.Tensor):
        raise ModelInputError(f"{model}: input {name!r} must be a torch.Tensor of shape {pattern}, got {type(tensor)}")
    if tensor.ndim != len(expected):
        raise ModelInputError(
            f"{model}: input {name!r} must have shape {pattern}, got {tuple(tensor.shape)} ({tensor.ndim} dims)"
        )
    for dim, (size, want) in enumerate(zip(tensor.shape, expected, strict=True)):
        if isinstance(want, int) and size != want:
            raise ModelInputError(
                f"{model}: input {name!r} must have shape {pattern}, got {tuple(tensor.shape)} "
                f"(dim {dim} is {size}, expected {want})"
            )
    return tensor
