"""Where dancegen keeps its own files on this machine.

``$DANCEGEN_HOME`` (default ``~/.local/share/dancegen``) holds state (local stack data, keys);
``$DANCEGEN_CACHE`` (default ``~/.cache/dancegen``) holds regenerable files (procedural SMPL body,
built test-cluster binaries, librosa's filter banks).
"""

import os
from pathlib import Path


def home_dir() -> Path:
    """State directory (``$DANCEGEN_HOME``)."""
    return Path(os.environ.get("DANCEGEN_HOME", Path.home() / ".local" / "share" / "dancegen"))


def cache_dir() -> Path:
    """Cache directory (``$DANCEGEN_CACHE``), created on demand."""
    path = Path(os.environ.get("DANCEGEN_CACHE", Path.home() / ".cache" / "dancegen"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def use_librosa_cache() -> None:
    """Point librosa's filter-bank cache at ``<cache>/librosa`` unless ``$LIBROSA_CACHE_DIR`` is set; librosa
    reads it when first imported. An unwritable cache directory leaves librosa uncached (slower, still right)."""
    if "LIBROSA_CACHE_DIR" in os.environ:
        return
    try:
        path = cache_dir() / "librosa"
        path.mkdir(exist_ok=True)
    except OSError:
        return
    os.environ["LIBROSA_CACHE_DIR"] = str(path)
