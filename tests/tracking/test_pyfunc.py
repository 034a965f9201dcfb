"""The pyfunc generator: log → register → alias → load by alias; load_context and request validation."""

from __future__ import annotations

import base64
import io

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.pyfunc import PythonModelContext

from dancegen.errors import AudioError, DancegenError, ImageError, WeightsError
from dancegen.tracking.generation_request import decode_video, encode_video, parse_requests
from dancegen.tracking.models import default_pip_requirements, example_request, log_generator
from dancegen.tracking.registry import CHAMPION, ModelRegistry


@pytest.fixture(scope="module")
def request_row():
    return example_request().iloc[0].to_dict()


def test_champion_loads_by_alias_with_its_model_dir(mlflow_env, logged_generator, generator_dir, request_row):
    registry = ModelRegistry()
    version = registry.register(logged_generator.model_uri, "dancegen-pyfunc", metrics={"fvd": 10.0})
    assert registry.promote("dancegen-pyfunc", version).promoted
    assert registry.version_by_alias("dancegen-pyfunc", CHAMPION) == version

    model = mlflow.pyfunc.load_model(f"models:/dancegen-pyfunc@{CHAMPION}")
    loaded_dir = model.unwrap_python_model().model_dir
    assert (loaded_dir / "model_index.json").read_bytes() == (generator_dir / "model_index.json").read_bytes()
    assert [c.name for c in model.metadata.get_input_schema().inputs] == ["music", "image", "seconds", "seed", "steps"]
    requirements = mlflow.pyfunc.get_model_dependencies(f"models:/dancegen-pyfunc@{CHAMPION}")
    with open(requirements) as handle:
        pinned = {line.strip() for line in handle if line.strip()}
    assert f"mlflow=={mlflow.__version__}" in pinned and any(p.startswith("dancegen==") for p in pinned)
    assert model.metadata.saved_input_example_info is not None

    # Bad requests are refused before any generation starts, through MLflow's own predict path.
    bad_music = {**request_row, "music": "not base64!"}
    with pytest.raises(AudioError, match="'music' row 0 is not valid base64"):
        model.predict(pd.DataFrame([bad_music]))
    with pytest.raises(ImageError, match="does not decode as an image"):
        model.predict(pd.DataFrame([{**request_row, "image": b"GIF89a broken"}]))
    with pytest.raises(DancegenError, match=r"'seconds' row 0 must be > 0"):
        model.predict(pd.DataFrame([{**request_row, "seconds": 0.0}]))


def test_champion_generates_an_mp4_end_to_end(mlflow_env, tmp_path):
    """A tiny random DanceModel, logged, registered, promoted, loaded by alias, asked for two half-second videos."""
    import av
    import torch

    from dancegen.models import DanceModel

    torch.manual_seed(0)
    model_dir = DanceModel.from_preset("tiny").save_pretrained(tmp_path / "generator")
    info = log_generator(model_dir, experiment="test-e2e")
    registry = ModelRegistry()
    registry.promote("dancegen-e2e", registry.register(info.model_uri, "dancegen-e2e", metrics={"fvd": 1.0}))

    model = mlflow.pyfunc.load_model(f"models:/dancegen-e2e@{CHAMPION}")
    request = pd.concat([example_request(seconds=0.5, seed=0), example_request(seconds=0.5, seed=1)])
    videos = model.predict(request)["video_mp4"]
    assert len(videos) == 2
    for encoded in videos:
        mp4 = decode_video(encoded)
        assert mp4[4:8] == b"ftyp"
        with av.open(io.BytesIO(mp4)) as container:
            assert container.streams.video and container.streams.audio
            frames = sum(1 for _ in container.decode(video=0))
        assert frames >= 1


def test_load_context_requires_a_saved_dance_model(tmp_path):
    from dancegen.tracking.pyfunc_model import DanceGenerator

    generator = DanceGenerator()
    with pytest.raises(WeightsError, match="has no model_index.json"):
        generator.load_context(PythonModelContext(artifacts={"model_dir": str(tmp_path)}, model_config={}))
    with pytest.raises(WeightsError, match="no 'model_dir' artifact"):
        generator.load_context(PythonModelContext(artifacts={}, model_config={}))


def test_requests_accept_bytes_base64_and_data_uris(request_row):
    music, image = request_row["music"], request_row["image"]
    as_text = base64.encodebytes(image).decode()  # with line breaks, as MLflow's JSON encoder writes it
    frame = pd.DataFrame({"music": [music], "image": [image], "seed": [np.nan]})
    columns = {"music": base64.b64encode(music).decode(), "image": as_text, "seconds": 2, "steps": 4}
    rows = [{"music": "data:audio/wav;base64," + base64.b64encode(music).decode(), "image": image, "seed": 7}]
    (a,), (b,), (c,) = parse_requests(frame), parse_requests(columns), parse_requests(rows)
    assert a.music == b.music == c.music == music and a.image == b.image == c.image == image
    assert (a.seconds, a.seed, a.steps) == (None, 0, None)
    assert (b.seconds, b.seed, b.steps) == (2.0, 0, 4)
    assert c.seed == 7
    assert decode_video(encode_video(b"\x00mp4")) == b"\x00mp4"


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"music": b""}, AudioError, "'music' row 0 is empty"),
        ({"music": None}, AudioError, "'music' row 0 is empty"),
        ({"image": 3}, ImageError, "must be bytes or base64 text, got int"),
        ({"seed": -1}, DancegenError, r"'seed' row 0 must be ≥ 0"),
        ({"steps": 2.5}, DancegenError, "'steps' row 0 must be int"),
        ({"tempo": 120}, DancegenError, r"unknown columns \['tempo'\]"),
    ],
)
def test_bad_requests_name_column_and_row(request_row, change, error, message):
    with pytest.raises(error, match=message):
        parse_requests([{**request_row, **change}])


def test_request_shape_errors(request_row):
    with pytest.raises(DancegenError, match="missing columns \\['image'\\]"):
        parse_requests({"music": [request_row["music"]]})
    with pytest.raises(DancegenError, match="different lengths"):
        parse_requests({"music": [b"a", b"b"], "image": [b"c"]})
    with pytest.raises(DancegenError, match="no rows"):
        parse_requests(pd.DataFrame({"music": [], "image": []}))
    with pytest.raises(DancegenError, match="got str"):
        parse_requests("music.wav")


def test_pip_requirements_are_pinned():
    pins = default_pip_requirements()
    assert all("==" in pin for pin in pins) and any(pin.startswith("torch==2.13.0") for pin in pins)


def test_model_index_name_matches_dance_model():
    from dancegen.models.dancer import MODEL_INDEX as written_by_save_pretrained
    from dancegen.tracking.models import MODEL_INDEX

    assert MODEL_INDEX == written_by_save_pretrained
