"""A Kubeflow PyTorchJob for one training stage (paper §3.4, §4.1: eight A100s, DeepSpeed).

From a stage and a preset, :func:`build_pytorchjob` builds a ``kubeflow.org/v1`` PyTorchJob (the
kubeflow-training models): a ``Master`` and ``nodes - 1`` ``Worker`` replicas (only ``Worker`` replicas under
an elastic policy), each pod running::

    torchrun -m dancegen train --stage N --preset P --data URI --out URI --zero-stage Z --resume auto

with ``nvidia.com/gpu`` GPUs and ``spec.nprocPerNode`` processes per pod. The training operator injects
``PET_NNODES``, ``PET_NPROC_PER_NODE``, ``PET_NODE_RANK``, ``PET_MASTER_ADDR`` and ``PET_MASTER_PORT``, which
torchrun reads, so the command carries no rendezvous flags. ``restartPolicy: OnFailure`` with
``runPolicy.backoffLimit`` restarts a failed pod, and ``--resume auto`` makes the restarted trainer continue
from the newest checkpoint under ``--out``. S3 and MLflow credentials come from a Secret (env
``secretKeyRef``), ``/dev/shm`` is a memory-backed emptyDir (NCCL and data-loader shared memory), and the
container runs as non-root with a read-only root filesystem (``/tmp`` is an emptyDir).

Rules the operator's admission webhook enforces but the CRD schema does not are checked before a job leaves
(:func:`dancegen.k8s.webhook.check_webhook_rules`), so a bad job fails with a :class:`ConfigError`.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from kubeflow.training import models as kf
from kubernetes import client as k8s
from pydantic import Field, ValidationError, model_validator

import dancegen
from dancegen.config import StrictModel, validation_message
from dancegen.errors import ConfigError
from dancegen.k8s.webhook import CONTAINER_NAME, RESTART_POLICIES, check_webhook_rules

API_VERSION = "kubeflow.org/v1"
KIND = "PyTorchJob"
DEFAULT_TRAINER_IMAGE = f"dancegen/trainer:{dancegen.__version__}"
GPU_RESOURCE = "nvidia.com/gpu"
SECRET_ENV_REQUIRED = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_URI")
SECRET_ENV_OPTIONAL = (
    "AWS_ENDPOINT_URL",
    "MLFLOW_S3_ENDPOINT_URL",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
)


class Toleration(StrictModel):
    """A pod toleration (``kubectl explain pod.spec.tolerations``)."""

    key: str | None = None
    operator: Literal["Exists", "Equal"] = "Exists"
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None


class Resources(StrictModel):
    """Per-pod CPU and memory (Kubernetes quantities); GPUs come from ``gpus_per_node``."""

    cpu: str = Field(description="CPU request, e.g. '64'")
    memory: str = Field(description="memory request and limit, e.g. '600Gi'")
    shm: str = Field(description="size limit of the memory-backed /dev/shm")


class ElasticPolicy(StrictModel):
    """torchrun elastic training: the job runs with between ``min_replicas`` and ``max_replicas`` pods."""

    min_replicas: int = Field(ge=1)
    max_replicas: int = Field(ge=1)
    max_restarts: int = Field(default=10, ge=0, description="torchrun restarts of the worker group")
    rdzv_backend: Literal["c10d", "etcd", "etcd-v2"] = "c10d"


class PyTorchJobConfig(StrictModel):
    """Everything a stage's PyTorchJob needs; ``None`` fields take the preset's value (:data:`PRESET_DEFAULTS`)."""

    stage: Literal[0, 1, 2, 3]
    preset: Literal["tiny", "paper"]
    data: str = Field(min_length=1, description="SDGPip dataset: s3://bucket/prefix (or a path inside the pod)")
    out: str = Field(min_length=1, description="run directory: s3://bucket/prefix (or a path inside the pod)")
    name: str | None = Field(default=None, description="job name; default dancegen-stage<N>-<preset>")
    namespace: str = "default"
    image: str = DEFAULT_TRAINER_IMAGE
    image_pull_policy: Literal["IfNotPresent", "Always", "Never"] = "IfNotPresent"
    nodes: int | None = Field(default=None, ge=1, description="pods (one per node): 1 Master + nodes-1 Workers")
    gpus_per_node: int | None = Field(default=None, ge=0, description="nvidia.com/gpu per pod; 0 = CPU (gloo)")
    procs_per_node: int | None = Field(default=None, ge=1, description="torchrun processes per pod; default = GPUs")
    zero_stage: Literal[1, 2, 3] | None = Field(default=None, description="None: the training config's")
    train_config: str | None = Field(default=None, description="training YAML as seen inside the pod (--config)")
    init: str | None = Field(default=None, description="previous stage's exported model (--init)")
    resume: bool = Field(default=True, description="pass --resume auto so a restarted pod continues")
    extra_args: list[str] = Field(default_factory=list, description="appended to `dancegen train`")
    secret_name: str = Field(default="dancegen-credentials", description="Secret with the S3/MLflow env keys")
    service_account: str | None = None
    resources: Resources | None = None
    node_selector: dict[str, str] | None = None
    tolerations: list[Toleration] | None = None
    restart_policy: str = Field(default="OnFailure", description=f"one of {RESTART_POLICIES}")
    backoff_limit: int = Field(default=3, ge=0, description="pod restarts before the job is Failed")
    clean_pod_policy: Literal["None", "Running", "All"] = "Running"
    active_deadline_seconds: int | None = Field(default=None, ge=1)
    ttl_seconds_after_finished: int | None = Field(default=None, ge=0)
    termination_grace_seconds: int = Field(default=120, ge=0, description="time to flush a checkpoint on SIGTERM")
    elastic: ElasticPolicy | None = None
    env: dict[str, str] = Field(default_factory=dict, description="extra container env (wins over defaults)")
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fill_preset(self) -> PyTorchJobConfig:
        for key, value in PRESET_DEFAULTS[self.preset].items():
            if getattr(self, key) is None:
                setattr(self, key, value)
        if self.procs_per_node is None:
            self.procs_per_node = self.gpus_per_node or 2
        if self.name is None:
            self.name = f"dancegen-stage{self.stage}-{self.preset}"
        return self


PRESET_DEFAULTS: dict[str, dict[str, Any]] = {
    # §4.1: one node with eight A100s; CPU/memory sized for an 8-GPU A100 node (DGX/p4d class)
    "paper": {
        "nodes": 1,
        "gpus_per_node": 8,
        "resources": Resources(cpu="64", memory="600Gi", shm="64Gi"),
        "node_selector": {},
        "tolerations": [Toleration(key=GPU_RESOURCE, operator="Exists", effect="NoSchedule")],
    },
    # CPU pods: two gloo processes per pod, for a small cluster or CI
    "tiny": {
        "nodes": 1,
        "gpus_per_node": 0,
        "resources": Resources(cpu="2", memory="8Gi", shm="1Gi"),
        "node_selector": {},
        "tolerations": [],
    },
}

NCCL_ENV = {
    "NCCL_DEBUG": "WARN",
    "NCCL_SOCKET_IFNAME": "eth0",  # the pod network interface; bootstrap traffic stays off loopback
    "TORCH_NCCL_ASYNC_ERROR_HANDLING": "1",  # a hung collective fails the pod, which OnFailure restarts
}


def make_config(**fields: Any) -> PyTorchJobConfig:
    """:class:`PyTorchJobConfig` from keyword fields; an unknown or ill-typed field is a ConfigError."""
    try:
        return PyTorchJobConfig.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, "pytorchjob config")) from None


def resolve_zero_stage(cfg: PyTorchJobConfig) -> int:
    """``cfg.zero_stage`` or the ZeRO stage of the stage's training config (preset + ``train_config`` if local)."""
    if cfg.zero_stage is not None:
        return cfg.zero_stage
    from pathlib import Path

    from dancegen.train.config import load_train_config

    local = cfg.train_config if cfg.train_config and Path(cfg.train_config).is_file() else None
    return load_train_config(stage=cfg.stage, preset=cfg.preset, config_path=local).deepspeed.zero_stage


def train_args(cfg: PyTorchJobConfig) -> list[str]:
    """The container's args after ``torchrun``: ``-m dancegen train …`` (flags per the train CLI)."""
    args = ["-m", "dancegen", "train", "--stage", str(cfg.stage), "--preset", cfg.preset]
    if cfg.train_config:
        args += ["--config", cfg.train_config]
    args += ["--data", cfg.data, "--out", cfg.out, "--zero-stage", str(resolve_zero_stage(cfg))]
    if cfg.init:
        args += ["--init", cfg.init]
    if cfg.resume:
        args += ["--resume", "auto"]
    return args + list(cfg.extra_args)


def container_env(cfg: PyTorchJobConfig) -> list[k8s.V1EnvVar]:
    """Credentials from the Secret (keys named like the variables), NCCL settings on GPUs, and ``cfg.env``."""
    env = [
        k8s.V1EnvVar(
            name=key,
            value_from=k8s.V1EnvVarSource(
                secret_key_ref=k8s.V1SecretKeySelector(
                    name=cfg.secret_name, key=key, optional=True if key in SECRET_ENV_OPTIONAL else None
                )
            ),
        )
        for key in SECRET_ENV_REQUIRED + SECRET_ENV_OPTIONAL
    ]
    plain = {"HOME": "/tmp", "TMPDIR": "/tmp", "PYTHONUNBUFFERED": "1"}
    if cfg.resources.cpu.isdigit():
        plain["OMP_NUM_THREADS"] = str(max(1, int(cfg.resources.cpu) // cfg.procs_per_node))
    if cfg.gpus_per_node:
        plain.update(NCCL_ENV)
    plain.update(cfg.env)
    taken = {var.name for var in env}
    clash = sorted(taken & set(cfg.env))
    if clash:
        raise ConfigError(f"env {clash} would override Secret keys; put those values in Secret {cfg.secret_name!r}")
    return env + [k8s.V1EnvVar(name=key, value=value) for key, value in plain.items()]


def pod_template(cfg: PyTorchJobConfig, replica_type: str) -> k8s.V1PodTemplateSpec:
    """The pod of one replica type: the ``pytorch`` container, /dev/shm and /tmp volumes, scheduling, security."""
    res = cfg.resources
    requests = {"cpu": res.cpu, "memory": res.memory}
    limits = {"memory": res.memory}
    if cfg.gpus_per_node:
        requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = str(cfg.gpus_per_node)
    container = k8s.V1Container(
        name=CONTAINER_NAME,
        image=cfg.image,
        image_pull_policy=cfg.image_pull_policy,
        command=["torchrun"],
        args=train_args(cfg),
        env=container_env(cfg),
        resources=k8s.V1ResourceRequirements(requests=requests, limits=limits),
        volume_mounts=[
            k8s.V1VolumeMount(name="dshm", mount_path="/dev/shm"),
            k8s.V1VolumeMount(name="tmp", mount_path="/tmp"),
        ],
        security_context=k8s.V1SecurityContext(
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            capabilities=k8s.V1Capabilities(drop=["ALL"]),
        ),
    )
    spec = k8s.V1PodSpec(
        containers=[container],
        volumes=[
            k8s.V1Volume(name="dshm", empty_dir=k8s.V1EmptyDirVolumeSource(medium="Memory", size_limit=res.shm)),
            k8s.V1Volume(name="tmp", empty_dir=k8s.V1EmptyDirVolumeSource()),
        ],
        node_selector=cfg.node_selector or None,
        tolerations=[k8s.V1Toleration(**tol.model_dump(exclude_none=True)) for tol in cfg.tolerations] or None,
        service_account_name=cfg.service_account,
        automount_service_account_token=False,  # the trainer never talks to the API server
        termination_grace_period_seconds=cfg.termination_grace_seconds,
        security_context=k8s.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=1000,
            run_as_group=1000,
            fs_group=1000,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
        ),
    )
    labels = {**job_labels(cfg), "dancegen.io/replica-type": replica_type.lower()}
    return k8s.V1PodTemplateSpec(metadata=k8s.V1ObjectMeta(labels=labels), spec=spec)


def job_labels(cfg: PyTorchJobConfig) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "dancegen",
        "app.kubernetes.io/component": "train",
        "app.kubernetes.io/version": dancegen.__version__,
        "dancegen.io/stage": str(cfg.stage),
        "dancegen.io/preset": cfg.preset,
        **cfg.labels,
    }


def build_pytorchjob(cfg: PyTorchJobConfig) -> kf.KubeflowOrgV1PyTorchJob:
    """The stage's PyTorchJob; raises ConfigError where the operator's webhook would reject it."""

    def replica(kind: str, count: int) -> kf.KubeflowOrgV1ReplicaSpec:
        return kf.KubeflowOrgV1ReplicaSpec(
            replicas=count, restart_policy=cfg.restart_policy, template=pod_template(cfg, kind)
        )

    if cfg.elastic:  # elastic: only Workers, which torchrun's c10d rendezvous ranks itself
        replicas = {"Worker": replica("Worker", cfg.nodes)}
        elastic = kf.KubeflowOrgV1ElasticPolicy(
            min_replicas=cfg.elastic.min_replicas,
            max_replicas=cfg.elastic.max_replicas,
            max_restarts=cfg.elastic.max_restarts,
            rdzv_backend=cfg.elastic.rdzv_backend,
        )
    else:
        replicas = {"Master": replica("Master", 1)}
        if cfg.nodes > 1:
            replicas["Worker"] = replica("Worker", cfg.nodes - 1)
        elastic = None
    job = kf.KubeflowOrgV1PyTorchJob(
        api_version=API_VERSION,
        kind=KIND,
        metadata=k8s.V1ObjectMeta(name=cfg.name, namespace=cfg.namespace, labels=job_labels(cfg)),
        spec=kf.KubeflowOrgV1PyTorchJobSpec(
            nproc_per_node=str(cfg.procs_per_node),
            elastic_policy=elastic,
            pytorch_replica_specs=replicas,
            run_policy=kf.KubeflowOrgV1RunPolicy(
                backoff_limit=cfg.backoff_limit,
                clean_pod_policy=cfg.clean_pod_policy,
                active_deadline_seconds=cfg.active_deadline_seconds,
                ttl_seconds_after_finished=cfg.ttl_seconds_after_finished,
            ),
        ),
    )
    check_webhook_rules(job)
    return job


def job_to_dict(job: kf.KubeflowOrgV1PyTorchJob) -> dict[str, Any]:
    """The job as the JSON the API server receives (camelCase keys, ``None`` fields dropped)."""
    return k8s.ApiClient().sanitize_for_serialization(job)


def job_from_dict(manifest: dict[str, Any]) -> kf.KubeflowOrgV1PyTorchJob:
    """The kubeflow-training model of a PyTorchJob manifest (as read from YAML or returned by the server)."""
    from kubeflow.training.api_client import ApiClient
    from kubeflow.training.utils.utils import FakeResponse

    return ApiClient().deserialize(FakeResponse(manifest), "KubeflowOrgV1PyTorchJob")


def to_yaml(job: kf.KubeflowOrgV1PyTorchJob) -> str:
    """The job as a YAML manifest (``kubectl apply -f`` ready)."""
    return yaml.safe_dump(job_to_dict(job), sort_keys=False)
