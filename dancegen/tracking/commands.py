"""``dancegen stack …`` and ``dancegen registry …``: thin typer sub-apps over the tracking library.

Mounted in ``dancegen/cli.py`` with ``app.add_typer(stack_app, name="stack")`` and
``app.add_typer(registry_app, name="registry")``; user errors are DancegenErrors (one line, exit 2).
"""

from __future__ import annotations

from typing import Annotated

import typer

stack_app = typer.Typer(help="Local tracking stack: SeaweedFS S3 + MLflow server on 127.0.0.1.", no_args_is_help=True)
registry_app = typer.Typer(help="MLflow model registry: list versions, promote candidate → champion.")


@stack_app.command("up")
def stack_up(
    s3_port: Annotated[int | None, typer.Option(help="S3 port [8333, or the one used before].")] = None,
    mlflow_port: Annotated[int | None, typer.Option(help="MLflow port [5000, or the one used before].")] = None,
    bucket: Annotated[str | None, typer.Option(help="Bucket for artifacts and datasets [dancegen].")] = None,
) -> None:
    """Start S3 and MLflow under $DANCEGEN_HOME/stack (a running stack is left alone)."""
    from dancegen.tracking.stack import LocalStack

    stack = LocalStack()
    started = stack.up(s3_port=s3_port, mlflow_port=mlflow_port, bucket=bucket)
    typer.echo("stack started" if started else "stack already running")
    for line in stack.status().lines():
        typer.echo(line)


@stack_app.command("down")
def stack_down() -> None:
    """Stop MLflow and S3 by PID (data stays on disk)."""
    from dancegen.tracking.stack import LocalStack

    stopped = LocalStack().down()
    typer.echo(f"stopped {', '.join(stopped)}" if stopped else "stack was not running")


@stack_app.command("status")
def stack_status() -> None:
    """Print endpoints, PIDs and health; exit 1 if the stack is not healthy."""
    from dancegen.tracking.stack import LocalStack

    status = LocalStack().status()
    for line in status.lines():
        typer.echo(line)
    if not status.healthy:
        raise typer.Exit(1)


@registry_app.command("promote")
def registry_promote(
    version: Annotated[int, typer.Option(help="Model version to promote.")],
    model: Annotated[str, typer.Option(help="Registered model name.")] = "dancegen",
    gate: Annotated[
        list[str] | None,
        typer.Option(
            help="METRIC=lower|higher the candidate must beat the champion on [fvd=lower, beat_align=higher]."
        ),
    ] = None,
) -> None:
    """Make VERSION the champion if it beats the current one on every gate; otherwise it stays a candidate."""
    from dancegen.tracking.registry import ModelRegistry, parse_gates

    result = ModelRegistry().promote(model, version, parse_gates(gate) or None)
    typer.echo(f"{model} v{version}: {'champion' if result.promoted else 'candidate'} — {result.reason}")


@registry_app.command("list")
def registry_list(
    model: Annotated[str | None, typer.Option(help="Only this registered model.")] = None,
) -> None:
    """Every registered version with its aliases and gate metrics."""
    from dancegen.tracking.registry import ModelRegistry

    versions = ModelRegistry().list_versions(model)
    if not versions:
        typer.echo("no registered models")
    for summary in versions:
        typer.echo(summary.line())
