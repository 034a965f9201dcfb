"""``dancegen evaluate`` and ``dancegen ablate``: thin typer commands over :mod:`.directories` and :mod:`.ablation`.

Mounted in ``dancegen/cli.py``::

    app.command("evaluate", help="…")(evaluate_command)
    app.command("ablate", help="…")(ablate_command)

Heavy imports happen inside the commands; user errors are DancegenErrors (``error: …``, exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

MetricsConfigOption = Annotated[
    Path | None, typer.Option(help="YAML file whose 'metrics:' mapping sets the metric networks and conventions.")
]
LpipsOption = Annotated[str | None, typer.Option(help="LPIPS state dict (path or s3://) (metrics.lpips_weights).")]
I3dOption = Annotated[str | None, typer.Option(help="I3D TorchScript for FVD (metrics.i3d_torchscript).")]
DwposeOption = Annotated[str | None, typer.Option(help="DWPose ONNX for 2D-BeatAlign keypoints (metrics.dwpose_onnx).")]


def _metric_line(result) -> str:
    if result.available:
        return f"  {result.name}: {result.value:.4g}"
    return f"  {result.name}: unavailable ({result.reason})"


def evaluate_command(
    real: Annotated[Path, typer.Option(help="Directory of ground-truth clips (<name>.mp4 with the music).")],
    fake: Annotated[Path, typer.Option(help="Directory of generated clips, named like their ground truth.")],
    out: Annotated[Path, typer.Option(help="Report directory: metrics.json, report.html, plots/, videos/.")] = Path(
        "report"
    ),
    name: Annotated[str | None, typer.Option(help="Row label of the generated set (--fake dir name).")] = None,
    guidance_setup: Annotated[
        str | None, typer.Option(help="DNS, P or PDNS: also list the set in Table 3 under that setup.")
    ] = None,
    videos: Annotated[int, typer.Option(min=0, help="Side-by-side videos written for the first N clips.")] = 3,
    metrics_config: MetricsConfigOption = None,
    lpips_weights: LpipsOption = None,
    i3d_torchscript: I3dOption = None,
    dwpose_onnx: DwposeOption = None,
) -> None:
    """Score generated dance clips against their ground truth with the paper's metrics (§4.2, tables 1–3)."""
    from dancegen.evaluation.directories import evaluate_directories, load_metrics_config

    config = load_metrics_config(
        metrics_config, lpips_weights=lpips_weights, i3d_torchscript=i3d_torchscript, dwpose_onnx=dwpose_onnx
    )
    model, metrics_path, html_path = evaluate_directories(real, fake, out, config, name, guidance_setup, videos)
    typer.echo(f"{model.name}: {model.details['clips']} clips")
    for result in model.metrics:
        typer.echo(_metric_line(result))
    typer.echo(f"wrote {metrics_path} and {html_path}")


def ablate_command(
    preset: Annotated[str, typer.Option(help="Model/training preset of every run (tiny on this machine).")] = "tiny",
    out: Annotated[Path, typer.Option(help="Work directory: data/, runs/, report/.")] = Path("ablation-out"),
    steps: Annotated[
        str | None, typer.Option(help="Steps: N for every stage or 0=N,1=N,2=N,3=N (default: the training preset's).")
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Micro run (1 step per stage, 1 DDIM step, 1 test clip): checks wiring.")
    ] = False,
    data: Annotated[
        str | None, typer.Option(help="Existing SDGPip dataset (dir or s3://) instead of procedural tracks.")
    ] = None,
    variants: Annotated[
        str | None, typer.Option(help="Comma-separated subset of ours,sae,no-pseudo,dns,p (all).")
    ] = None,
    tracks: Annotated[int | None, typer.Option(help="Procedural SDGPip tracks (tiny: 6).")] = None,
    ddim_steps: Annotated[int | None, typer.Option(help="DDIM steps per generated clip (tiny: 10).")] = None,
    test_clips: Annotated[int | None, typer.Option(help="Test clips generated per model, 0 = all (tiny: 0).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of data, training and generation [0].")] = None,
    metrics_config: MetricsConfigOption = None,
    lpips_weights: LpipsOption = None,
    i3d_torchscript: I3dOption = None,
    dwpose_onnx: DwposeOption = None,
) -> None:
    """Train and evaluate the paper's ablations (§4.4: Simple Audio Encoder, w/o pseudo-motions, DNS/P/PDNS)."""
    from dancegen.evaluation.ablation import run_ablation
    from dancegen.evaluation.ablation_plan import load_ablation_settings, parse_steps
    from dancegen.evaluation.directories import load_metrics_config

    settings = load_ablation_settings(
        preset,
        quick,
        steps=parse_steps(steps) if steps is not None else None,
        variants=[v.strip() for v in variants.split(",") if v.strip()] if variants is not None else None,
        tracks=tracks,
        ddim_steps=ddim_steps,
        test_clips=test_clips,
        seed=seed,
    )
    config = load_metrics_config(
        metrics_config, lpips_weights=lpips_weights, i3d_torchscript=i3d_torchscript, dwpose_onnx=dwpose_onnx
    )
    metrics_path, html_path, findings = run_ablation(settings, out, data, config, log=typer.echo)
    for line in findings:
        typer.echo(line)
    typer.echo(f"wrote {metrics_path} and {html_path}")
