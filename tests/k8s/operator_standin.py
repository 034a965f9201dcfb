"""What the training operator and a kubelet would do, for a cluster that has neither.

``set_conditions`` writes a PyTorchJob's status subresource like the operator; ``StandInKubelet`` is an HTTPS
server that answers the API server's ``/containerLogs/…`` requests for one Node, so ``pods/log`` works.
"""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
import time
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config

from dancegen.k8s.client import GROUP, PLURAL, VERSION


def api_client(kubeconfig: Path) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    return k8s.ApiClient(configuration)


def set_conditions(kubeconfig: Path, namespace: str, name: str, *conditions: tuple[str, str, str]) -> None:
    """Patch ``status.conditions`` to ``(type, reason, message)`` entries, all ``status: "True"``."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "status": {
            "conditions": [
                {"type": kind, "status": "True", "reason": reason, "message": message, "lastTransitionTime": now}
                for kind, reason, message in conditions
            ],
            "replicaStatuses": {},
        }
    }
    k8s.CustomObjectsApi(api_client(kubeconfig)).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, name, body
    )


def finish_later(kubeconfig: Path, namespace: str, name: str, outcome: str, delay: float = 0.5) -> threading.Thread:
    """In a thread: once the job exists, after ``delay`` s mark it Running, then after ``delay`` more ``outcome``."""
    custom = k8s.CustomObjectsApi(api_client(kubeconfig))

    def run():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
                break
            except k8s.ApiException:
                time.sleep(0.1)
        created = ("Created", "PyTorchJobCreated", f"PyTorchJob {name} is created.")
        running = ("Running", "PyTorchJobRunning", f"PyTorchJob {name} is running.")
        time.sleep(delay)
        set_conditions(kubeconfig, namespace, name, created, running)
        time.sleep(delay)
        final = (outcome, f"PyTorchJob{outcome}", f"PyTorchJob {name} is {outcome.lower()}.")
        set_conditions(kubeconfig, namespace, name, created, running, final)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class StandInKubelet:
    """HTTPS on 127.0.0.1 serving ``lines`` as every container's log (the API server skips verification
    of kubelet certificates when it has no kubelet CA, so the test cluster's serving certificate will do)."""

    def __init__(self, cert: Path, key: Path, lines: list[str]):
        body = "".join(f"{line}\n" for line in lines).encode()
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInKubelet:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def register_node(kubeconfig: Path, name: str, kubelet_port: int) -> None:
    """A Node whose kubelet endpoint is the stand-in (127.0.0.1:kubelet_port)."""
    node = k8s.V1Node(
        metadata=k8s.V1ObjectMeta(name=name),
        status=k8s.V1NodeStatus(
            addresses=[k8s.V1NodeAddress(type="InternalIP", address="127.0.0.1")],
            daemon_endpoints=k8s.V1NodeDaemonEndpoints(kubelet_endpoint=k8s.V1DaemonEndpoint(port=kubelet_port)),
        ),
    )
    k8s.CoreV1Api(api_client(kubeconfig)).create_node(node)


def run_pod_like_the_operator(kubeconfig: Path, namespace: str, job, replica: str, index: int, node: str) -> str:
    """Create the pod the operator would for ``replica``/``index`` of ``job`` (its labels, the ``pytorch``
    container), bound to ``node`` and marked Running; return its name."""
    name = f"{job.metadata.name}-{replica.lower()}-{index}"
    template = job.spec.pytorch_replica_specs[replica].template
    labels = {
        **template.metadata.labels,
        "training.kubeflow.org/job-name": job.metadata.name,
        "training.kubeflow.org/replica-type": replica.lower(),
        "training.kubeflow.org/replica-index": str(index),
        "training.kubeflow.org/operator-name": "pytorchjob-controller",
    }
    pod = k8s.V1Pod(metadata=k8s.V1ObjectMeta(name=name, labels=labels), spec=template.spec)
    pod.spec.node_name = node
    core = k8s.CoreV1Api(api_client(kubeconfig))
    if not core.list_namespaced_service_account(namespace, field_selector="metadata.name=default").items:
        # the ServiceAccount admission plugin wants the namespace's default account (a controller makes it)
        account = k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name="default"))
        core.create_namespaced_service_account(namespace, account)
    core.create_namespaced_pod(namespace, pod)
    core.patch_namespaced_pod_status(name, namespace, {"status": {"phase": "Running"}})
    return name
