"""A real kube-apiserver for the k8s tests (scripts/test-cluster.sh; built once, then cached)."""

import secrets

import pytest

from dancegen.k8s.client import PyTorchJobClient
from dancegen.k8s.testcluster import cluster_session, install_chart

cluster = pytest.fixture(scope="session")(cluster_session)


@pytest.fixture
def namespace(cluster):
    """A fresh namespace per test (nothing deletes it: the cluster is thrown away at the end)."""
    name = f"t-{secrets.token_hex(4)}"
    cluster.kubectl_run("create", "namespace", name)
    return name


@pytest.fixture
def admin(cluster, namespace):
    """A client with cluster-admin rights, defaulting to the test's namespace."""
    return PyTorchJobClient(kubeconfig=str(cluster.kubeconfig), namespace=namespace)


@pytest.fixture(scope="session")
def runner_rbac(cluster):
    """The pipeline chart installed in the runner identity's namespace (ServiceAccount, Role, binding)."""
    return install_chart(cluster, "dancegen-pipeline", "pipeline", cluster.runner_namespace)
