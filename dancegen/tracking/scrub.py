"""Keep credentials out of everything that is tracked: params, tags, config files and artifacts.

A key is secret when one of its words (split at ``_ . - /``, spaces and camelCase) is ``secret``, ``key``,
``password``, ``passwd``, ``token``, ``credential`` or a plural or joined form of them (``apikey``,
``accesskey``): ``aws_secret_access_key``, ``apiKey`` and ``storage.password`` are secret;
``keypoints`` and ``heatmap_channels`` are not. Secret values are replaced by ``REDACTED``, URL passwords
(``https://user:pw@host``) are masked, and any value of a secret-named environment variable that shows up
inside another string is masked too.
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REDACTED = "REDACTED"
_SECRET_WORDS = {
    "secret",
    "secrets",
    "key",
    "keys",
    "password",
    "passwords",
    "passwd",
    "pwd",
    "token",
    "tokens",
    "credential",
    "credentials",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
}
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/:@\s]*):(?P<pw>[^@/\s]+)@")
_MIN_SECRET_LENGTH = 8  # shorter environment values ("1", "true") would mask harmless text
_SHELL_DIRECTORIES = {"PWD", "OLDPWD"}  # the shell's working directories, not passwords (unlike MYSQL_PWD)


def is_secret_key(name: str) -> bool:
    """True if the key ``name`` names a credential (see the module docstring for the rule)."""
    return any(word.lower() in _SECRET_WORDS for word in _WORD_SPLIT.split(str(name)) if word)


def known_secrets(extra: Iterable[str] = ()) -> list[str]:
    """Values of secret-named environment variables plus ``extra``, longest first (≥ 8 characters)."""
    named = (value for name, value in os.environ.items() if is_secret_key(name) and name not in _SHELL_DIRECTORIES)
    values = set(named) | set(extra)
    return sorted((v for v in values if v and len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)


def scrub_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with URL passwords and any of ``secrets`` (default: ``known_secrets()``) replaced."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{REDACTED}@", text)
    for secret in known_secrets() if secrets is None else secrets:
        text = text.replace(secret, REDACTED)
    return text


def scrub(value: Any, secrets: Iterable[str] | None = None) -> Any:
    """A copy of ``value`` (nested mappings/lists/scalars) with secret keys' values and leaked secrets masked."""
    secrets = known_secrets() if secrets is None else list(secrets)
    if isinstance(value, Mapping):
        return {
            key: (REDACTED if is_secret_key(key) and item not in (None, "") else scrub(item, secrets))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(item, secrets) for item in value)
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, os.PathLike):
        return scrub_text(os.fspath(value), secrets)
    return value


def secrets_in_file(path: str | os.PathLike, secrets: Iterable[str]) -> bool:
    """True if the file's bytes contain any of ``secrets`` (memory-mapped: cheap for large checkpoints)."""
    needles = [secret.encode() for secret in secrets]
    path = Path(path)
    if not needles or path.stat().st_size == 0:
        return False
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return any(data.find(needle) != -1 for needle in needles)
