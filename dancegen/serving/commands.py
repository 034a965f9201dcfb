"""``dancegen serve …`` and ``dancegen client …``: thin typer sub-apps over the serving library.

Mounted in ``dancegen/cli.py`` with ``app.add_typer(serve_app, name="serve")`` and
``app.add_typer(client_app, name="client")``; user errors are DancegenErrors (one line, exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

serve_app = typer.Typer(
    help="Triton serving: export a model repository, start/stop/inspect the local server.", no_args_is_help=True
)
client_app = typer.Typer(help="Call a running Triton server.", no_args_is_help=True)


@client_app.callback()
def client_main() -> None:
    """Clients of the served dancegen models (any Triton client works too; see the README's interface table)."""


def _parameters(values: list[str] | None) -> dict[str, dict[str, str]]:
    """``["music_features.max_seconds=300", …]`` → ``{"music_features": {"max_seconds": "300"}}``."""
    from dancegen.errors import ConfigError

    parsed: dict[str, dict[str, str]] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        model, dot, name = key.partition(".")
        if not (sep and dot and model and name):
            raise ConfigError(f"--param {item!r} must look like MODEL.NAME=VALUE, e.g. music_features.max_seconds=300")
        parsed.setdefault(model, {})[name] = value
    return parsed


@serve_app.command("export")
def serve_export(
    model: Annotated[str, typer.Option(help="DanceModel directory, s3:// prefix or models:/dancegen@champion.")],
    repo: Annotated[str, typer.Option(help="Model repository to write: a directory or s3://bucket/prefix.")],
    kind: Annotated[str, typer.Option(help="Instance kind: cpu (KIND_CPU) or gpu (KIND_GPU).")] = "cpu",
    instances: Annotated[int, typer.Option(help="Instances per model.")] = 1,
    max_batch_size: Annotated[int, typer.Option(help="Largest m2penc batch.")] = 32,
    dynamic_batching: Annotated[bool, typer.Option(help="Dynamic batching for m2penc.")] = True,
    max_queue_delay_us: Annotated[int, typer.Option(help="How long the batcher waits for more requests.")] = 500,
    preferred_batch_size: Annotated[
        list[int] | None,
        typer.Option(help="Batch size the batcher sends without waiting (repeatable; default 8, 16, … ≤ max)."),
    ] = None,
    stream_progress: Annotated[
        bool, typer.Option(help="Make dance_video decoupled and stream progress (gRPC clients only).")
    ] = False,
    param: Annotated[
        list[str] | None, typer.Option(help="config.pbtxt parameter MODEL.NAME=VALUE (repeatable).")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Export only these models (repeatable; dance_video needs the others).")
    ] = None,
) -> None:
    """Write a Triton model repository: music_features, m2penc, dance_video (Python backend) + weights."""
    from pydantic import ValidationError

    from dancegen.errors import ConfigError
    from dancegen.serving.export import ExportOptions, export_repository

    try:
        options = ExportOptions(
            kind=kind,
            instances=instances,
            max_batch_size=max_batch_size,
            dynamic_batching=dynamic_batching,
            max_queue_delay_us=max_queue_delay_us,
            preferred_batch_sizes=preferred_batch_size,
            stream_progress=stream_progress,
            parameters=_parameters(param),
            **({"models": only} if only else {}),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        option = {"models": "only"}.get(str(first["loc"][0]), str(first["loc"][0])) if first["loc"] else ""
        where = f"--{option.replace('_', '-')}: " if option else ""
        raise ConfigError(f"{where}{first['msg']}") from None
    uri = export_repository(model, repo, options)
    typer.echo(f"wrote Triton model repository {uri} (music_features, m2penc, dance_video)")


@serve_app.command("start")
def serve_start(
    repo: Annotated[str, typer.Option(help="Model repository written by `serve export` (directory or s3://).")],
    http_port: Annotated[int, typer.Option(help="HTTP port on 127.0.0.1.")] = 8000,
    grpc_port: Annotated[int, typer.Option(help="gRPC port on 127.0.0.1.")] = 8001,
    metrics_port: Annotated[int, typer.Option(help="Prometheus metrics port on 127.0.0.1.")] = 8002,
    timeout: Annotated[float, typer.Option(help="Seconds to wait until every model is ready.")] = 180.0,
) -> None:
    """Start tritonserver (from nvidia-pytriton) in the background and wait until every model is ready."""
    from dancegen.serving.server import TritonServer

    server = TritonServer(repo, http_port=http_port, grpc_port=grpc_port, metrics_port=metrics_port)
    server.start(timeout=timeout)
    typer.echo(f"Triton ready: grpc {server.grpc_url}, http {server.http_url}, metrics {server.metrics_url}")


@serve_app.command("stop")
def serve_stop() -> None:
    """Stop the server started by `serve start` (models unload, in-flight requests finish)."""
    from dancegen.serving.server import TritonServer

    server = TritonServer.recorded()
    stopped = server.stop() if server else False
    typer.echo("Triton stopped" if stopped else "Triton was not running")


@serve_app.command("status")
def serve_status() -> None:
    """Print the server's ports and each model's state; exit 1 unless it runs and is ready."""
    from dancegen.serving.server import TritonServer

    server = TritonServer.recorded()
    if server is None:
        typer.echo("Triton is not running (start it with `dancegen serve start --repo DIR`)")
        raise typer.Exit(1)
    status = server.status()
    typer.echo(f"running: {status['running']} (pid {status['pid']}), ready: {status['ready']}")
    typer.echo(f"repo: {status['repo']}\ngrpc: {status['grpc']}  http: {status['http']}  metrics: {status['metrics']}")
    for model in status["models"]:
        reason = f" ({model['reason']})" if model.get("reason") else ""
        typer.echo(f"  {model.get('name')} v{model.get('version', '?')}: {model.get('state', '?')}{reason}")
    if not status["ready"]:
        raise typer.Exit(1)


@client_app.command("generate")
def client_generate(
    music: Annotated[Path, typer.Option(help="Music file (wav/flac/mp3/ogg).")],
    image: Annotated[Path, typer.Option(help="Reference photo (PNG or JPEG).")],
    out: Annotated[Path, typer.Option(help="Where to write the mp4.")] = Path("dance.mp4"),
    url: Annotated[str, typer.Option(help="HOST:PORT of the server (gRPC 8001, HTTP 8000).")] = "127.0.0.1:8001",
    protocol: Annotated[str, typer.Option(help="grpc or http.")] = "grpc",
    seconds: Annotated[float | None, typer.Option(help="Video length [the music's].")] = None,
    steps: Annotated[int | None, typer.Option(help="DDIM steps [the model's default].")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the initial noise [0].")] = None,
    guidance_scale: Annotated[float | None, typer.Option(help="Reference guidance scale [model default].")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds the request may take.")] = 1800.0,
) -> None:
    """Send music + photo to the served dance_video model and write the returned mp4."""
    from tqdm.auto import tqdm

    from dancegen.errors import AudioError, ImageError
    from dancegen.serving.client import DanceClient
    from dancegen.storage import atomic_write_bytes

    if not music.is_file():
        raise AudioError(f"music file {music} does not exist; pass --music SONG")
    if not image.is_file():
        raise ImageError(f"image file {image} does not exist; pass --image PHOTO")
    with (
        DanceClient(url, protocol=protocol, timeout=timeout) as client,
        tqdm(total=100, desc="generating", unit="%", disable=not client.streams_progress()) as bar,
    ):

        def on_progress(fraction: float) -> None:
            bar.update(round(fraction * 100) - bar.n)

        video = client.generate(
            music.read_bytes(),
            image.read_bytes(),
            seconds=seconds,
            steps=steps,
            seed=seed,
            guidance_scale=guidance_scale,
            on_progress=on_progress,
        )
    atomic_write_bytes(out, video)
    typer.echo(f"wrote {out} ({len(video) / 1e6:.2f} MB)")
