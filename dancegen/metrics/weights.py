"""Resolve a configured pretrained-weight location (local path or ``s3://`` URI) to a local file.

Every failure is a :class:`~dancegen.errors.WeightsError` that names the config key, so the metric
functions can turn it into an "unavailable" result with that reason.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from dancegen.errors import StorageError, WeightsError
from dancegen.paths import cache_dir
from dancegen.storage import Location, is_s3


def resolve_weights(uri: str | os.PathLike | None, key: str, what: str) -> Path:
    """Local path of the weight file configured under ``key`` (e.g. "metrics.lpips_weights").

    ``s3://bucket/prefix/file`` is downloaded once into ``<cache>/weights/<hash>/<file>``.
    """
    if uri is None or str(uri).strip() == "":
        raise WeightsError(f"{key} is not set: point it at the {what} (local path or s3:// URI)")
    text = str(uri)
    if is_s3(text):
        parent, _, name = text.rpartition("/")
        if not name or parent == "s3:/":
            raise WeightsError(f"{key} = {text!r} does not name a file inside a bucket (s3://bucket/path/file)")
        local = cache_dir() / "weights" / hashlib.sha256(text.encode()).hexdigest()[:16] / name
        if not local.is_file():
            try:
                Location.parse(parent).download_file(name, local)
            except StorageError as exc:
                raise WeightsError(f"{key} = {text!r}: {exc}") from None
        return local
    path = Path(text).expanduser()
    if not path.is_file():
        raise WeightsError(f"{key} = {text!r} does not exist: put the {what} there or fix the path")
    return path
