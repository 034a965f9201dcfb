"""Generating and scoring a model on a dataset split (the function ``ablate`` and the pipeline share)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dancegen.evaluation.benchmark import (
    GROUND_TRUTH_KEYPOINTS,
    HEATMAP_KEYPOINTS,
    benchmark_report,
    evaluate_model_on_split,
)
from dancegen.evaluation.clips import load_clip
from dancegen.evaluation.directories import evaluate_directories
from dancegen.evaluation.errors import EvaluationError
from dancegen.evaluation.scoring import METRIC_NAMES
from dancegen.models import DanceModel
from dancegen.train.toy_data import write_random_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-data") / "data"
    write_random_dataset(root, clips=2, frames=8, size=64, clips_per_shard=2)
    return root


def saved_model(directory, **overrides):
    torch.manual_seed(0)
    DanceModel.from_preset("tiny", overrides).save_pretrained(directory)
    return directory


def test_m2penc_model_is_scored_with_its_heatmaps_and_its_clips_score_again_from_disk(dataset, tmp_path):
    model_dir = saved_model(tmp_path / "model")
    out = tmp_path / "report"
    result = evaluate_model_on_split(
        model_dir, dataset, "train", name="Tiny", out=out, steps=1, max_videos=1, threads=1, progress=False
    )
    assert [m.name for m in result.metrics] == list(METRIC_NAMES) and result.key == "tiny"
    assert result.metric("psnr").available and result.metric("ssim").available
    assert "2 clips" in result.details["evaluated on"] and "1 DDIM steps" in result.details["generation"]
    real = load_clip(out / "clips" / "tiny" / "real" / "t00000-c000.mp4", "real")
    fake = load_clip(out / "clips" / "tiny" / "fake" / "t00000-c000.mp4", "fake")
    assert real.keypoint_source == GROUND_TRUTH_KEYPOINTS and fake.keypoint_source == HEATMAP_KEYPOINTS
    assert real.keypoints.shape == (8, 24, 2) and fake.keypoints.shape == (8, 24, 2)
    assert fake.frames.shape == real.frames.shape == (8, 64, 64, 3)
    assert [c.video is not None for c in result.clips] == [True, False]
    # the written clips are what `dancegen evaluate` reads: the same pairs score (almost: mp4 re-encoding) alike
    again, _, _ = evaluate_directories(
        out / "clips" / "tiny" / "real", out / "clips" / "tiny" / "fake", tmp_path / "r2"
    )
    assert again.metric("ssim").value == pytest.approx(result.metric("ssim").value, abs=0.05)
    assert again.metric("psnr").value == pytest.approx(result.metric("psnr").value, abs=1.5)


def test_simple_audio_encoder_has_no_heatmaps_so_its_beat_align_says_why(dataset, tmp_path):
    model_dir = saved_model(tmp_path / "sae", music_encoder="simple_audio_encoder")
    result, metrics_path, html_path = benchmark_report(
        model_dir, dataset, tmp_path / "r", split="train", steps=1, threads=1
    )
    beat = result.metric("beat_align")
    assert not beat.available and "M2PEnc heatmaps" in beat.reason and "dwpose_onnx" in beat.reason
    payload = json.loads(metrics_path.read_text())
    assert payload["metrics"][4]["name"] == "beat_align" and payload["metrics"][4]["status"] == "unavailable"
    assert "Table 2. Alignment results" in html_path.read_text()
    # every written generated clip has no keypoint sidecar: nothing made keypoints for it
    assert not list((tmp_path / "r" / "clips").rglob("fake/*.keypoints.npz"))
    assert len(list((tmp_path / "r" / "clips").rglob("real/*.keypoints.npz"))) == 2


def test_a_split_without_clips_is_an_error(dataset, tmp_path):
    with pytest.raises(EvaluationError, match="has no 'test' shards"):
        evaluate_model_on_split(saved_model(tmp_path / "m"), dataset, "test", steps=1, threads=1, progress=False)


def test_generation_is_deterministic_for_a_seed(dataset, tmp_path):
    model_dir = saved_model(tmp_path / "m")
    runs = [
        evaluate_model_on_split(model_dir, dataset, "train", steps=1, seed=3, max_clips=1, threads=1, progress=False)
        for _ in range(2)
    ]
    values = [[m.value for m in run.metrics] for run in runs]
    assert values[0] == values[1] and np.isfinite(values[0][1])
