"""Artifact conventions of the pipeline steps: storage URIs, work directories, overrides, gates, scalars."""

import json
import os

import pytest

from dancegen.errors import ConfigError, WeightsError
from dancegen.lifecycle.artifacts import (
    finite_scalars,
    log_scalars,
    model_dir,
    parse_gates_text,
    split_overrides,
    step_dir,
    storage_uri,
)
from dancegen.lifecycle.errors import PipelineError
from dancegen.tracking.errors import RegistryError


def test_storage_uri_maps_kfp_stores_to_s3_and_refuses_gcs():
    assert (
        storage_uri("minio://mlpipeline/v2/artifacts/run/task/model") == "s3://mlpipeline/v2/artifacts/run/task/model"
    )
    assert storage_uri("s3://bucket/a/b") == "s3://bucket/a/b"
    assert storage_uri("/tmp/local/model") == "/tmp/local/model"
    with pytest.raises(ConfigError, match="Google Cloud Storage.*s3://"):
        storage_uri("gs://bucket/model")


def test_step_dir_without_work_root_is_the_output_itself(tmp_path):
    out = tmp_path / "task" / "dataset"
    assert step_dir(out, "", "sdgpip", {"seed": 0}) == out
    assert out.is_dir() and not out.is_symlink()


def test_step_dir_links_new_outputs_to_one_work_directory_per_identity(tmp_path):
    work_root = str(tmp_path / "work")
    first = step_dir(tmp_path / "run1" / "model", work_root, "stage1", {"steps": 2, "data": "/d"})
    (first / "checkpoint").write_text("step 1")
    again = step_dir(tmp_path / "run2" / "model", work_root, "stage1", {"data": "/d", "steps": 2})  # key order
    other = step_dir(tmp_path / "run3" / "model", work_root, "stage1", {"steps": 3, "data": "/d"})
    assert again == first and other != first
    assert (tmp_path / "run2" / "model" / "checkpoint").read_text() == "step 1"  # the rerun sees the work
    assert os.path.realpath(tmp_path / "run2" / "model") == str(first)
    assert json.loads((first.parent / f"{first.name}.json").read_text()) == {"data": "/d", "steps": 2}
    assert step_dir(tmp_path / "run2" / "model", work_root, "stage1", {"steps": 2, "data": "/d"}) == first


def test_step_dir_refuses_an_output_that_already_holds_files(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "stray.txt").write_text("x")
    with pytest.raises(PipelineError, match="already holds files"):
        step_dir(out, str(tmp_path / "work"), "stage0", {})
    with pytest.raises(ConfigError, match="work_root 's3://b/w' must be a local directory"):
        step_dir(tmp_path / "other", "s3://b/w", "stage0", {})


def test_split_overrides_accepts_semicolons_and_newlines():
    assert split_overrides(" optim.lr=1e-4; log.every=1\ndata.motion_sources=[aist, edge] ;") == [
        "optim.lr=1e-4",
        "log.every=1",
        "data.motion_sources=[aist, edge]",
    ]
    assert split_overrides("") == []


def test_parse_gates_text():
    assert parse_gates_text("fvd=lower, beat_align=higher") == {"fvd": "lower", "beat_align": "higher"}
    assert parse_gates_text("") == {}
    with pytest.raises(RegistryError, match="fvd=best"):
        parse_gates_text("fvd=best")


def test_finite_scalars_keeps_only_available_finite_values():
    entries = [
        {"name": "ssim", "value": 0.5, "status": "ok"},
        {"name": "psnr", "value": "inf", "status": "ok"},  # identical frames, as to_dict writes it
        {"name": "fvd", "value": None, "status": "unavailable", "reason": "no I3D"},
        {"name": "av_align", "value": 0, "status": "ok"},
    ]
    assert finite_scalars(entries) == {"ssim": 0.5, "av_align": 0.0}


def test_log_scalars_logs_and_writes_the_metrics_file(tmp_path):
    from kfp import dsl

    metrics = dsl.Metrics(name="metrics", uri=str(tmp_path / "task" / "metrics"), metadata={})
    log_scalars(metrics, {"psnr": 12.5})
    assert metrics.metadata == {"psnr": 12.5}
    assert json.loads((tmp_path / "task" / "metrics").read_text()) == {"psnr": 12.5}


def test_model_dir_names_the_steps_that_write_one(tmp_path):
    with pytest.raises(WeightsError, match="no model/model_index.json; pass the output of train_stage or fetch_model"):
        model_dir(tmp_path)
