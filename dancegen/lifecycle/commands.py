"""``dancegen pipeline``: compile, run locally and submit the lifecycle pipelines (thin layer over :mod:`.runner`).

Mounted in ``dancegen/cli.py`` with ``app.add_typer(pipeline_app, name="pipeline")``; also runnable on its own
as ``python -m dancegen.lifecycle …`` (same commands).

    dancegen pipeline compile --out build/pipelines
    dancegen pipeline run --local --param tracks=3 --param stage0_steps=2
    dancegen pipeline submit --host http://127.0.0.1:8080 --experiment dancegen --param preset=paper
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dancegen.console import run_app
from dancegen.lifecycle.errors import PipelineError

pipeline_app = typer.Typer(
    help="The lifecycle as Kubeflow pipelines: compile to YAML, run here (kfp.local), submit to a cluster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PipelineName = Annotated[str, typer.Option("--pipeline", "-p", help="training or evaluation.")]
Params = Annotated[
    list[str] | None, typer.Option("--param", help="Pipeline parameter key=value (repeatable), e.g. preset=tiny.")
]


@pipeline_app.command("compile")
def compile_command(
    out: Annotated[Path, typer.Option(help="Directory for the compiled YAML files.")] = Path("build/pipelines"),
    pipeline: Annotated[
        list[str] | None, typer.Option("--pipeline", "-p", help="Pipeline to compile (repeatable) [all].")
    ] = None,
) -> None:
    """Compile the pipelines to KFP IR YAML (upload them in the KFP UI or with `submit`)."""
    from dancegen.lifecycle.runner import compile_pipelines

    for path in compile_pipelines(out, pipeline):
        typer.echo(f"wrote {path}")


@pipeline_app.command("run")
def run_command(
    local: Annotated[bool, typer.Option("--local", help="Run here with kfp.local (required).")] = False,
    pipeline: PipelineName = "training",
    param: Params = None,
    root: Annotated[Path, typer.Option(help="Directory for outputs, the task cache and resumable work.")] = Path(
        "pipeline-runs"
    ),
    verbose: Annotated[bool, typer.Option(help="Also print each step's executor input (JSON).")] = False,
) -> None:
    """Run a pipeline on this machine, each step as a subprocess; a rerun reuses finished steps."""
    if not local:
        raise PipelineError("`dancegen pipeline run` runs here only: add --local (a cluster: `submit --host URL`)")
    from dancegen.lifecycle.runner import run_local

    outputs = run_local(pipeline, param, root, verbose=verbose)
    for key, value in outputs.items():
        typer.echo(f"{key}: {value}")
    typer.echo(f"artifacts: {root.resolve() / 'outputs'}")


@pipeline_app.command("submit")
def submit_command(
    host: Annotated[str, typer.Option(help="Kubeflow Pipelines API endpoint, e.g. http://127.0.0.1:8080.")],
    experiment: Annotated[str, typer.Option(help="KFP experiment of the run.")] = "dancegen",
    pipeline: PipelineName = "training",
    param: Params = None,
    run_name: Annotated[str | None, typer.Option(help="Run name [pipeline name + time].")] = None,
) -> None:
    """Compile a pipeline and start a run on a Kubeflow Pipelines cluster (KFP caching reuses finished steps)."""
    from dancegen.lifecycle.runner import submit

    run_id, url = submit(pipeline, host, param, experiment, run_name)
    typer.echo(f"submitted run {run_id}: {url}")


def main(argv: list[str] | None = None) -> None:
    """``python -m dancegen.lifecycle``: the pipeline commands, user errors → ``error: …`` and exit code 2."""
    run_app(pipeline_app, argv, "dancegen pipeline")
