"""Launching the trainer under torchrun from tests (2 CPU processes, one thread each)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# the settings every test run shares: frequent checkpoints, per-step metrics, a sample grid at step 2
COMMON = ["checkpoint.every=2", "log.tracker=files", "log.every=1", "log.sample_every=2", "log.progress=false"]


def torchrun(args: list[str], env: dict[str, str] | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node=2 …`` with one thread per process; output captured."""
    command = [str(Path(sys.executable).parent / "torchrun"), "--standalone", "--nproc_per_node=2", *args]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=timeout)


def tail(process: subprocess.CompletedProcess, chars: int = 3000) -> str:
    """The first worker traceback (torchrun's own summary comes last and says little), else the end."""
    text = process.stdout + process.stderr
    start = text.find("Traceback (most recent call last)")
    return text[start : start + chars] if start >= 0 else text[-chars:]
