"""Errors of the tracking layer: an MLflow server or the local stack that cannot be used, a registry problem."""

from dancegen.errors import DancegenError


class TrackingError(DancegenError):
    """The MLflow tracking server (or the local stack behind it) is unreachable, misconfigured or refused a call."""


class RegistryError(TrackingError):
    """A registered model, version, alias or gate metric that does not exist or cannot be compared."""
