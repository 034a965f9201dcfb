"""The train_stage component's executor=pytorchjob path: submit_training_stage as the pipeline runner."""

import pytest
from operator_standin import finish_later

from dancegen.k8s import submit_training_stage
from dancegen.k8s.client import ClusterError, JobTimeout, PyTorchJobClient
from dancegen.k8s.pytorchjob import build_pytorchjob, job_to_dict, make_config

pytestmark = pytest.mark.integration

STAGE = {"stage": 2, "preset": "paper", "data": "s3://runs/sdgpip", "out": "s3://runs/stage2", "zero_stage": 3}


def runner_submit(cluster, name, **kwargs):
    return submit_training_stage(
        **STAGE,
        image="registry.local/dancegen/trainer:0.1.0",
        kubeconfig=str(cluster.runner_kubeconfig),
        name=name,
        poll=0.1,
        **kwargs,
    )


def test_component_path_submits_the_builders_job_and_waits_for_success(cluster, runner_rbac):
    finish_later(cluster.kubeconfig, cluster.runner_namespace, "kfp-stage2-ok", "Succeeded", delay=0.2)
    status = runner_submit(cluster, "kfp-stage2-ok", timeout=60)
    assert status.succeeded and status.namespace == cluster.runner_namespace  # the identity's own namespace
    stored = PyTorchJobClient(kubeconfig=str(cluster.kubeconfig)).get("kfp-stage2-ok", cluster.runner_namespace)
    expected = build_pytorchjob(
        make_config(
            **STAGE,
            image="registry.local/dancegen/trainer:0.1.0",
            name="kfp-stage2-ok",
            namespace=cluster.runner_namespace,
        )
    )
    stored_spec, expected_spec = job_to_dict(stored)["spec"], job_to_dict(expected)["spec"]
    assert stored_spec["pytorchReplicaSpecs"] == expected_spec["pytorchReplicaSpecs"]
    assert stored_spec["nprocPerNode"] == expected_spec["nprocPerNode"]
    assert expected_spec["runPolicy"].items() <= stored_spec["runPolicy"].items()  # the server adds defaults
    args = stored.spec.pytorch_replica_specs["Master"].template.spec.containers[0].args
    assert args[args.index("--zero-stage") + 1] == "3"


def test_component_path_fails_the_step_when_the_job_fails(cluster, runner_rbac):
    finish_later(cluster.kubeconfig, cluster.runner_namespace, "kfp-stage2-bad", "Failed", delay=0.2)
    with pytest.raises(ClusterError, match=r"Failed \(PyTorchJobFailed\).*dancegen k8s logs kfp-stage2-bad"):
        runner_submit(cluster, "kfp-stage2-bad", timeout=60)


def test_component_path_cancels_a_job_that_outlives_its_timeout(cluster, runner_rbac):
    with pytest.raises(JobTimeout):
        runner_submit(cluster, "kfp-stage2-slow", timeout=0.5)
    admin = PyTorchJobClient(kubeconfig=str(cluster.kubeconfig), namespace=cluster.runner_namespace)
    with pytest.raises(ClusterError, match="not found"):
        admin.get("kfp-stage2-slow")


def test_component_path_without_wait_returns_created(cluster, runner_rbac):
    status = runner_submit(cluster, "kfp-stage2-async", wait=False)
    assert (status.condition, status.name) == ("Created", "kfp-stage2-async")
