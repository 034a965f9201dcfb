"""scripts/test-cluster.sh through dancegen.k8s.testcluster: joining a running cluster, refusing to wipe a
directory that is not a cluster's."""

import pytest

from dancegen.errors import DancegenError
from dancegen.k8s.testcluster import parse_env, run_script, start_cluster

pytestmark = pytest.mark.integration


def test_start_again_joins_the_running_cluster(cluster):
    again = start_cluster(cluster.run_dir)
    assert again.server == cluster.server and again.kubeconfig == cluster.kubeconfig
    pids = sorted(int(p.read_text()) for p in cluster.run_dir.glob("*.pid"))
    assert len(pids) == 2  # etcd and kube-apiserver, started once
    assert parse_env(run_script("env", cluster.run_dir))["DANCEGEN_KUBE_SERVER"] == cluster.server
    version = cluster.kubectl_run("version", "-o", "yaml").stdout
    assert "gitVersion: v1.20.2" in version


def test_stop_refuses_to_delete_a_directory_that_is_not_a_cluster(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(DancegenError, match="holds no test cluster"):
        run_script("stop", tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
