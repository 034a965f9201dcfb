"""Generating and scoring a model on a split of an SDGPip dataset (paper §4.3: held-out clips, music + first frame).

For every clip of the split, the model generates a video from the clip's music and reference image with
:func:`dancegen.infer.generate` (as a user would), and the paper's metrics compare it with the clip's target
frames (the ``rgb`` stream: the AIST video or the textured-avatar render).

2D-BeatAlign keypoints, unless DWPose is configured (``metrics.dwpose_onnx``, then it runs on every video):
the ground truth uses SDGPip's projected SMPL joints (``joints2d``, source ``sdgpip-joints2d``), a generated
clip uses the argmax of the joint heatmaps M2PEnc predicted with it (``m2penc-heatmaps``). A model with the
simple audio encoder predicts no heatmaps, so without DWPose its 2D-BeatAlign is "unavailable".

With ``out`` set, the clips are also written as ``<out>/clips/<key>/{real,fake}/<clip>.mp4`` (with keypoint
sidecars), so ``dancegen evaluate --real … --fake …`` scores them again from disk, and the report's plots and
side-by-side videos go under ``<out>``. :func:`benchmark_report` writes the report of one model.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from dancegen.evaluation.clips import ClipPair, EvalClip, align_pair, write_clip
from dancegen.evaluation.errors import EvaluationError
from dancegen.evaluation.report import ModelResult, clip_figures, safe_key, write_report
from dancegen.evaluation.scoring import score_pairs
from dancegen.infer.segments import SEGMENT_SECONDS
from dancegen.metrics import MetricsConfig, keypoints_from_heatmaps

GROUND_TRUTH_KEYPOINTS = "sdgpip-joints2d"
HEATMAP_KEYPOINTS = "m2penc-heatmaps"
TRAINING_INFO = "training.json"  # written beside an exported model by dancegen.train.export


def split_samples(data: str | os.PathLike, split: str, max_clips: int = 0) -> Iterator:
    """The decoded clips (``ClipSample`` with the rgb stream) of ``split``, in manifest order; at most ``max_clips``."""
    from dancegen.sdgpip.generate import load_manifest
    from dancegen.sdgpip.shards import decode_sample, read_shard
    from dancegen.storage import Location

    manifest = load_manifest(data)
    names = set(manifest.get("splits", {}).get(split, []))
    if not names:
        counts = {name: len(shards) for name, shards in manifest.get("splits", {}).items()}
        raise EvaluationError(
            f"dataset {data} has no {split!r} shards (shards per split: {counts}); generate more tracks "
            "(each split needs at least one) or evaluate another split"
        )
    location, given = Location.parse(data), 0
    for record in manifest["shards"]:
        if record["name"] not in names:
            continue
        for key, members in read_shard(location.read_bytes(f"shards/{record['name']}.tar")):
            yield decode_sample(key, members, streams=("rgb",))
            given += 1
            if max_clips and given >= max_clips:
                return


def predicted_heatmaps(model, result, music: tuple[np.ndarray, int]) -> np.ndarray | None:
    """The joint heatmaps ``(N, J, h, w)`` M2PEnc predicts for a generation ``result`` of ``music``, or None
    when the model's music encoder has no heatmap head (the simple audio encoder).

    Recomputed segment by segment exactly as :func:`dancegen.infer.generate` runs the encoder (eval mode,
    the segment's features, only the frames a segment adds).
    """
    import torch

    from dancegen.infer.music import music_features, read_music
    from dancegen.models import M2PEnc

    encoder = model.music_encoder
    if not isinstance(encoder, M2PEnc):
        return None
    features = music_features(read_music(music), result.fps, len(result.frames), encoder.config.feature_dim)
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.inference_mode():
            parts = []
            for segment in result.segments:
                window = torch.from_numpy(features[segment.start : segment.stop]).to(encoder.dtype)[None]  # (1, F, D)
                parts.append(encoder(window).heatmaps[segment.overlap :].float().numpy())  # (F_new, J, h, w)
    finally:
        encoder.train(was_training)
    return np.concatenate(parts)


def segment_seconds_for(model, fps: float) -> float:
    """The paper's 5-s segment, or the longest segment the model takes at ``fps`` when that is shorter."""
    from dancegen.infer.segments import temporal_capacity
    from dancegen.models import M2PEnc

    encoder = model.music_encoder
    music_frames = encoder.config.max_frames if isinstance(encoder, M2PEnc) else None
    capacity = temporal_capacity(model.unet.config.motion_max_seq_length, music_frames)
    return min(SEGMENT_SECONDS, capacity / fps)


def generate_pair(
    model, sample, steps: int, guidance_scale: float, seed: int, segment_seconds: float | None = None
) -> ClipPair:
    """Generate the video of one held-out clip from its music and reference image; pair it with the target.

    segment_seconds: generated segment length (None: :func:`segment_seconds_for` the clip's frame rate).
    """
    from dancegen.infer import generate

    if sample.reference is None:
        raise EvaluationError(f"clip {sample.key} has no reference.png; regenerate the dataset with SDGPip")
    fps = float(sample.meta["fps"])
    music = (sample.audio, sample.sample_rate)
    result = generate(
        music,
        sample.reference,
        model,
        steps=steps,
        guidance_scale=guidance_scale,
        seed=seed,
        fps=fps,
        progress=False,
        segment_seconds=segment_seconds or segment_seconds_for(model, fps),
    )
    real = EvalClip(
        sample.key,
        sample.maps["rgb"],
        fps,
        sample.audio,
        sample.sample_rate,
        keypoints=sample.joints2d.astype(np.float64),
        keypoint_source=GROUND_TRUTH_KEYPOINTS,
    )
    fake = EvalClip(sample.key, result.frames, result.fps, result.audio, result.sample_rate)
    heatmaps = predicted_heatmaps(model, result, music)
    if heatmaps is not None:
        fake.keypoints = keypoints_from_heatmaps(heatmaps, result.frames.shape[1:3])  # (N, J, 2) pixels
        fake.keypoint_source = HEATMAP_KEYPOINTS
    return align_pair(sample.key, real, fake)


@contextlib.contextmanager
def torch_threads(threads: int | None):
    """Run the block with ``threads`` torch intra-op threads (None: unchanged), then restore the setting."""
    import torch

    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def training_details(model_dir: str | os.PathLike) -> dict[str, Any]:
    """Stage, step and dataset digest from the model's ``training.json`` (empty when absent)."""
    path = Path(model_dir) / TRAINING_INFO
    if not path.is_file():
        return {}
    info = json.loads(path.read_text())
    details = {key: info[key] for key in ("stage", "step") if key in info}
    if "dataset" in info:
        details["trained on dataset"] = info["dataset"].get("digest")
    return details


def evaluate_model_on_split(
    model_dir: str | os.PathLike,
    data: str | os.PathLike,
    split: str = "test",
    *,
    name: str = "model",
    key: str | None = None,
    guidance_setup: str | None = None,
    in_main_tables: bool = True,
    out: str | os.PathLike | None = None,
    metrics: MetricsConfig | None = None,
    steps: int = 25,
    guidance_scale: float = 3.5,
    seed: int = 0,
    max_clips: int = 0,
    max_videos: int = 3,
    segment_seconds: float | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> ModelResult:
    """Generate every clip of ``split`` with the model at ``model_dir`` and score it (module docstring).

    Args:
        model_dir: exported DanceModel directory (a training run's ``model/``), ``s3://`` prefix or ``models:/`` URI.
        data: SDGPip dataset directory or ``s3://`` prefix.
        split: the split to evaluate ("test": tracks never seen in training).
        name, key, guidance_setup, in_main_tables: how the model appears in the report (:class:`ModelResult`).
        out: report directory for clips, plots and videos (None: compute only).
        metrics: metric settings (pretrained metric networks); default: none configured.
        steps, guidance_scale, seed: DDIM steps, reference guidance scale and noise seed of generation.
        max_clips: at most this many clips (0 = all); max_videos: side-by-side videos written.
        segment_seconds: generated segment length; longer clips are stitched (None: the paper's 5 s, or the
            longest segment the model takes at the clip's frame rate when that is shorter).
        threads: torch intra-op threads while generating (None: as set). One thread suits tiny models on a
            shared CPU: a 10-step 50-frame tiny generation took 176 s with 2 threads under load, 6 s with 1.

    Returns:
        The model's :class:`ModelResult` (every metric; per-clip figures when ``out`` is set).
    """
    from dancegen.infer import load_model
    from dancegen.sdgpip.generate import load_manifest, manifest_digest

    config = metrics or MetricsConfig()
    key = key or safe_key(name)
    model = load_model(model_dir)
    pairs = []
    samples = split_samples(data, split, max_clips)
    with torch_threads(threads):
        for sample in tqdm(samples, desc=f"generating {name}", unit="clip", disable=not progress):
            pairs.append(generate_pair(model, sample, steps, guidance_scale, seed, segment_seconds))
    if not pairs:
        raise EvaluationError(f"dataset {data}: split {split!r} has no clips to evaluate")
    evaluation = score_pairs(pairs, config, progress=progress)
    details = {
        **training_details(model_dir),
        "model": str(model_dir),
        "evaluated on": f"{manifest_digest(load_manifest(data))} ({split} split, {len(pairs)} clips)",
        "generation": f"{steps} DDIM steps, guidance scale {guidance_scale}, seed {seed}",
    }
    result = ModelResult(key, name, evaluation.metrics, guidance_setup, in_main_tables, details=details)
    if out is not None:
        for pair in pairs:
            write_clip(Path(out) / "clips" / key / "real", pair.real)
            write_clip(Path(out) / "clips" / key / "fake", pair.fake)
        result.clips = clip_figures(key, evaluation, pairs, out, max_videos)
    return result


def benchmark_report(
    model_dir: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    split: str = "test",
    inline_videos: bool = False,
    **kwargs,
) -> tuple[ModelResult, Path, Path]:
    """:func:`evaluate_model_on_split` plus ``<out>/metrics.json`` and ``<out>/report.html`` for that one model
    (``inline_videos``: the page embeds its videos and stands alone)."""
    result = evaluate_model_on_split(model_dir, data, split, out=out, **kwargs)
    settings = {"model": str(model_dir), "dataset": str(data), "split": split}
    title = f"dancegen evaluation: {result.name}"
    metrics_path, html_path = write_report(out, title, [result], settings, inline_videos=inline_videos)
    return result, metrics_path, html_path
