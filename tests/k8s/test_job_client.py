"""PyTorchJobClient against a real kube-apiserver with the training operator's v1.9.0 CRD."""

import pytest
from operator_standin import (
    StandInKubelet,
    finish_later,
    register_node,
    run_pod_like_the_operator,
    set_conditions,
)

from dancegen.errors import ConfigError
from dancegen.k8s.client import ClusterError, JobTimeout, PyTorchJobClient
from dancegen.k8s.pytorchjob import build_pytorchjob, make_config

pytestmark = pytest.mark.integration


def stage_job(namespace, stage=2, preset="paper", **fields):
    uris = {"data": "s3://b/d", "out": f"s3://b/s{stage}"}
    return build_pytorchjob(make_config(stage=stage, preset=preset, namespace=namespace, **uris, **fields))


@pytest.mark.parametrize("stage", [0, 1, 2, 3])
def test_each_stage_job_is_accepted_and_returned(admin, namespace, stage):
    stored = admin.submit(stage_job(namespace, stage, nodes=2))
    assert stored.metadata.uid and stored.metadata.namespace == namespace
    assert stored.metadata.name == f"dancegen-stage{stage}-paper"
    master = stored.spec.pytorch_replica_specs["Master"].template.spec.containers[0]
    assert stored.spec.nproc_per_node == "8" and master.resources.limits["nvidia.com/gpu"] == "8"
    assert master.args[3:5] == ["--stage", str(stage)]
    assert stored.spec.pytorch_replica_specs["Worker"].replicas == 1
    assert admin.get(stored.metadata.name).metadata.uid == stored.metadata.uid


def test_tiny_and_elastic_jobs_are_accepted(admin, namespace):
    tiny = admin.submit(stage_job(namespace, 1, "tiny"))
    assert tiny.spec.nproc_per_node == "2"
    elastic = admin.submit(
        stage_job(namespace, 2, name="elastic", nodes=2, elastic={"min_replicas": 1, "max_replicas": 3})
    )
    assert elastic.spec.elastic_policy.max_replicas == 3 and list(elastic.spec.pytorch_replica_specs) == ["Worker"]


def test_invalid_job_is_rejected_with_the_servers_message(admin, namespace):
    bad_quantity = stage_job(namespace, resources={"cpu": "64", "memory": "lots", "shm": "1Gi"})
    with pytest.raises(ClusterError, match=r"(?s)rejected PyTorchJob .*memory.*lots"):
        admin.submit(bad_quantity)
    integer_nproc = stage_job(namespace, name="int-nproc")
    integer_nproc.spec.nproc_per_node = 8
    with pytest.raises(ConfigError, match="must be a string"):  # the builder's webhook check …
        admin.submit(integer_nproc)
    with pytest.raises(ClusterError, match=r"nprocPerNode.*string"):  # … and the CRD schema agree
        admin.submit(integer_nproc, check=False)
    admin.submit(stage_job(namespace))
    with pytest.raises(ClusterError, match="already exists.*another --name"):
        admin.submit(stage_job(namespace))


def test_wait_returns_succeeded_when_the_operator_says_so(cluster, admin, namespace):
    name = admin.submit(stage_job(namespace)).metadata.name
    finish_later(cluster.kubeconfig, namespace, name, "Succeeded", delay=0.3)
    status = admin.wait(name, timeout=30, poll=0.1)
    assert status.succeeded and (status.condition, status.reason) == ("Succeeded", "PyTorchJobSucceeded")


def test_wait_returns_failed_and_times_out_while_running(cluster, admin, namespace):
    name = admin.submit(stage_job(namespace)).metadata.name
    set_conditions(cluster.kubeconfig, namespace, name, ("Running", "PyTorchJobRunning", "running"))
    with pytest.raises(JobTimeout, match="last condition: Running"):
        admin.wait(name, timeout=0.5, poll=0.1)
    finish_later(cluster.kubeconfig, namespace, name, "Failed", delay=0.2)
    status = admin.wait(name, timeout=30, poll=0.1)
    assert not status.succeeded and status.message == f"PyTorchJob {name} is failed."


def test_cancel_deletes_the_job(admin, namespace):
    name = admin.submit(stage_job(namespace)).metadata.name
    admin.cancel(name)
    with pytest.raises(ClusterError, match="not found"):
        admin.get(name)
    with pytest.raises(ClusterError, match="not found"):
        admin.cancel(name)


def test_logs_stream_the_master_container_through_the_api_server(cluster, admin, namespace):
    job = admin.submit(stage_job(namespace, 2, "tiny"))
    lines = ["step 1 loss 0.91", "step 2 loss 0.87", "saved checkpoint step 2"]
    pki = cluster.run_dir / "pki"
    with StandInKubelet(pki / "apiserver.crt", pki / "apiserver.key", lines) as kubelet:
        node = f"node-{namespace}"
        register_node(cluster.kubeconfig, node, kubelet.port)
        pod = run_pod_like_the_operator(cluster.kubeconfig, namespace, job, "Master", 0, node)
        assert list(admin.logs(job.metadata.name, pod_timeout=10, poll=0.2)) == lines
        assert kubelet.paths[0].startswith(f"/containerLogs/{namespace}/{pod}/pytorch?")
    with pytest.raises(ClusterError, match="no pod exists yet"):
        list(admin.logs(job.metadata.name, replica_type="worker", pod_timeout=0.3, poll=0.1))


def test_unreachable_server_is_a_cluster_error(tmp_path, cluster):
    config = tmp_path / "kubeconfig"
    port_free = cluster.server.rsplit(":", 1)[0] + ":1"
    config.write_text(cluster.kubeconfig.read_text().replace(cluster.server, port_free))
    with pytest.raises(ClusterError, match="cannot talk to the API server"):
        PyTorchJobClient(kubeconfig=str(config)).get("anything")
    with pytest.raises(ClusterError, match="no usable kubeconfig"):
        PyTorchJobClient(kubeconfig=str(tmp_path / "missing"))
