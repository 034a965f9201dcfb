"""Where a run or a model version came from: git revision of the code, hash of the dataset manifest."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dancegen.storage import Location


def git_revision(cwd: str | os.PathLike | None = None) -> str | None:
    """The commit hash of the git checkout at ``cwd`` (default: this package's source), ``+dirty`` if modified.

    None outside a git checkout (an installed wheel, a container image without ``.git``).
    """
    where = Path(cwd) if cwd is not None else Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head or None


def manifest_hash(manifest: Mapping[str, Any] | bytes | str | os.PathLike) -> str:
    """SHA-256 hex digest of a dataset manifest: a mapping (canonical JSON), raw bytes, or a local path or
    ``s3://`` URI of a ``manifest.json`` file (read through :class:`~dancegen.storage.Location`)."""
    if isinstance(manifest, Mapping):
        data = json.dumps(manifest, sort_keys=True, separators=(",", ":"), default=str).encode()
    elif isinstance(manifest, bytes):
        data = manifest
    else:
        parent, _, name = os.fspath(manifest).rstrip("/").rpartition("/")
        data = Location.parse(parent or ".").read_bytes(name)
    return hashlib.sha256(data).hexdigest()
