"""``dancegen evaluate``: paired mp4 sets → metrics.json with every metric and report.html with tables 1–3."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import typer
from conftest import write_clip_set
from typer.testing import CliRunner

from dancegen.evaluation.commands import evaluate_command
from dancegen.evaluation.directories import evaluate_directories, load_metrics_config
from dancegen.evaluation.errors import EvaluationError
from dancegen.evaluation.scoring import METRIC_NAMES


def cli() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(evaluate_command)
    return app


def test_metrics_json_has_every_metric_and_unavailable_reasons(clip_dirs, tmp_path):
    real, fake = clip_dirs
    result = CliRunner().invoke(cli(), ["--real", str(real), "--fake", str(fake), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "r" / "metrics.json").read_text())
    metrics = {entry["name"]: entry for entry in payload["metrics"]}
    assert list(metrics) == list(METRIC_NAMES)
    for name in ("lpips", "fvd"):  # no weights configured here
        assert metrics[name]["status"] == "unavailable" and metrics[name]["value"] is None
    assert "metrics.lpips_weights" in metrics["lpips"]["reason"]
    assert "metrics.i3d_torchscript" in metrics["fvd"]["reason"]
    # no DWPose and no keypoint sidecars: 2D-BeatAlign cannot be computed, and says why
    assert metrics["beat_align"]["status"] == "unavailable" and "dwpose_onnx" in metrics["beat_align"]["reason"]
    assert metrics["psnr"]["status"] == "ok" and 15 < metrics["psnr"]["value"] < 60
    assert metrics["ssim"]["status"] == "ok" and 0 < metrics["ssim"]["value"] < 1
    assert metrics["av_align"]["status"] == "ok" and metrics["av_align_ground_truth"]["status"] == "ok"
    assert "psnr:" in result.output and "lpips: unavailable" in result.output


def test_report_html_has_the_three_tables_with_reasons_as_tooltips(clip_dirs, tmp_path):
    real, fake = clip_dirs
    model, _, html_path = evaluate_directories(real, fake, tmp_path / "r", name="noisy", guidance_setup="P")
    page = html_path.read_text()
    for caption in ("Table 1. Quantitative evaluation results", "Table 2. Alignment results", "Table 3. Pose guidance"):
        assert f"<caption>{caption}" in page
    assert page.count("<table>") >= 3 and "<script" not in page and "<style>" in page
    fvd_reason = model.metric("fvd").reason
    assert f'title="{fvd_reason}"' in page.replace("&#x27;", "'")  # the reason as a tooltip …
    assert '<ol class="notes">' in page  # … and as a footnote
    tables = json.loads((tmp_path / "r" / "metrics.json").read_text())["tables"]
    assert [row["label"] for row in tables["table1"]["rows"]] == ["noisy"]
    assert [row["label"] for row in tables["table2"]["rows"]] == ["Ground-Truth", "noisy"]
    table3 = {row["label"]: row for row in tables["table3"]["rows"]}
    assert table3["P (noisy)"]["cells"]["psnr"]["status"] == "ok"
    assert "no model with guidance setup DNS" in table3["DNS"]["cells"]["psnr"]["reason"]


def test_plots_and_side_by_side_videos_beside_the_report(tmp_path):
    real, fake = tmp_path / "real", tmp_path / "fake"
    write_clip_set(real, ["a", "b"], keypoints=True)
    write_clip_set(fake, ["a", "b"], noise=8, keypoints=True)
    model, metrics_path, html_path = evaluate_directories(real, fake, tmp_path / "r", max_videos=1)
    beat = model.metric("beat_align")
    assert beat.available and beat.details["keypoints"] == "test-keypoints"  # the sidecars were used
    assert model.metric("beat_align_ground_truth").available
    clips = json.loads(metrics_path.read_text())["models"][0]["clips"]
    assert [c["name"] for c in clips] == ["a", "b"]
    assert (tmp_path / "r" / clips[0]["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert clips[0]["video"] == "videos/fake/a.mp4" and clips[1]["video"] is None
    from dancegen.video import decode_mp4

    frames, fps = decode_mp4(tmp_path / "r" / clips[0]["video"])
    assert frames.shape[1:3] == (64, 128) and fps == 15  # ground truth | generated
    page = html_path.read_text()
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 2 and 'href="videos/fake/a.mp4"' in page


def test_mismatched_sets_are_one_line_errors_naming_the_unmatched_clips(tmp_path):
    real, fake = tmp_path / "real", tmp_path / "fake"
    write_clip_set(real, ["a", "b"])
    write_clip_set(fake, ["a", "c"])
    result = CliRunner().invoke(cli(), ["--real", str(real), "--fake", str(fake), "--out", str(tmp_path / "r")])
    assert result.exit_code != 0 and isinstance(result.exception, EvaluationError)
    message = str(result.exception)
    assert "\n" not in message and "only in --real: b.mp4" in message and "only in --fake: c.mp4" in message
    assert result.exception.exit_code == 2
    assert not (tmp_path / "r").exists()


def test_metrics_config_file_and_options_layer(tmp_path):
    path = tmp_path / "metrics.yaml"
    path.write_text("metrics:\n  lpips_weights: /w/lpips.pth\n  fvd_convention: videogpt\n")
    config = load_metrics_config(path, dwpose_onnx="/w/dw.onnx", lpips_weights=None)
    assert config.lpips_weights == "/w/lpips.pth" and config.fvd_convention == "videogpt"
    assert config.dwpose_onnx == "/w/dw.onnx"
    path.write_text("metrics:\n  lpips: x\n")
    from dancegen.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown config key 'lpips'"):
        load_metrics_config(path)


def test_bad_guidance_setup_is_refused_before_any_work(clip_dirs, tmp_path):
    from dancegen.errors import ConfigError

    with pytest.raises(ConfigError, match="DNS, P, PDNS"):
        evaluate_directories(*clip_dirs, tmp_path / "r", guidance_setup="XYZ")


def test_identical_sets_score_as_identical(tmp_path):
    real = tmp_path / "real"
    write_clip_set(real, ["a", "b"], keypoints=True)
    model, _, _ = evaluate_directories(real, real, tmp_path / "r", max_videos=0)
    assert model.metric("ssim").value == pytest.approx(1.0)
    assert model.metric("psnr").value == float("inf")
    assert model.metric("beat_align").value == model.metric("beat_align_ground_truth").value
    assert np.isclose(model.metric("av_align").value, model.metric("av_align_ground_truth").value)
