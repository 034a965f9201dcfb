"""``dancegen generate``: music + one reference photo → dance video (a thin layer over :func:`generate`).

    dancegen generate --music song.mp3 --image me.jpg --out dance.mp4 \\
        [--model DIR | s3://bucket/run/model | models:/dancegen@champion] [--seconds N] [--steps K] \\
        [--guidance-scale G] [--seed S] [--overlap FRAMES] [--fps F] [--preview]

Mounted by ``dancegen/cli.py`` as ``app.command("generate")(generate_command)``; errors are
:class:`~dancegen.errors.DancegenError` (one line, exit 2). Warnings (cropped or huge photos) are printed
as ``warning: …`` lines.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from dancegen.errors import ConfigError

DEFAULT_MODEL = "models:/dancegen@champion"


def preview_path(out: Path) -> Path:
    """Where ``--preview`` writes: ``dance.mp4`` → ``dance.preview.mp4``."""
    return out.with_name(f"{out.stem}.preview.mp4")


def _check_out(out: Path) -> None:
    from dancegen.storage import Location

    if out.suffix.lower() != ".mp4":
        raise ConfigError(f"--out {out} must end in .mp4 (the video is H.264 + AAC in an mp4 container)")
    if out.is_dir():
        raise ConfigError(f"--out {out} is a directory; pass a file name such as {out / 'dance.mp4'}")
    Location.parse(out.parent if str(out.parent) else ".").ensure_writable()


def generate_command(
    music: Annotated[str, typer.Option(help="Music file (wav/flac/mp3/ogg); the video is as long as it.")],
    image: Annotated[str, typer.Option(help="Reference photo (PNG/JPEG) of the person, ideally square.")],
    out: Annotated[Path, typer.Option(help="Output mp4 (H.264 video + the music as AAC).")],
    model: Annotated[
        str, typer.Option(help="DanceModel directory, s3:// prefix, or registry URI models:/NAME@ALIAS.")
    ] = DEFAULT_MODEL,
    seconds: Annotated[float | None, typer.Option(help="Video length in seconds [the music's length].")] = None,
    steps: Annotated[int, typer.Option(help="DDIM denoising steps per segment.")] = 25,
    guidance_scale: Annotated[float, typer.Option(help="Classifier-free guidance on the photo (1 = off).")] = 3.5,
    seed: Annotated[int, typer.Option(help="Noise seed: the same seed gives the same video.")] = 0,
    overlap: Annotated[int | None, typer.Option(help="Frames shared by consecutive 5-s segments [1/8].")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate [highest ≤ 15 the model's segments fit].")] = None,
    preview: Annotated[bool, typer.Option(help="Also write OUT.preview.mp4: video | skeleton | heatmaps.")] = False,
) -> None:
    """Generate a dance video of the person in IMAGE dancing to MUSIC (paper §3.3–3.4)."""
    from dancegen.infer.pipeline import generate
    from dancegen.infer.reference_image import ReferenceImageWarning

    _check_out(out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReferenceImageWarning)
        result = generate(
            music,
            image,
            model,
            seconds=seconds,
            steps=steps,
            guidance_scale=guidance_scale,
            seed=seed,
            overlap=overlap,
            fps=fps,
            preview=preview,
        )
    for warning in caught:
        if issubclass(warning.category, ReferenceImageWarning):
            typer.echo(f"warning: {warning.message}", err=True)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    written = [result.write(out)]
    if preview:
        written.append(result.write_preview(preview_path(out)))
    typer.echo(
        f"wrote {', '.join(map(str, written))} ({result.seconds:.2f} s, {len(result.frames)} frames at "
        f"{result.fps:g} fps, {len(result.segments)} segment{'s' * (len(result.segments) > 1)})"
    )
