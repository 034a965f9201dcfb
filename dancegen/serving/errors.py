"""Errors of the serving layer: a bad inference request (answered by the model) and a failed call (the client)."""

from __future__ import annotations

from dancegen.errors import DancegenError


class RequestError(DancegenError):
    """One inference request is malformed (dtype, shape, value, undecodable bytes); the model answers it with
    a Triton ``INVALID_ARG`` error response carrying this message and keeps serving."""


class ServingError(DancegenError):
    """A Triton server or model that cannot be reached, started, or that rejected a request (client side)."""


class RequestCancelled(Exception):
    """The client gave up on a request (disconnected or its deadline passed); the model stops working on it."""
