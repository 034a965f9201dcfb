"""Export: repository layout, config.pbtxt contents per flag, load-time checks, S3, refused models (no server)."""

from __future__ import annotations

import json

import pytest
import torch
from google.protobuf import json_format, text_format
from tritonclient.grpc import model_config_pb2
from typer.testing import CliRunner

from dancegen.errors import ConfigError, StorageError
from dancegen.models import DanceModel, M2PEnc
from dancegen.serving.commands import serve_app
from dancegen.serving.export import ExportOptions, export_repository
from dancegen.serving.interfaces import m2penc_interface, music_features_interface
from dancegen.serving.model_config import check_declared, read_parameters
from dancegen.serving.server import _local_repository
from dancegen.storage import Location


def load_config(path) -> model_config_pb2.ModelConfig:
    return text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())


def as_loaded(config: model_config_pb2.ModelConfig) -> dict:
    """The JSON form a model's initialize receives as args["model_config"]."""
    return json.loads(json_format.MessageToJson(config, preserving_proto_field_name=True))


def test_repository_layout_configs_and_weights(repository, tiny_model, frame_shapes):
    for name in ("music_features", "m2penc", "dance_video"):
        assert load_config(repository / name / "config.pbtxt").name == name  # Triton requires it
        assert (repository / name / "1" / "model.py").is_file()
    m2penc = load_config(repository / "m2penc" / "config.pbtxt")
    assert m2penc.backend == "python" and m2penc.max_batch_size == 32
    assert [(t.name, list(t.dims)) for t in m2penc.input] == [("FEATURES", [-1, 35])]
    assert [(t.name, list(t.dims)) for t in m2penc.output] == [
        ("GUIDANCE", [-1, *frame_shapes[0]]),
        ("HEATMAPS", [-1, *frame_shapes[1]]),
    ]
    assert m2penc.dynamic_batching.max_queue_delay_microseconds == 500
    assert list(m2penc.dynamic_batching.preferred_batch_size) == [8, 16, 32]
    assert m2penc.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_CPU
    assert m2penc.version_policy.latest.num_versions == 1
    video = load_config(repository / "dance_video" / "config.pbtxt")
    assert video.max_batch_size == 0 and not video.model_transaction_policy.decoupled
    assert {t.name: t.optional for t in video.input} == {
        "AUDIO": False, "IMAGE": False, "SECONDS": True, "STEPS": True, "SEED": True, "GUIDANCE_SCALE": True,
    }  # fmt: skip
    assert video.parameters["max_steps"].string_value == "50"  # the test repository's override
    served = M2PEnc.from_pretrained(repository / "m2penc" / "1" / "m2penc")
    features = torch.randn(1, 4, 35)
    with torch.inference_mode():
        assert torch.equal(served(features).guidance, tiny_model.music_encoder(features).guidance)
    assert DanceModel.from_pretrained(repository / "dance_video" / "1" / "model").config == tiny_model.config
    manifest = json.loads((repository / "repository.json").read_text())
    assert manifest["models"] == ["music_features", "m2penc", "dance_video"]


def test_flags_choose_gpu_instances_no_batching_and_streaming(model_dir, tmp_path):
    options = ExportOptions(kind="gpu", instances=2, dynamic_batching=False, stream_progress=True)
    repo = tmp_path / "repo"
    export_repository(model_dir, repo, options)
    m2penc = load_config(repo / "m2penc" / "config.pbtxt")
    assert not m2penc.HasField("dynamic_batching")
    assert (m2penc.instance_group[0].kind, m2penc.instance_group[0].count) == (
        model_config_pb2.ModelInstanceGroup.KIND_GPU,
        2,
    )
    video = load_config(repo / "dance_video" / "config.pbtxt")
    assert video.model_transaction_policy.decoupled and [t.name for t in video.output] == ["VIDEO", "PROGRESS"]
    export_repository(model_dir, repo)  # re-export replaces it
    assert not load_config(repo / "dance_video" / "config.pbtxt").model_transaction_policy.decoupled


def test_load_time_checks_name_the_model_and_the_mismatch(repository, tiny_model):
    interface = m2penc_interface(tiny_model.music_encoder.config)
    loaded = as_loaded(load_config(repository / "m2penc" / "config.pbtxt"))
    check_declared(loaded, interface)
    assert read_parameters(loaded, interface) == {"torch_threads": 1, "torchscript": 1}
    loaded["output"][0]["dims"] = ["-1", "320", "8", "8"]
    with pytest.raises(ConfigError, match=r"m2penc: .*GUIDANCE.* dims \[-1, 320, 8, 8\].*re-export"):
        check_declared(loaded, interface)
    loaded = as_loaded(load_config(repository / "music_features" / "config.pbtxt"))
    loaded["parameters"]["max_seconds"] = {"string_value": "long"}
    with pytest.raises(ConfigError, match="music_features: parameter 'max_seconds' = 'long' is not a float"):
        read_parameters(loaded, music_features_interface())
    loaded["parameters"] = {"max_minutes": {"string_value": "3"}}
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['max_minutes'\]"):
        read_parameters(loaded, music_features_interface())


def test_export_to_s3_and_serve_from_a_local_copy(model_dir, s3_env):
    uri = f"s3://{s3_env}/triton/repo"
    Location.parse(uri).write_bytes("stale/1/model.py", b"left over from an older export")
    export_repository(model_dir, uri)
    names = set(Location.parse(uri).list(""))
    assert {"m2penc/config.pbtxt", "m2penc/1/model.py", "m2penc/1/m2penc/config.json"} <= names
    assert "dance_video/1/model/model_index.json" in names and "stale/1/model.py" not in names
    local = _local_repository(uri)
    assert load_config(local / "m2penc" / "config.pbtxt").name == "m2penc"
    assert (local / "dance_video" / "1" / "model" / "unet").is_dir()


def test_refuses_models_it_cannot_serve_and_foreign_directories(model_dir, tmp_path):
    torch.manual_seed(0)
    ablation = DanceModel.from_preset("tiny", {"music_encoder": "simple_audio_encoder"})
    ablation_dir = ablation.save_pretrained(tmp_path / "ablation")
    with pytest.raises(ConfigError, match="no M2PEnc music encoder"):
        export_repository(ablation_dir, tmp_path / "repo")
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "me.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(StorageError, match="not a dancegen model repository"):
        export_repository(model_dir, foreign)
    assert (foreign / "me.jpg").exists()


def test_cli_export_of_one_model_with_parameters(model_dir, tmp_path):
    repo = tmp_path / "repo"
    args = ["export", "--model", str(model_dir), "--repo", str(repo), "--only", "m2penc"]
    result = CliRunner().invoke(serve_app, [*args, "--kind", "gpu", "--param", "m2penc.torch_threads=2"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in repo.iterdir()) == ["m2penc", "repository.json"]
    config = load_config(repo / "m2penc" / "config.pbtxt")
    assert config.parameters["torch_threads"].string_value == "2"
    assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_GPU
    result = CliRunner().invoke(serve_app, [*args, "--preferred-batch-size", "4", "--preferred-batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert list(load_config(repo / "m2penc" / "config.pbtxt").dynamic_batching.preferred_batch_size) == [2, 4]
    result = CliRunner().invoke(serve_app, [*args, "--max-batch-size", "4", "--preferred-batch-size", "8"])
    assert isinstance(
        result.exception, ConfigError
    ) and "preferred batch sizes [8] must lie in [1, max_batch_size = 4]" in str(result.exception)
    result = CliRunner().invoke(
        serve_app, ["export", "--model", str(model_dir), "--repo", str(repo), "--only", "dance_video"]
    )
    assert isinstance(result.exception, ConfigError) and "dance_video calls music_features and m2penc" in str(
        result.exception
    )
    result = CliRunner().invoke(serve_app, [*args, "--param", "m2penc.threads=2"])
    assert isinstance(result.exception, ConfigError) and "m2penc has no parameter 'threads'" in str(result.exception)
