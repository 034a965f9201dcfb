"""A real kube-apiserver + etcd on 127.0.0.1 for tests, driven through ``scripts/test-cluster.sh``.

The script builds (once, cached under ``$DANCEGEN_CACHE/kube``) and starts the servers, installs the
training operator's PyTorchJob CRD and writes two kubeconfigs: an admin (``system:masters``) and the
``pipeline-runner`` ServiceAccount identity of ``$DANCEGEN_RUNNER_NAMESPACE``. No kubelet or controllers
run: objects are validated and stored, nothing is scheduled.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from dancegen.errors import DancegenError

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test-cluster.sh"
CHARTS = SCRIPT.parents[1] / "charts"


@dataclass(frozen=True)
class LocalCluster:
    """A started test cluster: kubeconfigs, the API server URL and the helm/kubectl binaries."""

    run_dir: Path
    kubeconfig: Path
    runner_kubeconfig: Path
    runner_namespace: str
    server: str
    kubectl: Path
    helm: Path

    def kubectl_run(
        self, *args: str, kubeconfig: Path | None = None, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run kubectl against this cluster (admin unless ``kubeconfig``); output captured as text."""
        cmd = [str(self.kubectl), "--kubeconfig", str(kubeconfig or self.kubeconfig), *args]
        done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise DancegenError(f"kubectl {' '.join(args)} failed: {done.stderr.strip()[:500]}")
        return done


def run_script(command: str, run_dir: Path | None = None, timeout: float = 3600) -> str:
    """``scripts/test-cluster.sh COMMAND`` with ``DANCEGEN_CLUSTER_DIR=run_dir``; stdout, or DancegenError."""
    if not SCRIPT.is_file():
        raise DancegenError(f"{SCRIPT} is missing; the test cluster needs a dancegen source checkout")
    env = dict(os.environ)
    if run_dir is not None:
        env["DANCEGEN_CLUSTER_DIR"] = str(run_dir)
    done = subprocess.run(["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-5:])
        raise DancegenError(f"scripts/test-cluster.sh {command} failed: {tail}")
    return done.stdout


def parse_env(text: str) -> dict[str, str]:
    """``export KEY=VALUE`` lines → dict."""
    values = {}
    for line in text.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            values[key] = " ".join(shlex.split(value))
    return values


def tool_paths() -> tuple[Path, Path]:
    """``(helm, kubectl)``, fetched into the cache if missing (no cluster needed)."""
    env = parse_env(run_script("tools"))
    return Path(env["DANCEGEN_HELM"]), Path(env["DANCEGEN_KUBECTL"])


def start_cluster(run_dir: Path) -> LocalCluster:
    """Build if needed, then start (or join the one already running in ``run_dir``)."""
    run_script("build")
    env = parse_env(run_script("start", run_dir))
    return LocalCluster(
        run_dir=run_dir,
        kubeconfig=Path(env["KUBECONFIG"]),
        runner_kubeconfig=Path(env["DANCEGEN_RUNNER_KUBECONFIG"]),
        runner_namespace=env["DANCEGEN_RUNNER_NAMESPACE"],
        server=env["DANCEGEN_KUBE_SERVER"],
        kubectl=Path(env["DANCEGEN_KUBECTL"]),
        helm=Path(env["DANCEGEN_HELM"]),
    )


def stop_cluster(run_dir: Path) -> None:
    """Stop the servers of ``run_dir`` by PID (a no-op if they are gone)."""
    run_script("stop", run_dir)


def cluster_session(tmp_path_factory) -> Iterator[LocalCluster]:
    """Body of a session-scoped pytest fixture: one cluster per test session, shared by every conftest
    that registers it (same run directory, so a second start joins the first), stopped at the end."""
    run_dir = Path(tmp_path_factory.getbasetemp()) / "kube-cluster"
    cluster = start_cluster(run_dir)
    try:
        yield cluster
    finally:
        stop_cluster(run_dir)


def render_chart(
    helm: Path,
    chart: Path,
    release: str,
    namespace: str,
    values: Sequence[Path] = (),
    sets: Sequence[str] = (),
    kube_version: str | None = None,
) -> list[dict]:
    """``helm template`` → the rendered objects; a template ``fail``/``required`` or schema error is a
    DancegenError carrying helm's message."""
    cmd = [str(helm), "template", release, str(chart), "--namespace", namespace]
    for path in values:
        cmd += ["--values", str(path)]
    for pair in sets:
        cmd += ["--set", pair]
    if kube_version:
        cmd += ["--kube-version", kube_version]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise DancegenError(f"helm template {chart.name} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def install_chart(cluster: LocalCluster, chart: str, release: str, namespace: str, *sets: str) -> list[dict]:
    """Render ``charts/<chart>`` and ``kubectl apply`` it for real (idempotent); return the objects."""
    objects = render_chart(cluster.helm, CHARTS / chart, release, namespace, sets=sets, kube_version="1.20.2")
    cluster.kubectl_run("apply", "-f", "-", stdin=yaml.safe_dump_all(objects))
    return objects
