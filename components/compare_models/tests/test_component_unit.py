"""compare_models.python_func on two results files (the evaluate step's JSON layout)."""

import json

import pytest
from kfp import dsl

from components.compare_models import compare_models
from dancegen.errors import ConfigError
from dancegen.lifecycle.errors import PipelineError


def results_file(path, psnr, fvd=None, digest="d1"):
    metrics = [{"name": "psnr", "value": psnr, "status": "ok", "reason": "", "details": {}}]
    scalars = {"psnr": psnr}
    if fvd is None:
        why = "metrics.i3d_torchscript is not set"
        metrics.append({"name": "fvd", "value": None, "status": "unavailable", "reason": why, "details": {}})
    else:
        metrics.append({"name": "fvd", "value": fvd, "status": "ok", "reason": "", "details": {}})
        scalars["fvd"] = fvd
    payload = {
        "format": "dancegen-evaluation",
        "data": {"digest": digest, "split": "test"},
        "settings": {"steps": 2, "guidance_scale": 3.5, "seed": 0},
        "metrics": metrics,
        "scalars": scalars,
    }
    path.write_text(json.dumps(payload))
    return dsl.Artifact(name="results", uri=str(path), metadata={})


def outputs(tmp_path):
    report = dsl.HTML(name="report", uri=str(tmp_path / "out" / "report"), metadata={})
    metrics = dsl.Metrics(name="metrics", uri=str(tmp_path / "out" / "metrics"), metadata={})
    return report, metrics


def test_better_on_every_gate(tmp_path):
    report, metrics = outputs(tmp_path)
    better, reason = compare_models.python_func(
        candidate=results_file(tmp_path / "a.json", psnr=21.0, fvd=110.0),
        baseline=results_file(tmp_path / "b.json", psnr=20.0, fvd=120.0),
        report=report,
        metrics=metrics,
        gates="psnr=higher,fvd=lower",
    )
    assert better
    assert reason == "candidate is better: psnr 21 vs 20 (higher is better); fvd 110 vs 120 (lower is better)"
    assert metrics.metadata == {
        "candidate.psnr": 21.0,
        "candidate.fvd": 110.0,
        "baseline.psnr": 20.0,
        "baseline.fvd": 120.0,
    }
    page = (tmp_path / "out" / "report").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count(">pass<") == 2


def test_one_failing_gate_is_named_with_both_values(tmp_path):
    report, metrics = outputs(tmp_path)
    better, reason = compare_models.python_func(
        candidate=results_file(tmp_path / "a.json", psnr=21.0, fvd=130.0),
        baseline=results_file(tmp_path / "b.json", psnr=20.0, fvd=120.0),
        report=report,
        metrics=metrics,
        gates="psnr=higher,fvd=lower",
    )
    assert not better and reason == "candidate is not better: fvd 130 vs 120 (lower is better)"
    assert ">fail<" in (tmp_path / "out" / "report").read_text()


def test_a_gate_on_an_unavailable_metric_is_an_error_with_its_reason(tmp_path):
    report, metrics = outputs(tmp_path)
    with pytest.raises(PipelineError, match=r"'fvd' has no value for the candidate \(metrics.i3d_torchscript is not"):
        compare_models.python_func(
            candidate=results_file(tmp_path / "a.json", psnr=21.0),
            baseline=results_file(tmp_path / "b.json", psnr=20.0, fvd=120.0),
            report=report,
            metrics=metrics,
        )


def test_evaluations_of_different_data_or_without_gates_are_refused(tmp_path):
    report, metrics = outputs(tmp_path)
    candidate = results_file(tmp_path / "a.json", psnr=21.0, digest="d1")
    with pytest.raises(PipelineError, match="differ in data"):
        compare_models.python_func(
            candidate=candidate, baseline=results_file(tmp_path / "b.json", 20.0, digest="d2"), report=report,
            metrics=metrics, gates="psnr=higher",
        )  # fmt: skip
    with pytest.raises(ConfigError, match="at least one gate"):
        compare_models.python_func(candidate=candidate, baseline=candidate, report=report, metrics=metrics, gates="")
