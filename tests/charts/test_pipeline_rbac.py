"""The pipeline-runner's rights on a real API server (RBAC authorizer): SubjectAccessReviews, and the
runner's own token submitting a PyTorchJob but refused Secrets and other namespaces."""

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from dancegen.k8s.client import ClusterError, PyTorchJobClient
from dancegen.k8s.pytorchjob import build_pytorchjob, make_config
from dancegen.k8s.testcluster import install_chart

pytestmark = pytest.mark.integration


def api(kubeconfig):
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    return k8s.ApiClient(configuration)


def allowed(cluster, namespace, verb, resource, group="", subresource="", where=None) -> bool:
    review = k8s.V1SubjectAccessReview(
        spec=k8s.V1SubjectAccessReviewSpec(
            user=f"system:serviceaccount:{namespace}:pipeline-runner",
            groups=["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"],
            resource_attributes=k8s.V1ResourceAttributes(
                namespace=where or namespace, verb=verb, group=group, resource=resource, subresource=subresource
            ),
        )
    )
    return k8s.AuthorizationV1Api(api(cluster.kubeconfig)).create_subject_access_review(review).status.allowed


def test_pipeline_runner_may_manage_pytorchjobs_and_read_logs_only(cluster, namespace):
    install_chart(cluster, "dancegen-pipeline", "pipeline", namespace)
    for verb in ("create", "get", "list", "watch", "delete"):
        assert allowed(cluster, namespace, verb, "pytorchjobs", "kubeflow.org"), verb
    assert allowed(cluster, namespace, "get", "pods") and allowed(cluster, namespace, "list", "pods")
    assert allowed(cluster, namespace, "get", "pods", subresource="log")
    denied = [
        ("get", "secrets", ""),
        ("list", "secrets", ""),
        ("update", "pytorchjobs", "kubeflow.org"),
        ("patch", "pytorchjobs", "kubeflow.org"),
        ("create", "pods", ""),
        ("delete", "pods", ""),
        ("create", "roles", "rbac.authorization.k8s.io"),
        ("create", "tfjobs", "kubeflow.org"),
    ]
    for verb, resource, group in denied:
        assert not allowed(cluster, namespace, verb, resource, group), (verb, resource)
    assert not allowed(cluster, namespace, "get", "pods", subresource="exec")
    assert not allowed(cluster, namespace, "create", "pytorchjobs", "kubeflow.org", where="default")
    assert not allowed(cluster, namespace, "create", "pytorchjobs", "kubeflow.org", where="kube-system")


def test_runner_token_submits_jobs_but_cannot_read_secrets_or_leave_its_namespace(cluster):
    home = cluster.runner_namespace
    install_chart(cluster, "dancegen-pipeline", "pipeline", home)
    runner = PyTorchJobClient(kubeconfig=str(cluster.runner_kubeconfig))
    assert runner.namespace == home
    uris = {"data": "s3://b/d", "out": "s3://b/o"}
    job = build_pytorchjob(make_config(stage=1, preset="tiny", name="rbac-ok", namespace=home, **uris))
    stored = runner.submit(job)
    assert stored.metadata.namespace == home
    runner.cancel("rbac-ok")
    with pytest.raises(ClusterError, match=r"forbidden.*ask for RBAC rights"):
        runner.submit(build_pytorchjob(make_config(stage=1, preset="tiny", namespace="default", **uris)))
    with pytest.raises(k8s.ApiException) as refused:
        k8s.CoreV1Api(api(cluster.runner_kubeconfig)).list_namespaced_secret(home)
    assert refused.value.status == 403
