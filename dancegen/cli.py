"""The ``dancegen`` command: a thin typer layer over library functions.

Every user error (:class:`dancegen.errors.DancegenError`) is printed as one line ``error: …`` and exits
with code 2. Heavy imports happen inside the commands so that ``dancegen --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dancegen.console import run_app

app = typer.Typer(
    name="dancegen",
    help="Music + one reference photo → dance video (M2PEnc + SDGPip + pose-guided video diffusion).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

sdgpip_app = typer.Typer(
    help="Synthetic Dataset Generation Pipeline (paper §3.1): music → motion → guidance maps → shards.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(sdgpip_app, name="sdgpip")


def _mount_subcommands() -> None:
    """Sub-apps that live beside the library code they drive (each module imports its heavy deps lazily)."""
    from dancegen.evaluation.commands import ablate_command, evaluate_command
    from dancegen.infer.commands import generate_command
    from dancegen.k8s.commands import k8s_app
    from dancegen.lifecycle.commands import pipeline_app
    from dancegen.serving.commands import client_app, serve_app
    from dancegen.tracking.commands import registry_app, stack_app
    from dancegen.train.commands import train_command

    app.command("train", help="Train one stage (0–3) with DeepSpeed; run under torchrun for many processes.")(
        train_command
    )
    app.command("generate", help="Music + reference photo → dance video (mp4 with the music).")(generate_command)
    app.command("evaluate", help="Score generated clips against real ones; metrics JSON + HTML report.")(
        evaluate_command
    )
    app.command("ablate", help="Train and evaluate the paper's ablations (tables 1-3) on the synthetic test split.")(
        ablate_command
    )
    app.add_typer(
        pipeline_app, name="pipeline", help="The lifecycle as Kubeflow pipelines: compile, run --local, submit."
    )
    app.add_typer(k8s_app, name="k8s", help="Training as Kubeflow PyTorchJobs: render, submit, wait, logs, cancel.")
    app.add_typer(serve_app, name="serve", help="Triton: export a model repository, start/stop/status the server.")
    app.add_typer(client_app, name="client", help="Call a running Triton server (generate a dance video).")
    app.add_typer(stack_app, name="stack", help="Local SeaweedFS S3 + MLflow servers on 127.0.0.1: up, down, status.")
    app.add_typer(registry_app, name="registry", help="MLflow model registry: list versions, gated promotion.")


@sdgpip_app.callback()
def sdgpip(
    ctx: typer.Context,
    out: Annotated[str | None, typer.Option(help="Output directory or s3://bucket/prefix.")] = None,
    music: Annotated[Path | None, typer.Option(help="Directory of music files (wav/flac/mp3/ogg).")] = None,
    synthetic: Annotated[int | None, typer.Option(help="Procedural music tracks to generate instead.")] = None,
    motion: Annotated[str | None, typer.Option(help="'choreographer' (default) or 'aist:DIR' (AIST++).")] = None,
    track_seconds: Annotated[float | None, typer.Option(help="Length of each synthetic track [20].")] = None,
    clip_seconds: Annotated[float | None, typer.Option(help="Clip length [5, as the paper].")] = None,
    fps: Annotated[float | None, typer.Option(help="Video frame rate of the clips [15].")] = None,
    size: Annotated[int | None, typer.Option(help="Square frame size in pixels [512; paper 640].")] = None,
    clips_per_shard: Annotated[int | None, typer.Option(help="Clips per WebDataset tar shard [8].")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed [0]: the same seed gives byte-identical shards.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes, each with its own GL context [2].")] = None,
    smpl_model_dir: Annotated[str | None, typer.Option(help="Licensed SMPL files; default: procedural body.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file with SDGPip config keys (CLI options win).")] = None,
) -> None:
    """Generate a sharded synthetic dataset (run without a subcommand), or preview one clip (`preview`)."""
    if ctx.invoked_subcommand is not None:
        return
    from dancegen.sdgpip.config import SDGPipConfig, load_sdgpip_config
    from dancegen.sdgpip.generate import run_sdgpip

    overrides = {
        key: value
        for key, value in dict(
            out=out,
            music_dir=str(music) if music else None,
            synthetic_tracks=synthetic,
            motion=motion,
            track_seconds=track_seconds,
            clip_seconds=clip_seconds,
            fps=fps,
            size=size,
            clips_per_shard=clips_per_shard,
            seed=seed,
            workers=workers,
            smpl_model_dir=smpl_model_dir,
        ).items()
        if value is not None
    }
    cfg: SDGPipConfig = load_sdgpip_config(config, overrides)
    manifest = run_sdgpip(cfg)
    typer.echo(
        f"wrote {manifest['counts']['clips']} clips in {manifest['counts']['shards']} shards to {cfg.out} "
        f"(manifest: {cfg.out.rstrip('/')}/manifest.json)"
    )


@sdgpip_app.command("preview")
def sdgpip_preview(
    data: Annotated[str, typer.Option(help="Dataset directory or s3:// prefix written by `dancegen sdgpip`.")],
    out: Annotated[Path, typer.Option(help="Output directory for preview.png and preview.mp4.")] = Path("preview"),
    clip: Annotated[str | None, typer.Option(help="Clip key (default: the first clip of the first shard).")] = None,
) -> None:
    """Write a contact-sheet PNG and an MP4 (maps side by side, with the music) for one clip."""
    from dancegen.sdgpip.preview import preview_clip

    png, mp4 = preview_clip(data, out, clip)
    typer.echo(f"wrote {png} and {mp4}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Directory for everything the demo writes.")] = Path("demo-out"),
) -> None:
    """Run the main job on embedded defaults and print where the results are."""
    from dancegen.demo import run_demo

    for line in run_demo(out):
        typer.echo(line)


_mount_subcommands()


def main() -> None:
    """Console entry point: run the app, turning user errors into one line and exit code 2."""
    run_app(app)


if __name__ == "__main__":
    main()
