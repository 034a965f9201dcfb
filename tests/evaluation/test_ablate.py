"""``dancegen ablate --quick`` end to end (real SDGPip data, real training of every variant, real generation),
and the findings it states about Ours vs the Simple Audio Encoder."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from dancegen.evaluation.ablation import comparison, findings
from dancegen.evaluation.commands import ablate_command
from dancegen.evaluation.report import ModelResult
from dancegen.metrics import MetricResult


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ablate") / "out"
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(ablate_command)
    result = CliRunner().invoke(app, ["--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out, result.output


def test_quick_ablation_fills_the_three_tables(quick_run):
    out, output = quick_run
    payload = json.loads((out / "report" / "metrics.json").read_text())
    models = {m["key"]: m for m in payload["models"]}
    assert list(models) == ["ours", "sae", "no-pseudo", "dns", "p"]
    for key in ("ours", "sae", "dns", "p"):
        assert models[key]["status"] == "ok" and len(models[key]["metrics"]) == 8, key
        assert "stage" in models[key]["details"] and models[key]["details"]["step"] == 1
    # SDGPip's choreographer clips are all pseudo-motions: that variant is reported, not invented
    assert models["no-pseudo"]["status"] == "unavailable" and models["no-pseudo"]["metrics"] == []
    assert "no non-pseudo motions in the dataset" in models["no-pseudo"]["reason"]
    tables = payload["tables"]
    assert [r["label"] for r in tables["table1"]["rows"]] == ["Ours", "Simple Audio Encoder", "Ours w/o pseudo-motions"]
    assert [r["label"] for r in tables["table2"]["rows"]][0] == "Ground-Truth"
    assert [r["label"] for r in tables["table3"]["rows"]] == ["DNS", "P", "PDNS (Ours)"]
    assert tables["table1"]["rows"][0]["cells"]["psnr"]["status"] == "ok"
    no_pseudo = tables["table1"]["rows"][2]["cells"]["ssim"]
    assert no_pseudo["status"] == "unavailable" and "no non-pseudo motions" in no_pseudo["reason"]
    page = (out / "report" / "report.html").read_text()
    assert all(f"Table {n}." in page for n in (1, 2, 3)) and "data:image/png;base64," in page
    # the stage chains really ran: SAE has no stage 1 and a longer stage 2, w/o pseudo-motions nothing
    runs = json.loads((out / "runs" / "train-results.json").read_text())
    assert "sae-s1" not in runs and runs["sae-s2"]["step"] == 2 and not any(r.startswith("no-pseudo") for r in runs)
    assert all(run["status"] == "ok" for run in runs.values())


def test_quick_ablation_states_whether_ours_beat_sae_with_the_numbers(quick_run):
    out, output = quick_run
    lines = json.loads((out / "report" / "metrics.json").read_text())["conclusions"]
    av = next(line for line in lines if "AV-Align" in line)
    assert av.startswith(("Ours beat the Simple Audio Encoder on AV-Align: ", "Ours did NOT beat"))
    assert av in output and "paper: 0.421 vs 0.350" in av
    # without DWPose the simple audio encoder has no keypoints: BeatAlign is not compared, and that is said
    beat = next(line for line in lines if "2D-BeatAlign" in line)
    assert "could not be compared" in beat and "Simple Audio Encoder:" in beat
    # no VAE weights offline: Ours' stage 0 trained one, shared by every stage 0, and the report says so
    vae = next(line for line in lines if line.startswith("Image quality (tables 1 and 3): "))
    assert "ours-s0 trained the VAE from scratch (1 steps" in vae and "dns-s0" in vae
    runs = json.loads((out / "runs" / "train-results.json").read_text())
    dns = json.loads((out / "runs" / "dns-s0" / "model" / "training.json").read_text())["config"]
    assert dns["weights"]["vae"] == runs["ours-s0"]["model_dir"]


def model(name: str, **values: float | str) -> ModelResult:
    metrics = [
        MetricResult.ok(k, v) if isinstance(v, float) else MetricResult.unavailable(k, v) for k, v in values.items()
    ]
    return ModelResult(name.lower(), name, metrics)


def test_comparison_lines_say_who_won_and_why_not():
    ours, sae = model("Ours", av_align=0.42), model("SAE", av_align=0.35)
    assert comparison("av_align", ours, sae, "budget") == (
        "Ours beat the Simple Audio Encoder on AV-Align: 0.420 vs 0.350 (paper: 0.421 vs 0.350)."
    )
    line = comparison("av_align", sae, ours, "2 steps on 3 clips")
    assert line.startswith("Ours did NOT beat the Simple Audio Encoder on AV-Align: 0.350 vs 0.420")
    assert "Why: 2 steps on 3 clips" in line
    missing = comparison("beat_align", model("Ours", beat_align=0.3), model("SAE", beat_align="no heatmaps"), "b")
    assert "could not be compared" in missing and "SAE: no heatmaps" in missing


def test_findings_list_every_unavailable_variant():
    lines = findings(
        {
            "ours": model("Ours", av_align=0.4),
            "no-pseudo": ModelResult("no-pseudo", "x", reason="unavailable: no data"),
        },
        {"no-pseudo": "unavailable: no data"},
        "budget",
    )
    assert lines == ["Ours w/o pseudo-motions: unavailable: no data"]
