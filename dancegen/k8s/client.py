"""Submit, watch, read the logs of and cancel PyTorchJobs on a Kubernetes cluster.

kubeflow-training's ``TrainingClient`` does the reads it does well (get a job, list its pods, delete it);
the kubernetes client does what it cannot: return the object the server stored on create (with the
server's own error message), and stream a pod's log line by line. Every failure is a :class:`ClusterError`
with the API server's message and a hint.

The terminal state of a job is its newest condition with ``status: "True"`` whose type is ``Succeeded`` or
``Failed`` (set by the training operator; tests patch the status subresource where the operator would).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kubeflow.training import TrainingClient
from kubeflow.training import models as kf
from kubeflow.training.constants import constants as kfc
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException
from urllib3.exceptions import HTTPError

from dancegen.errors import DancegenError
from dancegen.k8s.pytorchjob import API_VERSION, job_from_dict, job_to_dict
from dancegen.k8s.webhook import CONTAINER_NAME, check_webhook_rules

GROUP, VERSION = API_VERSION.split("/")
PLURAL = kfc.PYTORCHJOB_PLURAL
TERMINAL = ("Succeeded", "Failed")
SA_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


class ClusterError(DancegenError):
    """A Kubernetes API request the server refused, or a server that cannot be reached."""


class JobTimeout(ClusterError):
    """A job that did not finish within the time it was given."""


@dataclass(frozen=True)
class JobStatus:
    """Where a PyTorchJob stands: ``condition`` is "Succeeded" or "Failed" ("Created" right after submit)."""

    name: str
    namespace: str
    condition: str
    reason: str
    message: str

    @property
    def succeeded(self) -> bool:
        return self.condition == "Succeeded"


def server_message(exc: ApiException) -> str:
    """The ``message`` of the API server's Status body, else the HTTP reason."""
    try:
        return json.loads(exc.body)["message"]
    except (TypeError, ValueError, KeyError):
        return f"HTTP {exc.status} {exc.reason}"


def load_configuration(kubeconfig: str | None = None, context: str | None = None) -> tuple[k8s.Configuration, str]:
    """Client configuration and default namespace: ``kubeconfig`` (or $KUBECONFIG, ~/.kube/config), else in-cluster."""
    configuration = k8s.Configuration()
    try:
        k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
        _, active = k8s_config.list_kube_config_contexts(config_file=kubeconfig)
        if context:
            contexts, _ = k8s_config.list_kube_config_contexts(config_file=kubeconfig)
            active = next(c for c in contexts if c["name"] == context)
        return configuration, active.get("context", {}).get("namespace") or "default"
    except (k8s_config.ConfigException, OSError) as exc:
        if kubeconfig or not SA_NAMESPACE_FILE.exists():
            raise ClusterError(
                f"no usable kubeconfig ({kubeconfig or '$KUBECONFIG or ~/.kube/config'}): {exc}; "
                "pass --kubeconfig or set KUBECONFIG"
            ) from None
    k8s_config.load_incluster_config(client_configuration=configuration)
    return configuration, SA_NAMESPACE_FILE.read_text().strip()


class PyTorchJobClient:
    """PyTorchJobs in one cluster. ``namespace`` defaults to the kubeconfig context's (in a pod: its own)."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None):
        configuration, default_namespace = load_configuration(kubeconfig, context)
        self.namespace = namespace or default_namespace
        self.server = configuration.host
        self.training = TrainingClient(client_configuration=configuration, namespace=self.namespace)
        api = k8s.ApiClient(configuration)
        self.custom = k8s.CustomObjectsApi(api)
        self.core = k8s.CoreV1Api(api)

    def _fail(self, what: str, exc: BaseException) -> ClusterError:
        cause = exc.__cause__ if isinstance(exc, RuntimeError) else exc
        if isinstance(cause, ApiException):
            hint = {
                401: "the kubeconfig's credentials were refused",
                403: "ask for RBAC rights (the pipeline-runner Role of charts/dancegen-rbac)",
                404: "check the name and --namespace",
                409: "cancel the existing job first or pass another --name",
            }.get(cause.status, "fix the job and submit again")
            return ClusterError(f"{what}: {server_message(cause)} ({hint})")
        return ClusterError(f"{what}: cannot talk to the API server at {self.server} ({exc}); check the kubeconfig")

    def submit(self, job: kf.KubeflowOrgV1PyTorchJob, check: bool = True) -> kf.KubeflowOrgV1PyTorchJob:
        """Create ``job`` (after the webhook checks unless ``check=False``) and return what the server stored."""
        if check:
            check_webhook_rules(job)
        namespace = job.metadata.namespace or self.namespace
        what = f"API server rejected PyTorchJob {namespace}/{job.metadata.name}"
        try:
            stored = self.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, job_to_dict(job))
        except (ApiException, HTTPError) as exc:
            raise self._fail(what, exc) from None
        return job_from_dict(stored)

    def get(self, name: str, namespace: str | None = None) -> kf.KubeflowOrgV1PyTorchJob:
        """The job as stored now (spec and status)."""
        namespace = namespace or self.namespace
        try:
            return self.training.get_job(name, namespace=namespace, job_kind=kfc.PYTORCHJOB_KIND)
        except (RuntimeError, TimeoutError) as exc:
            raise self._fail(f"cannot get PyTorchJob {namespace}/{name}", exc) from None

    def terminal_status(self, job: kf.KubeflowOrgV1PyTorchJob) -> JobStatus | None:
        """The job's terminal condition, or None while it is still pending or running."""
        conditions = (job.status.conditions if job.status else None) or []
        for cond in reversed(conditions):
            if cond.type in TERMINAL and cond.status == "True":
                meta = job.metadata
                return JobStatus(meta.name, meta.namespace, cond.type, cond.reason or "", cond.message or "")
        return None

    def wait(
        self,
        name: str,
        namespace: str | None = None,
        timeout: float = 24 * 3600,
        poll: float = 5.0,
        on_poll: Callable[[kf.KubeflowOrgV1PyTorchJob], None] | None = None,
    ) -> JobStatus:
        """Poll until the job Succeeded or Failed and return that condition; ClusterError after ``timeout`` s."""
        namespace = namespace or self.namespace
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(name, namespace)
            if on_poll:
                on_poll(job)
            done = self.terminal_status(job)
            if done:
                return done
            if time.monotonic() >= deadline:
                conditions = (job.status.conditions if job.status else None) or []
                last = conditions[-1].type if conditions else "no status yet"
                raise JobTimeout(
                    f"PyTorchJob {namespace}/{name} did not finish within {timeout:g} s (last condition: {last}); "
                    "wait longer with --timeout or inspect it with `dancegen k8s logs`"
                )
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    def pods(self, name: str, namespace: str | None = None, replica_type: str | None = None) -> list[k8s.V1Pod]:
        """The job's pods (labelled by the operator), optionally of one replica type (``master``/``worker``)."""
        namespace = namespace or self.namespace
        try:
            return self.training.get_job_pods(name, namespace=namespace, replica_type=replica_type)
        except (RuntimeError, TimeoutError) as exc:
            raise self._fail(f"cannot list the pods of PyTorchJob {namespace}/{name}", exc) from None

    def logs(
        self,
        name: str,
        namespace: str | None = None,
        replica_type: str = "master",
        index: int = 0,
        follow: bool = True,
        pod_timeout: float = 600.0,
        poll: float = 2.0,
    ) -> Iterator[str]:
        """Yield the log lines of one replica's ``pytorch`` container; with ``follow`` until the container ends.

        Waits up to ``pod_timeout`` s for the pod to exist and leave ``Pending``.
        """
        namespace = namespace or self.namespace
        pod = self._wait_for_pod(name, namespace, replica_type.lower(), index, pod_timeout, poll)
        what = f"cannot read the log of pod {namespace}/{pod}"
        try:
            response = self.core.read_namespaced_pod_log(
                pod, namespace, container=CONTAINER_NAME, follow=follow, _preload_content=False
            )
        except (ApiException, HTTPError) as exc:
            raise self._fail(what, exc) from None
        pending = b""
        try:
            for chunk in response.stream(amt=None, decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", errors="replace")
        except HTTPError as exc:
            raise self._fail(what, exc) from None
        finally:
            response.release_conn()
        if pending:
            yield pending.decode("utf-8", errors="replace")

    def _wait_for_pod(self, name: str, namespace: str, replica_type: str, index: int, timeout: float, poll: float):
        deadline = time.monotonic() + timeout
        while True:
            pods = [
                pod
                for pod in self.pods(name, namespace, replica_type)
                if (pod.metadata.labels or {}).get(kfc.REPLICA_INDEX_LABEL) == str(index)
            ]
            if pods and pods[0].status and pods[0].status.phase not in (None, "Pending"):
                return pods[0].metadata.name
            if time.monotonic() >= deadline:
                state = f"pod {pods[0].metadata.name} is still Pending" if pods else "no pod exists yet"
                raise ClusterError(
                    f"PyTorchJob {namespace}/{name}: {replica_type} {index} has no log after {timeout:g} s "
                    f"({state}); check the job with `dancegen k8s wait` or the operator's events"
                )
            time.sleep(poll)

    def cancel(self, name: str, namespace: str | None = None) -> None:
        """Delete the job; the operator's owner references let the garbage collector remove its pods."""
        namespace = namespace or self.namespace
        try:
            self.training.delete_job(
                name,
                namespace=namespace,
                job_kind=kfc.PYTORCHJOB_KIND,
                delete_options=k8s.V1DeleteOptions(propagation_policy="Background"),
            )
        except (RuntimeError, TimeoutError) as exc:
            raise self._fail(f"cannot cancel PyTorchJob {namespace}/{name}", exc) from None
