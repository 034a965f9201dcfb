"""dance_video (BLS) through the real server: playable mp4 of the requested length, equal to in-process
generation, streamed progress, the CLI client, and a client timeout that leaves the server serving."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from dancegen.infer import generate
from dancegen.infer.reference_image import ReferenceImageWarning
from dancegen.serving.client import DanceClient
from dancegen.serving.commands import client_app
from dancegen.serving.errors import ServingError
from dancegen.serving.metrics import read_metrics
from dancegen.video import decode_mp4, probe_mp4

from .inputs import STREAM_MODEL

SETTINGS = dict(seconds=3.0, steps=2, seed=3)  # 9 frames at the tiny model's 3 fps: one segment


@pytest.fixture(scope="module")
def in_process_frames(model_dir, song, photo) -> np.ndarray:
    """The same request generated in this process, through the same H.264 encoder: (9, 64, 64, 3) uint8."""
    with pytest.warns(ReferenceImageWarning, match="not square"):
        result = generate(song, photo, model_dir, progress=False, **SETTINGS)
    return decode_mp4(result.to_mp4())[0]


def test_dance_video_is_a_playable_mp4_of_the_requested_length(client, song, photo, in_process_frames):
    video = client.generate(song, photo, **SETTINGS)
    facts = probe_mp4(video)
    assert (facts["video_codec"], facts["audio_codec"]) == ("h264", "aac")
    assert facts["frames"] == 9 and facts["fps"] == 3.0 and facts["size"] == (64, 64)
    assert facts["video_seconds"] == pytest.approx(3.0) and facts["audio_seconds"] == pytest.approx(3.0, abs=1 / 3)
    frames, _ = decode_mp4(video)
    difference = np.abs(frames.astype(np.int16) - in_process_frames.astype(np.int16))
    assert difference.mean() < 0.5 and difference.max() <= 8  # equal up to float rounding (here: identical)


def test_streamed_progress_then_the_same_video(triton, song, photo):
    fractions = []
    with DanceClient(triton.grpc_url, "grpc", timeout=120, video_model=STREAM_MODEL) as client:
        assert client.streams_progress()
        video = client.generate(song, photo, on_progress=fractions.append, **SETTINGS)
    assert len(fractions) >= SETTINGS["steps"] and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and fractions[0] < 0.5
    with DanceClient(triton.grpc_url, "grpc", timeout=120) as plain:
        assert not plain.streams_progress()
        assert np.array_equal(decode_mp4(video)[0], decode_mp4(plain.generate(song, photo, **SETTINGS))[0])


def test_streaming_model_over_http_is_refused_with_the_fix(triton, song, photo):
    with DanceClient(triton.http_url, "http", timeout=30, video_model=STREAM_MODEL) as client:
        with pytest.raises(ServingError, match="streams progress.*--protocol grpc"):
            client.generate(song, photo, **SETTINGS)


def test_cli_client_writes_the_video(triton, song, photo, tmp_path):
    (tmp_path / "song.wav").write_bytes(song)
    (tmp_path / "me.png").write_bytes(photo)
    out = tmp_path / "dance.mp4"
    args = ["generate", "--url", triton.http_url, "--protocol", "http", "--music", str(tmp_path / "song.wav")]
    args += ["--image", str(tmp_path / "me.png"), "--out", str(out), "--seconds", "2", "--steps", "1"]
    result = CliRunner().invoke(client_app, args)
    assert result.exit_code == 0, result.output
    assert probe_mp4(out)["frames"] == 6


def test_a_client_timeout_stops_the_work_and_the_server_keeps_serving(triton, song, photo):
    key = ("dancegen_rejected_requests", (("model", "dance_video"), ("reason", "cancelled")))
    cancelled = read_metrics(triton.metrics_url).get(key, 0.0)
    with DanceClient(triton.grpc_url, "grpc", timeout=0.5, retries=0) as impatient:
        with pytest.raises(ServingError, match="no answer from .* within 0.5 s"):
            impatient.generate(song, photo, seconds=4.0, steps=50)
    with DanceClient(triton.grpc_url, "grpc", timeout=120) as client:
        assert probe_mp4(client.generate(song, photo, seconds=1.0, steps=1))["frames"] == 3
    assert read_metrics(triton.metrics_url)[key] == cancelled + 1  # the model noticed and stopped denoising
