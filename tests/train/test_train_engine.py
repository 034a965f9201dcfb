"""Process-group start-up: a build lock left by a killed run must not hang every later run."""

from __future__ import annotations

import os
import subprocess
import sys

from dancegen.paths import cache_dir


def test_a_build_lock_left_by_a_killed_run_does_not_hang_the_next(tmp_path):
    extensions = cache_dir() / "torch_extensions"  # the real cache: the op is built once for every test
    baton = extensions / "deepspeed_shm_comm" / "lock"
    baton.parent.mkdir(parents=True, exist_ok=True)
    baton.touch()  # what torch leaves behind when a process dies while building or loading the op
    env = {**os.environ, "TORCH_EXTENSIONS_DIR": str(extensions)}
    env.pop("RANK", None)
    code = "from dancegen.train.engine import init_distributed; print(init_distributed().world_size)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "1"
    assert "a build lock left by a killed process" in done.stderr
    assert not baton.exists()
