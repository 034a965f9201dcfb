"""The PyTorchJob builder: what each stage's job runs, asks for and refuses (no cluster needed)."""

import pytest
import yaml

from dancegen.errors import ConfigError
from dancegen.k8s.pytorchjob import (
    build_pytorchjob,
    job_from_dict,
    job_to_dict,
    make_config,
    to_yaml,
)
from dancegen.k8s.webhook import check_webhook_rules

URIS = {"data": "s3://bucket/sdgpip", "out": "s3://bucket/runs/s2"}


def container(job, replica="Master"):
    return job.spec.pytorch_replica_specs[replica].template.spec.containers[0]


def test_paper_stage_job_runs_torchrun_with_deepspeed_on_eight_gpus():
    job = build_pytorchjob(make_config(stage=2, preset="paper", **URIS))
    main = container(job)
    assert job.spec.nproc_per_node == "8"
    assert list(job.spec.pytorch_replica_specs) == ["Master"]  # the paper's one node of eight A100s
    assert main.name == "pytorch" and main.command == ["torchrun"]
    args = main.args
    assert args[:7] == ["-m", "dancegen", "train", "--stage", "2", "--preset", "paper"]
    assert args[args.index("--data") + 1] == URIS["data"] and args[args.index("--out") + 1] == URIS["out"]
    assert args[args.index("--zero-stage") + 1] == "2"  # the paper training config's ZeRO stage
    assert args[-2:] == ["--resume", "auto"]
    assert not [a for a in args if a.startswith(("--nnodes", "--nproc", "--rdzv", "--master"))]  # from PET_* env
    assert main.resources.limits["nvidia.com/gpu"] == main.resources.requests["nvidia.com/gpu"] == "8"
    replica = job.spec.pytorch_replica_specs["Master"]
    assert replica.restart_policy == "OnFailure" and job.spec.run_policy.backoff_limit == 3


def test_pod_has_shm_secret_env_nccl_and_runs_unprivileged():
    job = build_pytorchjob(make_config(stage=1, preset="paper", secret_name="s3-keys", **URIS))
    pod = job.spec.pytorch_replica_specs["Master"].template.spec
    env = {e.name: e for e in container(job).env}
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "MLFLOW_TRACKING_URI"):
        assert env[key].value_from.secret_key_ref.name == "s3-keys" and env[key].value is None
    assert env["MLFLOW_TRACKING_PASSWORD"].value_from.secret_key_ref.optional is True
    assert env["NCCL_DEBUG"].value == "WARN" and env["TORCH_NCCL_ASYNC_ERROR_HANDLING"].value == "1"
    assert not [name for name in env if name.startswith("PET_")]  # the operator injects those
    shm = next(v for v in pod.volumes if v.name == "dshm")
    assert shm.empty_dir.medium == "Memory" and shm.empty_dir.size_limit == "64Gi"
    assert {m.mount_path for m in container(job).volume_mounts} == {"/dev/shm", "/tmp"}
    assert pod.security_context.run_as_non_root is True and pod.automount_service_account_token is False
    sec = container(job).security_context
    assert sec.read_only_root_filesystem and sec.capabilities.drop == ["ALL"] and not sec.allow_privilege_escalation
    assert pod.tolerations[0].key == "nvidia.com/gpu"


def test_nodes_give_one_master_and_workers_with_the_same_pod():
    job = build_pytorchjob(make_config(stage=3, preset="paper", nodes=3, **URIS))
    specs = job.spec.pytorch_replica_specs
    assert specs["Master"].replicas == 1 and specs["Worker"].replicas == 2
    assert container(job, "Worker").args == container(job, "Master").args


def test_tiny_preset_uses_cpu_pods_without_nccl():
    job = build_pytorchjob(make_config(stage=0, preset="tiny", **URIS))
    main = container(job)
    assert job.spec.nproc_per_node == "2"
    assert "nvidia.com/gpu" not in main.resources.limits
    assert not [e for e in main.env if e.name.startswith("NCCL")]


def test_zero_stage_comes_from_the_training_config_file(tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("deepspeed:\n  zero_stage: 3\n")
    job = build_pytorchjob(make_config(stage=2, preset="paper", train_config=str(config), **URIS))
    args = container(job).args
    assert args[args.index("--zero-stage") + 1] == "3" and args[args.index("--config") + 1] == str(config)
    explicit = build_pytorchjob(make_config(stage=2, preset="paper", zero_stage=1, **URIS))
    assert container(explicit).args[container(explicit).args.index("--zero-stage") + 1] == "1"


def test_elastic_policy_uses_workers_only_and_checks_the_range():
    cfg = make_config(stage=2, preset="paper", nodes=2, elastic={"min_replicas": 1, "max_replicas": 4}, **URIS)
    job = build_pytorchjob(cfg)
    assert list(job.spec.pytorch_replica_specs) == ["Worker"]
    policy = job.spec.elastic_policy
    assert (policy.min_replicas, policy.max_replicas, policy.rdzv_backend) == (1, 4, "c10d")
    assert policy.n_proc_per_node is None and job.spec.nproc_per_node == "8"
    with pytest.raises(ConfigError, match="outside elasticPolicy"):
        build_pytorchjob(make_config(stage=2, preset="paper", nodes=5, elastic=cfg.elastic.model_dump(), **URIS))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"restart_policy": "Sometimes"}, "restartPolicy = 'Sometimes' must be one of"),
        ({"name": "Stage_2"}, "DNS-1035"),
        ({"env": {"AWS_ACCESS_KEY_ID": "x"}}, "would override Secret keys"),
        ({"nodes": 0}, "nodes"),
        ({"colour": "red"}, "unknown config key 'colour'"),
    ],
)
def test_bad_config_is_a_config_error(fields, message):
    with pytest.raises(ConfigError, match=message):
        build_pytorchjob(make_config(**{"stage": 2, "preset": "paper", **URIS, **fields}))


def test_webhook_rules_catch_what_the_crd_schema_lets_through():
    def broken(change):
        job = build_pytorchjob(make_config(stage=2, preset="paper", nodes=2, **URIS))
        change(job)
        return job

    cases = [
        (lambda j: setattr(j.spec.pytorch_replica_specs["Worker"], "replicas", 0), "must be at least 1"),
        (lambda j: setattr(j.spec.pytorch_replica_specs["Master"], "replicas", 2), "must be 1"),
        (lambda j: setattr(j.spec, "nproc_per_node", 8), "must be a string"),
        (lambda j: setattr(container(j), "name", "trainer"), "no container named 'pytorch'"),
        (lambda j: j.spec.pytorch_replica_specs.update(Chief=j.spec.pytorch_replica_specs["Worker"]), "'Chief'"),
    ]
    for change, message in cases:
        with pytest.raises(ConfigError, match=message):
            check_webhook_rules(broken(change))


def test_yaml_round_trips_through_the_model():
    job = build_pytorchjob(make_config(stage=1, preset="paper", nodes=2, **URIS))
    manifest = yaml.safe_load(to_yaml(job))
    assert manifest == job_to_dict(job)
    assert manifest["apiVersion"] == "kubeflow.org/v1" and manifest["kind"] == "PyTorchJob"
    assert manifest["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["name"] == "pytorch"
    assert to_yaml(job_from_dict(manifest)) == to_yaml(job)
