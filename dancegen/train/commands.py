"""``dancegen train``: the command line of the staged trainer (a thin layer over :func:`.trainer.train`).

Mounted in ``dancegen/cli.py`` with ``app.command("train")(train_command)``; also runnable on its own as
``python -m dancegen.train …`` (same options). Launch commands are in :mod:`dancegen.train.trainer`.
Option values form the CLI layer of the config (defaults → ``--preset`` → ``--config`` YAML → these
options → ``--set key=value``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from dancegen.console import run_app
from dancegen.errors import ConfigError


def train_command(
    stage: Annotated[int | None, typer.Option(help="0 pose→video, 1 M2PEnc, 2 U-Net, 3 temporal (§3.4).")] = None,
    preset: Annotated[str | None, typer.Option(help="tiny (CPU, tests) or paper (§4.1, 8 GPUs) [tiny].")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file of training config keys.")] = None,
    data: Annotated[str | None, typer.Option(help="SDGPip dataset directory or s3://bucket/prefix.")] = None,
    out: Annotated[str | None, typer.Option(help="Run directory or s3://bucket/prefix (checkpoints, model/).")] = None,
    init: Annotated[str | None, typer.Option(help="Previous stage's exported model dir (config init_from).")] = None,
    resume: Annotated[str | None, typer.Option(help="'auto': continue from the latest checkpoint in --out.")] = None,
    zero_stage: Annotated[int | None, typer.Option(help="DeepSpeed ZeRO stage 1, 2 or 3 [2].")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Last optimizer step (stages.stageN.max_steps).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Config override key=value (repeatable).")] = None,
    estimate_memory: Annotated[
        bool, typer.Option("--estimate-memory", help="Print parameter counts and ZeRO 1/2/3 memory per GPU as JSON.")
    ] = False,
    gpus: Annotated[int, typer.Option(help="GPUs per node for --estimate-memory.")] = 8,
) -> None:
    """Train one stage under DeepSpeed (launch with torchrun for several processes), or estimate its memory."""
    from dancegen.train.config import load_train_config

    if resume not in (None, "auto"):
        raise ConfigError(f"--resume {resume!r} is not supported; use --resume auto")
    if estimate_memory:
        from dancegen.train.memory import estimate_memory as estimate

        cfg = load_train_config(preset=preset or "paper", config_path=config, overrides=set_)
        with contextlib.redirect_stdout(sys.stderr):  # DeepSpeed logs to stdout; keep stdout pure JSON
            report = estimate(gpus=gpus, cfg=cfg)
        typer.echo(json.dumps(report, indent=2))
        return
    if stage is None:
        raise ConfigError("--stage is required: 0, 1, 2 or 3 (or --estimate-memory)")
    if stage not in (0, 1, 2, 3):
        raise ConfigError(f"--stage {stage} does not exist; use 0, 1, 2 or 3")
    cli: dict = {}
    if data is not None:
        cli["data"] = {"path": data}
    if out is not None:
        cli["out"] = out
    if init is not None:
        cli["init_from"] = init
    if zero_stage is not None:
        cli["deepspeed"] = {"zero_stage": zero_stage}
    if max_steps is not None:
        cli["stages"] = {f"stage{stage}": {"max_steps": max_steps}}
    cfg = load_train_config(stage=stage, preset=preset, config_path=config, overrides=set_, cli=cli)

    from dancegen.train.trainer import train

    result = train(cfg, resume=resume == "auto")
    if int(os.environ.get("RANK", "0")) == 0:
        losses = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items() if k in ("loss", "pix", "guid", "heat"))
        start = f" (resumed at step {result.resumed_from})" if result.resumed_from else ""
        summary = f"stage {result.stage}: step {result.step}{start}; {losses or 'no training'}"
        typer.echo(f"{summary}; model: {result.model_dir}")


train_app = typer.Typer(
    help="Staged DeepSpeed training (paper §3.4).", add_completion=False, pretty_exceptions_enable=False
)
train_app.command("train")(train_command)


def main(argv: list[str] | None = None) -> None:
    """``python -m dancegen.train``: run :func:`train_command`, user errors → ``error: …`` and exit code 2."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(train_command)
    run_app(app, argv, "dancegen train")
