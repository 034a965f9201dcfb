"""Running a typer app as a command: user errors become one line ``error: …`` and their exit code."""

from __future__ import annotations

import sys

import typer

from dancegen.errors import DancegenError


def run_app(app: typer.Typer, argv: list[str] | None = None, prog_name: str | None = None) -> None:
    """Run ``app`` on ``argv`` (default ``sys.argv[1:]``); DancegenError → ``error: …`` on stderr, its exit code."""
    try:
        app(args=argv, prog_name=prog_name)
    except DancegenError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
