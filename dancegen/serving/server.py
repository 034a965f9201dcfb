"""The Triton server binary bundled in ``nvidia-pytriton``, run on 127.0.0.1 with this venv's Python backend.

``nvidia-pytriton`` ships ``tritonserver`` (2.51), its shared libraries (``nvidia_pytriton.libs``) and Python
backend stubs per Python version. :func:`triton_runtime` assembles, once, a runtime directory in the cache:
the server files plus the stub matching this interpreter in ``backends/python/``. The server then runs
(RECIPES.md) with ``LD_LIBRARY_PATH=<nvidia_pytriton.libs>:<python LIBDIR>`` (LIBDIR only when it is not a
system library directory: a pyenv build's libpython), this venv's ``bin`` first on
``PATH`` (the stub takes its site-packages from the ``python3`` it finds there) and the directory holding
the ``dancegen`` package on ``PYTHONPATH``, so each ``model.py`` can import dancegen, and
:data:`MALLOC_SETTINGS` (unless already set): glibc's malloc otherwise hands every block of ≥ 128 KiB back to the
kernel when freed, so each forward pass in a stub page-faults its activations in afresh (≈ 1800 minor faults and
≈ 10 ms per 15-frame ``m2penc`` request, ≈ 25 faults and 2 ms with these settings; ``bench/serving.py``).

:class:`TritonServer` starts it as a :class:`~dancegen.process.ManagedProcess` (PID file + log under
``run_dir``, default ``$DANCEGEN_HOME/triton``), waits until every model is ready, records the ports in
``tritonserver.json`` for ``status``/``stop`` and stops it with SIGTERM (models unload, then it exits).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import sysconfig
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dancegen
from dancegen.errors import DancegenError
from dancegen.paths import cache_dir, home_dir
from dancegen.process import ManagedProcess, pid_alive, port_open
from dancegen.serving.errors import ServingError

PROCESS_NAME = "tritonserver"
EXIT_TIMEOUT_SECONDS = 10  # how long tritonserver waits for in-flight requests when stopped
SHM_GROWTH_BYTES = 16 * 2**20  # Python backend shared memory grows in these steps (audio in, mp4 out)
MALLOC_SETTINGS = {  # glibc: serve blocks up to 32 MiB from the heap and keep up to 1 GiB of freed heap mapped
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(2**30),
}
_SYSTEM_LIBDIRS = {"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"}


def _pytriton_root() -> Path:
    try:
        import pytriton
    except ImportError:
        raise ServingError("the Triton server comes from nvidia-pytriton: pip install nvidia-pytriton==0.7.0") from None
    return Path(pytriton.__file__).parent


def triton_runtime() -> Path:
    """``<cache>/tritonserver/<pytriton version>-py<X.Y>``: bin/, backends/ (+ this Python's stub), caches/."""
    from importlib.metadata import version

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    target = cache_dir() / "tritonserver" / f"{version('nvidia-pytriton')}-py{python}"
    if (target / "bin" / "tritonserver").is_file():
        return target
    source = _pytriton_root() / "tritonserver"
    stub = source / "python_backend_stubs" / python / "triton_python_backend_stub"
    if not stub.is_file():
        raise ServingError(f"nvidia-pytriton has no Python backend stub for Python {python} ({stub})")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        shutil.copytree(source, staging / "rt", ignore=shutil.ignore_patterns("python_backend_stubs", "__pycache__"))
        shutil.copy2(stub, staging / "rt" / "backends" / "python" / "triton_python_backend_stub")
        try:
            (staging / "rt").rename(target)
        except OSError:  # another process assembled it first
            if not (target / "bin" / "tritonserver").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def server_environment() -> dict[str, str]:
    """LD_LIBRARY_PATH, PATH, PYTHONPATH and malloc settings for the server and its Python backend stubs."""
    libs = Path(_pytriton_root()).parent / "nvidia_pytriton.libs"
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    if libdir in _SYSTEM_LIBDIRS:  # found anyway; listing it would also swap torch's bundled libgomp for the system's
        libdir = ""
    package_parent = str(Path(dancegen.__file__).resolve().parents[1])

    def prepend(*entries: str, existing: str | None) -> str:
        return os.pathsep.join([e for e in entries if e] + ([existing] if existing else []))

    return {
        **{name: os.environ.get(name, value) for name, value in MALLOC_SETTINGS.items()},
        "LD_LIBRARY_PATH": prepend(str(libs), libdir, existing=os.environ.get("LD_LIBRARY_PATH")),
        "PATH": prepend(str(Path(sys.executable).parent), existing=os.environ.get("PATH")),
        "PYTHONPATH": prepend(package_parent, existing=os.environ.get("PYTHONPATH")),
    }


def _local_repository(repo: str) -> Path:
    """A local copy of an ``s3://`` repository (fresh on every start), or the local directory itself."""
    from dancegen.storage import Location

    location = Location.parse(repo)
    if not location.is_s3:
        path = Path(location.uri).resolve()
        if not path.is_dir():
            raise ServingError(f"--repo {path} is not a directory; export one with `dancegen serve export`")
        return path
    import hashlib

    target = cache_dir() / "triton-repositories" / hashlib.sha256(location.uri.encode()).hexdigest()[:16]
    shutil.rmtree(target, ignore_errors=True)
    for name in location.list(""):
        location.download_file(name, target / name)
    if not target.is_dir():
        raise ServingError(f"--repo {repo} holds no files; export one with `dancegen serve export --repo {repo}`")
    return target


def _get_json(url: str, method: str = "GET", timeout: float = 2.0):
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


@dataclass
class TritonServer:
    """tritonserver on 127.0.0.1 serving ``repo`` (a directory or ``s3://`` prefix)."""

    repo: str
    http_port: int = 8000
    grpc_port: int = 8001
    metrics_port: int = 8002
    run_dir: Path = field(default_factory=lambda: home_dir() / "triton")

    def __post_init__(self) -> None:
        self.repo = os.fspath(self.repo)  # a Path is welcome too; recorded as text

    @property
    def process(self) -> ManagedProcess:
        return ManagedProcess(PROCESS_NAME, Path(self.run_dir))

    @property
    def state_file(self) -> Path:
        return Path(self.run_dir) / f"{PROCESS_NAME}.json"

    @property
    def http_url(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    @classmethod
    def recorded(cls, run_dir: Path | None = None) -> TritonServer | None:
        """The server last started from ``run_dir`` (its ports and repo), or None."""
        state = Path(run_dir or home_dir() / "triton") / f"{PROCESS_NAME}.json"
        try:
            data = json.loads(state.read_text())
        except (OSError, ValueError):
            return None
        data.pop("pid", None)
        return cls(**{**data, "run_dir": Path(data.get("run_dir", state.parent))})

    def command(self, repository: Path) -> list[str]:
        runtime = triton_runtime()
        return [
            str(runtime / "bin" / "tritonserver"),
            f"--model-repository={repository}",
            f"--backend-directory={runtime / 'backends'}",
            f"--cache-directory={runtime / 'caches'}",
            "--http-address=127.0.0.1",
            f"--http-port={self.http_port}",
            "--grpc-address=127.0.0.1",
            f"--grpc-port={self.grpc_port}",
            "--allow-metrics=true",
            "--allow-gpu-metrics=false",
            "--metrics-address=127.0.0.1",
            f"--metrics-port={self.metrics_port}",
            "--disable-auto-complete-config",  # configs are complete; saves one stub start per model
            "--strict-readiness=true",
            "--exit-on-error=true",  # a model that fails to load stops the server: start() reports why
            f"--exit-timeout-secs={EXIT_TIMEOUT_SECONDS}",
            # stubs of concurrent servers must not share shared-memory region names
            f"--backend-config=python,shm-region-prefix-name=dancegen{self.grpc_port}_",
            f"--backend-config=python,shm-growth-byte-size={SHM_GROWTH_BYTES}",
            "--log-verbose=0",
        ]

    def ready(self) -> bool:
        """True when the server answers ``/v2/health/ready`` (every model loaded)."""
        try:
            urllib.request.urlopen(f"http://{self.http_url}/v2/health/ready", timeout=1.0).close()
            return True
        except OSError:
            return False

    def start(self, timeout: float = 180.0) -> TritonServer:
        """Start (unless this server already runs) and wait until every model is ready."""
        running = TritonServer.recorded(self.run_dir)
        if self.process.pid() is not None:
            if running and (running.repo, running.http_port) == (self.repo, self.http_port) and self.ready():
                return self
            raise ServingError(
                f"a Triton server already runs from {self.run_dir} (pid {self.process.pid()}); "
                f"stop it with `dancegen serve stop` first"
            )
        for option, port in (("--http-port", self.http_port), ("--grpc-port", self.grpc_port)):
            if port_open(port):
                raise ServingError(f"port {port} on 127.0.0.1 is in use; pass another {option}")
        if port_open(self.metrics_port):
            raise ServingError(f"port {self.metrics_port} on 127.0.0.1 is in use; pass another --metrics-port")
        repository = _local_repository(self.repo)
        self.process.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.process.log_file.write_text("")  # this run's log only: start-up errors are read from it
        pid = self.process.start(self.command(repository), env=server_environment())
        try:
            self.state_file.write_text(json.dumps({**asdict(self), "run_dir": str(self.run_dir), "pid": pid}) + "\n")
            self.process.wait_ready(self.ready, timeout=timeout)
        except DancegenError:
            reason = self.load_errors() or self.process.last_log_line()
            self.stop()
            raise ServingError(f"Triton server did not start: {reason} (log: {self.process.log_file})") from None
        except BaseException:  # Ctrl-C while waiting, a full disk: no server is left running unrecorded
            self.stop()
            raise
        return self

    def load_errors(self) -> str:
        """The log lines saying why models failed to load, joined (empty if none)."""
        try:
            lines = self.process.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        markers = ("failed to load", "TritonModelException", "Traceback", "Error:")
        found = [line.strip() for line in lines if any(marker in line for marker in markers)]
        return " | ".join(dict.fromkeys(found))[:1500]

    def models(self) -> list[dict]:
        """The repository index: ``[{"name", "version", "state", "reason"}]`` (empty if unreachable)."""
        try:
            return _get_json(f"http://{self.http_url}/v2/repository/index", method="POST") or []
        except (OSError, ValueError):
            return []

    def status(self) -> dict:
        """pid, ready, URLs, repo and model states."""
        pid = self.process.pid()
        return {
            "running": pid is not None,
            "pid": pid,
            "ready": pid is not None and self.ready(),
            "repo": self.repo,
            "http": self.http_url,
            "grpc": self.grpc_url,
            "metrics": self.metrics_url,
            "models": self.models() if pid is not None else [],
            "log": str(self.process.log_file),
        }

    def stop(self) -> bool:
        """SIGTERM to tritonserver alone (it unloads the models, which ends their stubs, and lets in-flight
        requests finish), then SIGKILL to whatever of its process group is left; True if it ran.

        Signalling the stubs directly, as a group SIGTERM would, makes the server wait out its exit timeout.
        """
        pid = self.process.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + EXIT_TIMEOUT_SECONDS + 5
            while time.monotonic() < deadline and pid_alive(pid):
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            self.process.stop(timeout=1.0)  # reaps, removes the PID file
        self.state_file.unlink(missing_ok=True)
        return pid is not None
