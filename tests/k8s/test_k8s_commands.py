"""`dancegen k8s …`: render a job, submit the file, wait for it and cancel it."""

import pytest
import yaml
from operator_standin import finish_later
from typer.testing import CliRunner

from dancegen.errors import ConfigError
from dancegen.k8s.client import ClusterError, PyTorchJobClient
from dancegen.k8s.commands import k8s_app

runner = CliRunner()


def test_render_job_prints_the_paper_preset_job():
    result = runner.invoke(k8s_app, ["render-job", "--stage", "2", "--preset", "paper"])
    assert result.exit_code == 0, result.output
    job = yaml.safe_load(result.output)
    assert (job["kind"], job["metadata"]["name"], job["spec"]["nprocPerNode"]) == (
        "PyTorchJob",
        "dancegen-stage2-paper",
        "8",
    )
    args = job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--out") + 1] == "s3://dancegen/runs/stage2-paper" and "--zero-stage" in args


def test_render_job_options_reach_the_job():
    result = runner.invoke(
        k8s_app,
        [
            "render-job",
            "--stage",
            "3",
            "--min-nodes",
            "1",
            "--max-nodes",
            "4",
            "--node-selector",
            "pool=a100",
            "--toleration",
            "dedicated=train:NoSchedule",
            "--extra-arg",
            "--set",
            "--extra-arg",
            "seed=1",
        ],
    )
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(result.output)["spec"]
    pod = spec["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]
    assert spec["elasticPolicy"]["maxReplicas"] == 4 and spec["pytorchReplicaSpecs"]["Worker"]["replicas"] == 4
    assert pod["nodeSelector"] == {"pool": "a100"}
    assert pod["tolerations"] == [{"effect": "NoSchedule", "key": "dedicated", "operator": "Equal", "value": "train"}]
    assert pod["containers"][0]["args"][-2:] == ["--set", "seed=1"]


def test_render_job_refuses_half_an_elastic_range():
    result = runner.invoke(k8s_app, ["render-job", "--stage", "1", "--min-nodes", "1"])
    assert isinstance(result.exception, ConfigError)


@pytest.mark.integration
def test_submit_wait_and_cancel_a_rendered_file(cluster, namespace, tmp_path):
    rendered = runner.invoke(k8s_app, ["render-job", "--stage", "1", "--preset", "tiny", "--name", "cli-job"])
    (tmp_path / "job.yaml").write_text(rendered.output)
    common = ["--namespace", namespace, "--kubeconfig", str(cluster.kubeconfig)]
    submitted = runner.invoke(k8s_app, ["submit", str(tmp_path / "job.yaml"), *common])
    assert submitted.exit_code == 0 and f"created PyTorchJob {namespace}/cli-job" in submitted.output
    finish_later(cluster.kubeconfig, namespace, "cli-job", "Failed", delay=0.1)
    waited = runner.invoke(k8s_app, ["wait", "cli-job", *common, "--poll", "0.1", "--timeout", "30"])
    assert waited.exit_code == 1 and waited.output.startswith(f"Failed: {namespace}/cli-job PyTorchJobFailed")
    cancelled = runner.invoke(k8s_app, ["cancel", "cli-job", *common])
    assert cancelled.exit_code == 0
    with pytest.raises(ClusterError, match="not found"):
        PyTorchJobClient(kubeconfig=str(cluster.kubeconfig), namespace=namespace).get("cli-job")
    missing = runner.invoke(k8s_app, ["submit", str(tmp_path / "nope.yaml"), *common])
    assert isinstance(missing.exception, ConfigError)
