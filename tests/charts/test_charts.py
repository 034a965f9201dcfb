"""The Helm charts: lint, render with several values files, assert on the objects, validate them offline
(kubernetes-validate) and on a real API server (server-side dry run)."""

import subprocess

import kubernetes_validate
import pytest
import yaml

from dancegen.errors import DancegenError
from dancegen.k8s.pytorchjob import build_pytorchjob, make_config
from dancegen.k8s.testcluster import CHARTS, render_chart
from dancegen.serving.server import MALLOC_SETTINGS

REQUIRED = {
    "dancegen-pipeline": [],
    "dancegen-mlflow": [
        "backendStore.existingSecret=mlflow-db",
        "artifacts.destination=s3://mlflow/artifacts",
        "artifacts.existingSecret=mlflow-s3",
    ],
    "dancegen-triton": ["modelRepository.uri=s3://models/triton", "modelRepository.existingSecret=triton-s3"],
}
PROFILES = [(chart, profile) for chart in REQUIRED for profile in ("default", "local")]


def render(helm, chart, profile="default", sets=(), kube_version="1.20.2", namespace="ml"):
    values = [CHARTS / chart / "values-local.yaml"] if profile == "local" else []
    sets = [*(REQUIRED[chart] if profile == "default" else []), *sets]
    return render_chart(helm, CHARTS / chart, "rel", namespace, values, sets, kube_version)


def find(objects, kind):
    found = [o for o in objects if o["kind"] == kind]
    assert found, f"no {kind} rendered"
    return found[0] if len(found) == 1 else found


def pod_templates(objects):
    return [o["spec"]["template"] for o in objects if o["kind"] == "Deployment"]


@pytest.mark.parametrize("chart, profile", PROFILES)
def test_chart_lints_strictly(helm, chart, profile):
    cmd = [str(helm), "lint", "--strict", str(CHARTS / chart)]
    cmd += ["--values", str(CHARTS / chart / "values-local.yaml")] if profile == "local" else []
    for pair in REQUIRED[chart] if profile == "default" else []:
        cmd += ["--set", pair]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("chart, profile", PROFILES)
def test_rendered_objects_validate_offline(helm, chart, profile):
    for obj in render(helm, chart, profile, kube_version="1.30.0"):
        kubernetes_validate.validate(obj, "1.30.0", strict=True)


@pytest.mark.parametrize("chart", list(REQUIRED))
def test_values_schema_rejects_unknown_keys(helm, chart):
    with pytest.raises(DancegenError, match="colour"):
        render(helm, chart, sets=["colour=red"])


@pytest.mark.parametrize(
    "chart, sets, message",
    [
        ("dancegen-mlflow", ["backendStore.existingSecret="], "backendStore.existingSecret must be specified"),
        ("dancegen-mlflow", ["artifacts.destination=gs://bucket"], "destination"),
        ("dancegen-triton", ["modelRepository.uri="], "modelRepository.uri must be specified"),
        ("dancegen-triton", ["autoscaling.minReplicas=5"], r"minReplicas \(5\) must not exceed"),
        ("dancegen-triton", ["resources.requests=null"], "needs resources.requests.cpu"),
        ("dancegen-triton", ["modelRepository.controlMode=sometimes"], "controlMode"),
    ],
)
def test_bad_values_fail_with_a_message(helm, chart, sets, message):
    with pytest.raises(DancegenError, match=message):
        render(helm, chart, sets=sets)


@pytest.mark.parametrize("chart, profile", PROFILES)
def test_pods_are_non_root_read_only_and_drop_all_capabilities(helm, chart, profile):
    for template in pod_templates(render(helm, chart, profile)):
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] > 0
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            sec = container["securityContext"]
            assert sec["readOnlyRootFilesystem"] is True and sec["allowPrivilegeEscalation"] is False
            assert sec["capabilities"]["drop"] == ["ALL"]
            assert all("value" not in e or "KEY" not in e["name"] for e in container.get("env", []))


def test_mlflow_reads_the_backend_from_a_secret_and_proxies_s3_artifacts(helm):
    objects = render(helm, "dancegen-mlflow")
    container = find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    args, env = container["args"], {e["name"]: e for e in container["env"]}
    assert "--backend-store-uri=$(MLFLOW_BACKEND_STORE_URI)" in args
    assert "--artifacts-destination=s3://mlflow/artifacts" in args and "--serve-artifacts" in args
    assert env["MLFLOW_BACKEND_STORE_URI"]["valueFrom"]["secretKeyRef"] == {
        "name": "mlflow-db",
        "key": "MLFLOW_BACKEND_STORE_URI",
    }
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "mlflow-s3"
    assert "rel-dancegen-mlflow.ml.svc:*" in env["MLFLOW_SERVER_ALLOWED_HOSTS"]["value"].split(",")
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert find(objects, "Service")["spec"]["ports"][0]["port"] == 5000
    local = render(helm, "dancegen-mlflow", "local")
    local_env = {e["name"]: e for e in find(local, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert local_env["MLFLOW_S3_ENDPOINT_URL"]["value"] == "http://seaweedfs.dancegen.svc:8333"


def test_triton_probes_gpus_model_repository_and_autoscaler(helm):
    objects = render(helm, "dancegen-triton")
    deployment = find(objects, "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "--model-repository=s3://models/triton" in container["args"]
    assert "replicas" not in deployment["spec"]  # the HPA owns the replica count
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert {name: env.get(name) for name in MALLOC_SETTINGS} == MALLOC_SETTINGS  # the stubs' malloc, as locally
    hpa = find(objects, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2beta2" and hpa["spec"]["scaleTargetRef"]["name"] == "rel-dancegen-triton"
    assert {p["name"] for p in find(objects, "Service")["spec"]["ports"]} == {"http", "grpc", "metrics"}
    assert find(render(helm, "dancegen-triton", kube_version="1.30.0"), "HorizontalPodAutoscaler")["apiVersion"] == (
        "autoscaling/v2"
    )
    local = render(helm, "dancegen-triton", "local")
    assert not [o for o in local if o["kind"] == "HorizontalPodAutoscaler"]
    local_container = find(local, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert "nvidia.com/gpu" not in local_container["resources"]["limits"]
    assert find(local, "Deployment")["spec"]["replicas"] == 1


def test_pipeline_role_is_least_privilege_and_policy_selects_training_pods(helm):
    objects = render(helm, "dancegen-pipeline")
    rules = find(objects, "Role")["rules"]
    assert rules == [
        {
            "apiGroups": ["kubeflow.org"],
            "resources": ["pytorchjobs"],
            "verbs": ["create", "get", "list", "watch", "delete"],
        },
        {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
    ]
    binding = find(objects, "RoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pipeline-runner", "namespace": "ml"}]
    selector = find(objects, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"]
    for preset, nodes in (("paper", 2), ("tiny", 1)):  # the policy covers every pod the builder makes
        job = build_pytorchjob(make_config(stage=2, preset=preset, nodes=nodes, data="s3://b/d", out="s3://b/o"))
        for replica in job.spec.pytorch_replica_specs.values():
            assert selector.items() <= replica.template.metadata.labels.items()


@pytest.mark.integration
@pytest.mark.parametrize("chart, profile", PROFILES)
def test_api_server_accepts_every_object_in_a_server_side_dry_run(cluster, namespace, chart, profile):
    objects = render(cluster.helm, chart, profile, namespace=namespace)
    done = cluster.kubectl_run("apply", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump_all(objects))
    accepted = [line for line in done.stdout.splitlines() if line.endswith("(server dry run)")]
    assert len(accepted) == len(objects), done.stdout + done.stderr
