"""``dancegen ablate``: train the paper's ablation variants on a synthetic dataset and fill tables 1–3 (§4.4).

Steps (each prints progress):

1. data: SDGPip on procedural tracks (or ``--data``), tracks split into train and a held-out test part;
2. training: every variant's stage chain (:mod:`.ablation_plan`), in one worker process (:mod:`.train_worker`);
3. evaluation: each variant's final model generates every test clip from its music and reference image and
   is scored (:func:`.benchmark.evaluate_model_on_split`);
4. report: ``<out>/report/{metrics.json,report.html}`` with the three tables and the findings, among them
   whether Ours beat the Simple Audio Encoder on 2D-BeatAlign and AV-Align, with the numbers — as measured.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.evaluation.ablation_plan import VARIANTS, AblationSettings, final_run, plan_training
from dancegen.evaluation.errors import EvaluationError
from dancegen.evaluation.report import ModelResult, write_report
from dancegen.metrics import MetricsConfig

PAPER_OURS_VS_SAE = {"beat_align": (0.303, 0.261), "av_align": (0.421, 0.350)}  # paper Table 2
LABELS = {"beat_align": "2D-BeatAlign", "av_align": "AV-Align"}


def make_dataset(settings: AblationSettings, out: Path) -> str:
    """SDGPip on ``settings.tracks`` procedural tracks into ``out`` (finished shards are kept); return the path."""
    from dancegen.sdgpip.config import SDGPipConfig, SplitConfig
    from dancegen.sdgpip.generate import run_sdgpip

    cfg = SDGPipConfig(
        out=str(out),
        synthetic_tracks=settings.tracks,
        track_seconds=settings.track_seconds,
        clip_seconds=settings.clip_seconds,
        fps=settings.fps,
        size=settings.size,
        clips_per_shard=4,
        seed=settings.seed,
        workers=settings.sdgpip_workers,
        splits=SplitConfig(train=1 - settings.test_fraction, val=0.0, test=settings.test_fraction),
    )
    run_sdgpip(cfg)
    return str(out)


def motion_counts(data: str, split: str) -> Counter:
    """How many clips of ``split`` each motion source (``meta.json`` ``motion``) made."""
    from dancegen.sdgpip.generate import load_manifest
    from dancegen.sdgpip.shards import read_shard
    from dancegen.storage import Location

    location, counts = Location.parse(data), Counter()
    for name in load_manifest(data).get("splits", {}).get(split, []):
        for _, members in read_shard(location.read_bytes(f"shards/{name}.tar")):
            counts[json.loads(members["meta.json"]).get("motion", "unknown")] += 1
    return counts


def settings_from_dataset(settings: AblationSettings, data: str) -> AblationSettings:
    """``settings`` with the frame rate and clip length of an existing dataset (generation must match them)."""
    from dancegen.sdgpip.generate import load_manifest

    config = load_manifest(data)["config"]
    return settings.model_copy(update={"fps": float(config["fps"]), "clip_seconds": float(config["clip_seconds"])})


def train_variants(plan: list[dict[str, Any]], work: Path) -> dict[str, dict[str, Any]]:
    """Run the training plan in a worker process (its progress goes to this terminal); return its results."""
    plan_path, results_path = work / "plan.json", work / "train-results.json"
    work.mkdir(parents=True, exist_ok=True)
    plan_path.write_text(json.dumps(plan, indent=2))
    command = [sys.executable, "-m", "dancegen.evaluation.train_worker", str(plan_path), str(results_path)]
    # one intra-op thread: the tiny model's small ops gain nothing from more, and oversubscribed threads
    # on a shared 2-core machine slow training down many times over (set OMP_NUM_THREADS to override)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    process = subprocess.run(command, check=False, env=env)
    if process.returncode != 0:
        raise EvaluationError(
            f"the ablation's training worker exited with code {process.returncode} (see its output above); "
            f"the plan is {plan_path}"
        )
    return json.loads(results_path.read_text())


def _clip_values(model: ModelResult, metric: str) -> list[float]:
    return [c.beat_align["value"] for c in model.clips if metric == "beat_align" and c.beat_align["status"] == "ok"]


def comparison(metric: str, ours: ModelResult, sae: ModelResult, budget: str) -> str:
    """One finding: did Ours beat the Simple Audio Encoder on ``metric``, with the numbers (and why not)."""
    label, (paper_ours, paper_sae) = LABELS[metric], PAPER_OURS_VS_SAE[metric]
    mine, theirs = ours.metric(metric), sae.metric(metric)
    paper = f"paper: {paper_ours:.3f} vs {paper_sae:.3f}"
    if not (mine.available and theirs.available):
        why = "; ".join(f"{m.name}: {r.reason}" for m, r in ((ours, mine), (sae, theirs)) if not r.available)
        return f"{label}: Ours and the Simple Audio Encoder could not be compared ({why})."
    numbers = f"{mine.value:.3f} vs {theirs.value:.3f} ({paper})"
    if mine.value > theirs.value:
        return f"Ours beat the Simple Audio Encoder on {label}: {numbers}."
    spread = ""
    per_clip = _clip_values(ours, metric) + _clip_values(sae, metric)
    if len(per_clip) >= 2:
        std = float(np.std(per_clip))
        relation = "smaller" if abs(mine.value - theirs.value) < std else "larger"
        spread = f"; the difference is {relation} than the clip-to-clip spread (std {std:.3f})"
    tie = " (a tie)" if mine.value == theirs.value else ""
    return (
        f"Ours did NOT beat the Simple Audio Encoder on {label}: {numbers}{tie}. Why: {budget}, far from the "
        f"paper's 20K–80K training steps per stage on AIST++, so this comparison does not test "
        f"the paper's claim{spread}."
    )


def vae_finding(results: dict[str, dict[str, Any]]) -> str | None:
    """Where the models' VAE came from (stage-0 runs' ``training.json``): a finding when one was trained here."""
    shared = sorted(name for name, result in results.items() if name.endswith("-s0") and result.get("status") == "ok")
    for name in shared:
        config = json.loads((Path(results[name]["model_dir"]) / "training.json").read_text())["config"]
        weights = config.get("weights", {})
        if weights.get("vae") or weights.get("champ_dir") or config.get("init_from"):
            continue
        steps = min(config["vae"]["max_steps"], config["stages"]["stage0"]["max_steps"])
        return (
            f"Image quality (tables 1 and 3): no pretrained VAE can be had offline, so {name} trained the VAE from "
            f"scratch ({steps} steps on the synthetic clips) and the stage-0 runs {', '.join(shared)} decode with it: "
            "frames are blurry renders of a dancer, so FVD, LPIPS, PSNR and SSIM rank the variants against one "
            "another, not against the paper's numbers."
        )
    return None


def findings(
    models: dict[str, ModelResult], unavailable: dict[str, str], budget: str, vae_note: str | None = None
) -> list[str]:
    """The report's conclusions: Ours vs SAE on both alignment metrics, caveats, every variant that could not run."""
    lines = []
    if "ours" in models and "sae" in models:
        lines += [comparison(metric, models["ours"], models["sae"], budget) for metric in ("beat_align", "av_align")]
    if vae_note:
        lines.append(vae_note)
    for key, model in models.items():
        if model.reason:
            lines.append(f"{VARIANTS[key].name}: {model.reason}")
    return lines


def _budget(settings: AblationSettings, train_clips: int, test_clips: int) -> str:
    steps = ", ".join(f"stage {s} {settings.steps.of(s, settings.model_preset)}" for s in range(4))
    stage2 = settings.steps.of(2, settings.model_preset)
    return (
        f"this run trained {steps} steps (Simple Audio Encoder stage 2: "
        f"{math.ceil(stage2 * settings.sae_stage2_factor)}) on {train_clips} synthetic clips and "
        f"scored {test_clips} test clips with {settings.ddim_steps} DDIM steps"
    )


def _weights_line(config: MetricsConfig) -> str:
    given = {"LPIPS": config.lpips_weights, "I3D (FVD)": config.i3d_torchscript, "DWPose": config.dwpose_onnx}
    return ", ".join(f"{name} {'set' if path else 'not set'}" for name, path in given.items())


def run_ablation(
    settings: AblationSettings,
    out: str | Path,
    data: str | None = None,
    metrics: MetricsConfig | None = None,
    log: Callable[[str], None] = print,
) -> tuple[Path, Path, list[str]]:
    """Run the whole ablation into ``out`` (see the module docstring); return (metrics.json, report.html, findings)."""
    start = time.perf_counter()
    out = Path(out)
    if data is None:
        log(f"[1/4] SDGPip: {settings.tracks} procedural tracks → {out / 'data'}")
        data = make_dataset(settings, out / "data")
    else:
        settings = settings_from_dataset(settings, data)
        log(f"[1/4] dataset {data} ({settings.fps:g} fps, {settings.clip_seconds:g}-s clips)")
    motions, test = motion_counts(data, "train"), motion_counts(data, "test")
    if not test:
        raise EvaluationError(f"dataset {data} has no test clips; generate more tracks (--tracks) to hold some out")
    plan, unavailable = plan_training(settings, data, out / "runs", motions)
    log(f"[2/4] training {len(plan)} runs for {len(settings.variants) - len(unavailable)} variants")
    results = train_variants(plan, out / "runs") if plan else {}
    test_clips = min(sum(test.values()), settings.test_clips or sum(test.values()))
    budget = _budget(settings, sum(motions.values()), test_clips)
    models: dict[str, ModelResult] = {}
    keys = [key for key in VARIANTS if key in settings.variants]
    for number, key in enumerate(keys, start=1):
        variant = VARIANTS[key]
        row = dict(key=key, name=variant.name, guidance_setup=variant.table3, in_main_tables=variant.in_main_tables)
        failed = [r for r in plan if r["variant"] == key and results.get(r["name"], {}).get("status") != "ok"]
        if key in unavailable:
            models[key] = ModelResult(**row, reason=unavailable[key])
        elif failed:
            reason = results.get(failed[0]["name"], {}).get("reason", "not trained")
            models[key] = ModelResult(**row, reason=f"unavailable: training run {failed[0]['name']} failed: {reason}")
        else:
            log(f"[3/4] evaluating {variant.name} ({number}/{len(keys)}) on {test_clips} test clips")
            models[key] = _evaluate_variant(settings, data, out, metrics, results, key, row)
    lines = findings(models, unavailable, budget, vae_finding(results))
    log("[4/4] report")
    report_settings = {
        "dataset": data,
        "training clips (by motion source)": dict(motions),
        "test clips": test_clips,
        "training steps": {f"stage{s}": settings.steps.of(s, settings.model_preset) for s in range(4)},
        "Simple Audio Encoder stage-2 factor": round(settings.sae_stage2_factor, 4),
        "generation": f"{settings.ddim_steps} DDIM steps, guidance {settings.guidance_scale}, seed {settings.seed}",
        "frames per clip": f"{settings.frames_per_clip} at {settings.fps:g} fps",
        "metric weights": _weights_line(metrics or MetricsConfig()),
        "wall time": f"{time.perf_counter() - start:.0f} s",
    }
    title = f"dancegen ablation (paper §4.4), {settings.model_preset} preset"
    metrics_path, html_path = write_report(out / "report", title, list(models.values()), report_settings, lines)
    return metrics_path, html_path, lines


def _evaluate_variant(settings, data, out: Path, metrics, results, key: str, row: dict) -> ModelResult:
    from dancegen.evaluation.benchmark import evaluate_model_on_split

    final = results[final_run(key)]
    model = evaluate_model_on_split(
        final["model_dir"],
        data,
        "test",
        **row,
        out=out / "report",
        metrics=metrics,
        steps=settings.ddim_steps,
        guidance_scale=settings.guidance_scale,
        seed=settings.seed,
        max_clips=settings.test_clips,
        max_videos=settings.max_videos,
        segment_seconds=settings.clip_seconds,
        threads=1,  # the tiny model's small ops: one thread, as in training (see train_variants)
    )
    trained = {r: v for r, v in results.items() if r.startswith(f"{key}-s") or (key == "no-pseudo" and r == "ours-s0")}
    model.details["training"] = ", ".join(f"{r}: {v.get('step')} steps" for r, v in trained.items())
    return model
