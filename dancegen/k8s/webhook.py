"""The training operator's admission-webhook rules for PyTorchJobs (training-operator v1).

The CRD's OpenAPI schema (which the API server enforces) checks types and shapes; the operator's validating
webhook adds rules the schema cannot express. A cluster without the webhook (or a dry run) would accept
such a job and the operator would then fail it, so :func:`check_webhook_rules` applies them before submission.
"""

from __future__ import annotations

import re

from kubeflow.training import models as kf

from dancegen.errors import ConfigError

CONTAINER_NAME = "pytorch"  # the operator finds the training container by this name
RESTART_POLICIES = ("Always", "OnFailure", "Never", "ExitCode")
REPLICA_TYPES = ("Master", "Worker")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_NAME_MAX = 50  # pods are named <job>-worker-<index>; a pod's hostname must stay within 63 characters


def check_webhook_rules(job: kf.KubeflowOrgV1PyTorchJob) -> None:
    """Raise ConfigError for what training-operator v1's validating webhook rejects (the CRD schema does not)."""
    name = job.metadata.name or ""
    if not _DNS1035.match(name) or len(name) > _NAME_MAX:
        raise ConfigError(
            f"job name {name!r} must be a DNS-1035 label (lowercase letters, digits, '-', starting with a letter) "
            f"of at most {_NAME_MAX} characters; pass another --name"
        )
    spec = job.spec
    if not spec.pytorch_replica_specs:
        raise ConfigError(f"PyTorchJob {name}: spec.pytorchReplicaSpecs is empty; give a Master or Worker replica")
    nproc = spec.nproc_per_node
    if nproc is not None and (not isinstance(nproc, str) or not (nproc in ("auto", "cpu", "gpu") or nproc.isdigit())):
        raise ConfigError(
            f"PyTorchJob {name}: spec.nprocPerNode = {nproc!r} must be a string: 'auto', 'cpu', 'gpu' or digits"
        )
    if spec.elastic_policy is not None:
        policy = spec.elastic_policy
        if policy.n_proc_per_node is not None and nproc is not None:
            raise ConfigError(
                f"PyTorchJob {name}: elasticPolicy.nProcPerNode and spec.nprocPerNode are both set; keep nprocPerNode"
            )
        low, high = policy.min_replicas, policy.max_replicas
        if low is not None and high is not None and low > high:
            raise ConfigError(f"PyTorchJob {name}: elasticPolicy.minReplicas {low} > maxReplicas {high}; swap them")
    for kind, replica in spec.pytorch_replica_specs.items():
        where = f"PyTorchJob {name}: pytorchReplicaSpecs.{kind}"
        if kind not in REPLICA_TYPES:
            raise ConfigError(f"{where}: replica type {kind!r} is not one of {list(REPLICA_TYPES)}")
        if replica.replicas is None or replica.replicas < 1:
            raise ConfigError(f"{where}.replicas = {replica.replicas!r} must be at least 1")
        if kind == "Master" and replica.replicas != 1:
            raise ConfigError(f"{where}.replicas = {replica.replicas} must be 1 (a job has one master)")
        if replica.restart_policy not in RESTART_POLICIES:
            raise ConfigError(
                f"{where}.restartPolicy = {replica.restart_policy!r} must be one of {list(RESTART_POLICIES)}"
            )
        containers = (replica.template.spec.containers or []) if replica.template and replica.template.spec else []
        main = [c for c in containers if c.name == CONTAINER_NAME]
        if not main:
            raise ConfigError(f"{where}: no container named {CONTAINER_NAME!r}; the operator needs one")
        if not main[0].image:
            raise ConfigError(f"{where}: container {CONTAINER_NAME!r} has no image; pass --image")
        if spec.elastic_policy is not None:
            low, high = spec.elastic_policy.min_replicas, spec.elastic_policy.max_replicas
            if (low is not None and replica.replicas < low) or (high is not None and replica.replicas > high):
                raise ConfigError(
                    f"{where}.replicas = {replica.replicas} is outside elasticPolicy [{low}, {high}]; "
                    "set --nodes within --min-nodes..--max-nodes"
                )
