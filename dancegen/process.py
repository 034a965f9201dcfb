"""Background server processes with PID files: start, wait until healthy, stop cleanly.

Used for the local stack (SeaweedFS S3, MLflow), the Triton server and the test cluster. A server is
started in its own process group with its output in a log file; ``stop`` sends SIGTERM to the group,
waits, then SIGKILL. PID files make ``start`` idempotent and let another process stop the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dancegen.errors import DancegenError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie child counts as dead
        with open(f"/proc/{pid}/stat") as handle:
            if handle.read().split()[2] == "Z":
                return False
    return True


@dataclass
class ManagedProcess:
    """A named background server: ``pid_file`` and ``log_file`` live under ``run_dir``."""

    name: str
    run_dir: Path

    @property
    def pid_file(self) -> Path:
        return Path(self.run_dir) / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return Path(self.run_dir) / f"{self.name}.log"

    def pid(self) -> int | None:
        """The PID of the running server, or None (a stale PID file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if pid_alive(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
        """Start ``cmd`` unless already running; return the PID."""
        running = self.pid()
        if running:
            return running
        Path(self.run_dir).mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            try:
                proc = subprocess.Popen(
                    list(cmd),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, **(env or {})},
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise DancegenError(f"cannot start {self.name} ({cmd[0]}): {exc.strerror}") from None
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def wait_ready(self, check: Callable[[], bool], timeout: float = 60.0, interval: float = 0.25) -> None:
        """Poll ``check`` until it is true; raise with the log's tail if the server dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is None:
                raise DancegenError(f"{self.name} exited during start-up; last log line: {self.last_log_line()}")
            with contextlib.suppress(Exception):
                if check():
                    return
            time.sleep(interval)
        raise DancegenError(f"{self.name} not ready after {timeout:.0f} s; last log line: {self.last_log_line()}")

    def last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.log_file.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return "(no log)"
        return lines[-1][:300] if lines else "(empty log)"

    def stop(self, timeout: float = 15.0) -> bool:
        """SIGTERM the process group, then SIGKILL after ``timeout``; True if something was stopped."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True
