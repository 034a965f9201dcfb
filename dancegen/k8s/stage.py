"""One training stage as a PyTorchJob, end to end: what the ``train_stage`` KFP component calls for
``executor=pytorchjob`` (build with :func:`~dancegen.k8s.pytorchjob.build_pytorchjob`, submit, wait).

Inside a pipeline pod the client uses the pod's ServiceAccount (``pipeline-runner``, whose Role in
``charts/dancegen-pipeline`` allows exactly this); elsewhere a kubeconfig.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from dancegen.errors import ConfigError
from dancegen.k8s.client import ClusterError, JobStatus, JobTimeout, PyTorchJobClient
from dancegen.k8s.pytorchjob import DEFAULT_TRAINER_IMAGE, build_pytorchjob, make_config


def submit_training_stage(
    stage: int,
    preset: str,
    data: str,
    out: str,
    namespace: str | None = None,
    image: str = DEFAULT_TRAINER_IMAGE,
    zero_stage: int | None = None,
    kubeconfig: str | None = None,
    wait: bool = True,
    timeout: float = 7 * 24 * 3600,
    poll: float = 10.0,
    name: str | None = None,
    raise_on_failure: bool = True,
    cancel_on_timeout: bool = True,
    on_poll: Callable[[Any], None] | None = None,
    **job_fields: Any,
) -> JobStatus:
    """Build and submit stage ``stage``'s PyTorchJob; with ``wait``, block until it Succeeded or Failed.

    Args:
        stage, preset, data, out, image, zero_stage: as ``dancegen train`` / :class:`PyTorchJobConfig`.
        namespace: target namespace; None = the kubeconfig context's (in a pod: its own).
        name: job name; None = ``dancegen-stage<N>-<preset>-<6 hex>`` so reruns do not collide.
        timeout, poll: seconds to wait in total / between status reads.
        raise_on_failure: a Failed job raises ClusterError (fails the pipeline step) instead of returning.
        cancel_on_timeout: delete the job when ``timeout`` passes (frees the GPUs), then raise.
        job_fields: any other :class:`~dancegen.k8s.pytorchjob.PyTorchJobConfig` field (nodes, init, …).

    Returns:
        The job's status: ``condition`` is "Created" without ``wait``, else "Succeeded" or "Failed".
    """
    client = PyTorchJobClient(kubeconfig=kubeconfig, namespace=namespace)
    if "namespace" in job_fields:
        raise ConfigError("pass the namespace as submit_training_stage(namespace=...), not as a job field")
    cfg = make_config(
        stage=stage,
        preset=preset,
        data=data,
        out=out,
        image=image,
        zero_stage=zero_stage,
        namespace=client.namespace,
        name=name or f"dancegen-stage{stage}-{preset}-{secrets.token_hex(3)}",
        **job_fields,
    )
    stored = client.submit(build_pytorchjob(cfg))
    if not wait:
        return JobStatus(stored.metadata.name, stored.metadata.namespace, "Created", "", "submitted")
    try:
        status = client.wait(cfg.name, cfg.namespace, timeout=timeout, poll=poll, on_poll=on_poll)
    except JobTimeout:
        if cancel_on_timeout:
            client.cancel(cfg.name, cfg.namespace)
        raise
    if raise_on_failure and not status.succeeded:
        raise ClusterError(
            f"PyTorchJob {status.namespace}/{status.name} Failed ({status.reason}): {status.message}; "
            f"see `dancegen k8s logs {status.name} -n {status.namespace}`"
        )
    return status
