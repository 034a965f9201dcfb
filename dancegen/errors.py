"""User-facing errors.

Every problem a user can cause (bad input file, missing config key, unreachable server) is raised
as a :class:`DancegenError` subclass with a one-line message that names the problem and the fix.
The CLI prints ``error: <message>`` and exits with code 2; library callers catch the class.
"""


class DancegenError(Exception):
    """Base class of every error whose message is meant for the user (exit code 2)."""

    exit_code = 2


class AudioError(DancegenError):
    """Audio that is missing, empty, corrupt, silent or too short."""


class ImageError(DancegenError):
    """An image that does not decode or cannot be used."""


class MotionError(DancegenError):
    """A motion file with the wrong keys or shapes."""


class ConfigError(DancegenError):
    """A config key that is missing, unknown or of the wrong type."""


class WeightsError(DancegenError):
    """A pretrained weight path that is not configured or does not exist."""


class StorageError(DancegenError):
    """An output or input location (local dir or S3) that cannot be used."""
