"""``dancegen k8s …``: render, submit, wait for, follow and cancel a training stage's PyTorchJob.

    dancegen k8s render-job --stage 2 --preset paper > stage2.yaml     # review, then
    dancegen k8s submit stage2.yaml --wait --timeout 86400
    dancegen k8s logs dancegen-stage2-paper                             # master's log, followed
    dancegen k8s cancel dancegen-stage2-paper

The lead mounts :data:`k8s_app` with ``app.add_typer(k8s_app, name="k8s")``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from dancegen.errors import ConfigError

k8s_app = typer.Typer(help="Training stages as Kubeflow PyTorchJobs (8 GPUs per node, DeepSpeed, NCCL).")

Kubeconfig = Annotated[str | None, typer.Option("--kubeconfig", help="kubeconfig file [$KUBECONFIG].")]
Namespace = Annotated[str | None, typer.Option("--namespace", "-n", help="namespace [the context's].")]


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    result = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} {item!r} must look like key=value")
        result[key] = value
    return result


def _toleration(text: str) -> dict[str, str]:
    """``key[=value][:Effect]`` → a toleration (Exists without a value, Equal with one)."""
    spec, _, effect = text.partition(":")
    key, sep, value = spec.partition("=")
    tol = {"key": key, "operator": "Equal" if sep else "Exists"}
    if sep:
        tol["value"] = value
    if effect:
        tol["effect"] = effect
    return tol


@k8s_app.command("render-job")
def render_job(
    stage: Annotated[int, typer.Option(help="Training stage 0–3 (paper §3.4).")],
    preset: Annotated[str, typer.Option(help="tiny (CPU pods) or paper (8 GPUs per node).")] = "paper",
    data: Annotated[str, typer.Option(help="SDGPip dataset URI.")] = "s3://dancegen/sdgpip",
    out: Annotated[str | None, typer.Option(help="Run URI [s3://dancegen/runs/stage<N>-<preset>].")] = None,
    name: Annotated[str | None, typer.Option(help="Job name [dancegen-stage<N>-<preset>].")] = None,
    namespace: Annotated[str, typer.Option("--namespace", "-n")] = "default",
    image: Annotated[str | None, typer.Option(help="Trainer image [dancegen/trainer:<version>].")] = None,
    nodes: Annotated[int | None, typer.Option(help="Pods: 1 master + nodes-1 workers [preset].")] = None,
    gpus_per_node: Annotated[int | None, typer.Option(help="nvidia.com/gpu per pod [preset].")] = None,
    zero_stage: Annotated[int | None, typer.Option(help="DeepSpeed ZeRO stage [training config's].")] = None,
    config: Annotated[str | None, typer.Option(help="Training YAML path inside the pod (--config).")] = None,
    init: Annotated[str | None, typer.Option(help="Previous stage's exported model URI (--init).")] = None,
    secret: Annotated[str | None, typer.Option(help="Secret with S3/MLflow keys [dancegen-credentials].")] = None,
    service_account: Annotated[str | None, typer.Option(help="Pods' ServiceAccount.")] = None,
    backoff_limit: Annotated[int | None, typer.Option(help="Pod restarts before Failed [3].")] = None,
    min_nodes: Annotated[int | None, typer.Option(help="Elastic: fewest pods (with --max-nodes).")] = None,
    max_nodes: Annotated[int | None, typer.Option(help="Elastic: most pods (with --min-nodes).")] = None,
    node_selector: Annotated[list[str] | None, typer.Option(help="key=value, repeatable.")] = None,
    toleration: Annotated[list[str] | None, typer.Option(help="key[=value][:Effect], repeatable.")] = None,
    env: Annotated[list[str] | None, typer.Option(help="Extra container env KEY=VALUE, repeatable.")] = None,
    extra_arg: Annotated[list[str] | None, typer.Option(help="Appended to `dancegen train`, repeatable.")] = None,
    no_resume: Annotated[bool, typer.Option("--no-resume", help="Do not pass --resume auto.")] = False,
) -> None:
    """Print the stage's PyTorchJob as YAML (submit it with `dancegen k8s submit FILE`)."""
    from dancegen.k8s.pytorchjob import build_pytorchjob, make_config, to_yaml

    if (min_nodes is None) != (max_nodes is None):
        raise ConfigError("--min-nodes and --max-nodes go together (an elastic job needs both)")
    fields = dict(
        stage=stage,
        preset=preset,
        data=data,
        out=out or f"s3://dancegen/runs/stage{stage}-{preset}",
        namespace=namespace,
        name=name,
        image=image,
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        zero_stage=zero_stage,
        train_config=config,
        init=init,
        secret_name=secret,
        service_account=service_account,
        backoff_limit=backoff_limit,
        node_selector=_pairs(node_selector, "--node-selector") if node_selector else None,
        tolerations=[_toleration(t) for t in toleration] if toleration else None,
        env=_pairs(env, "--env"),
        extra_args=extra_arg or [],
        resume=not no_resume,
    )
    if min_nodes is not None:
        fields["elastic"] = {"min_replicas": min_nodes, "max_replicas": max_nodes}
        fields["nodes"] = nodes or max_nodes
    fields = {key: value for key, value in fields.items() if value is not None}
    typer.echo(to_yaml(build_pytorchjob(make_config(**fields))), nl=False)


def load_job_file(path: str):
    """A PyTorchJob manifest (YAML file or ``-`` for stdin) as the kubeflow-training model."""
    from dancegen.k8s.pytorchjob import job_from_dict

    text = sys.stdin.read() if path == "-" else _read(Path(path))
    try:
        manifest = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "PyTorchJob":
        raise ConfigError(f"{path} is not a PyTorchJob manifest (kind: PyTorchJob); render one with render-job")
    return job_from_dict(manifest)


def _read(path: Path) -> str:
    if not path.is_file():
        raise ConfigError(f"job file {path} does not exist; write one with `dancegen k8s render-job … > {path}`")
    return path.read_text()


@k8s_app.command()
def submit(
    file: Annotated[str, typer.Argument(help="PyTorchJob YAML from render-job, or - for stdin.")],
    namespace: Namespace = None,
    kubeconfig: Kubeconfig = None,
    wait: Annotated[bool, typer.Option(help="Wait until it Succeeded or Failed.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 7 * 24 * 3600,
) -> None:
    """Create the PyTorchJob; with --wait, exit 0 when it Succeeded and 1 when it Failed."""
    from dancegen.k8s.client import PyTorchJobClient

    job = load_job_file(file)
    client = PyTorchJobClient(kubeconfig=kubeconfig, namespace=namespace or job.metadata.namespace)
    job.metadata.namespace = client.namespace
    stored = client.submit(job)
    typer.echo(f"created PyTorchJob {stored.metadata.namespace}/{stored.metadata.name}")
    if wait:
        _report(client.wait(stored.metadata.name, stored.metadata.namespace, timeout=timeout))


def _report(status) -> None:
    typer.echo(f"{status.condition}: {status.namespace}/{status.name} {status.reason} {status.message}".rstrip())
    if not status.succeeded:
        raise typer.Exit(1)


@k8s_app.command("wait")
def wait_cmd(
    name: Annotated[str, typer.Argument(help="PyTorchJob name.")],
    namespace: Namespace = None,
    kubeconfig: Kubeconfig = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 7 * 24 * 3600,
    poll: Annotated[float, typer.Option(help="Seconds between status reads.")] = 10.0,
) -> None:
    """Wait for the job's terminal condition: exit 0 Succeeded, 1 Failed, 2 timeout or API error."""
    from dancegen.k8s.client import PyTorchJobClient

    client = PyTorchJobClient(kubeconfig=kubeconfig, namespace=namespace)
    _report(client.wait(name, timeout=timeout, poll=poll))


@k8s_app.command()
def logs(
    name: Annotated[str, typer.Argument(help="PyTorchJob name.")],
    namespace: Namespace = None,
    kubeconfig: Kubeconfig = None,
    replica: Annotated[str, typer.Option(help="master or worker.")] = "master",
    index: Annotated[int, typer.Option(help="Replica index.")] = 0,
    follow: Annotated[bool, typer.Option(help="Keep streaming until the container ends.")] = True,
) -> None:
    """Stream the `pytorch` container's log of one replica."""
    from dancegen.k8s.client import PyTorchJobClient

    client = PyTorchJobClient(kubeconfig=kubeconfig, namespace=namespace)
    for line in client.logs(name, replica_type=replica, index=index, follow=follow):
        typer.echo(line)


@k8s_app.command()
def cancel(
    name: Annotated[str, typer.Argument(help="PyTorchJob name.")],
    namespace: Namespace = None,
    kubeconfig: Kubeconfig = None,
) -> None:
    """Delete the job (its pods go with it)."""
    from dancegen.k8s.client import PyTorchJobClient

    client = PyTorchJobClient(kubeconfig=kubeconfig, namespace=namespace)
    client.cancel(name)
    typer.echo(f"deleted PyTorchJob {client.namespace}/{name}")
