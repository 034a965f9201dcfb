"""music_features and m2penc through the real server: equal to in-process inference, bad requests rejected with
their message while the server keeps serving, and the metrics endpoint counting it all."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from dancegen.infer.music import frame_count, music_features, read_music
from dancegen.serving.errors import ServingError
from dancegen.serving.metrics import read_metrics

from .inputs import MAX_AUDIO_SECONDS, png_bytes, wav_bytes


def in_process_m2penc(model, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, F, D) → (B, F, C, h, w), (B, F, J, S, S) from the tiny model in this process."""
    batch, frames = features.shape[:2]
    with torch.inference_mode():
        encoded = model.music_encoder(torch.from_numpy(features))
    return (
        encoded.guidance.reshape(batch, frames, *encoded.guidance.shape[1:]).numpy(),
        encoded.heatmaps.reshape(batch, frames, *encoded.heatmaps.shape[1:]).numpy(),
    )


def test_music_features_equal_in_process(client, song):
    served = client.music_features(song, fps=3.0, seconds=3.5)
    track = read_music(song)
    expected = music_features(track, 3.0, frame_count(track, 3.5, 3.0), 35)
    assert served.shape == expected.shape == (round(3.5 * 3), 35)
    np.testing.assert_allclose(served, expected, rtol=1e-6, atol=1e-6)


def test_m2penc_equals_in_process_alone_and_dynamically_batched(client, tiny_model, frame_shapes):
    rng = np.random.default_rng(0)
    requests = [rng.standard_normal((batch, frames, 35)).astype(np.float32) for batch, frames in
                [(1, 15), (2, 15), (1, 15), (1, 6), (3, 15), (1, 6)]]  # fmt: skip
    with ThreadPoolExecutor(len(requests)) as pool:  # concurrent: the batcher stacks the same-length ones
        served = (
            list(pool.map(client.m2penc, requests)) if client.protocol == "grpc" else list(map(client.m2penc, requests))
        )
    for features, (guidance, heatmaps) in zip(requests, served, strict=True):
        expected_guidance, expected_heatmaps = in_process_m2penc(tiny_model, features)
        assert guidance.shape == expected_guidance.shape == (*features.shape[:2], *frame_shapes[0])
        np.testing.assert_allclose(guidance, expected_guidance, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(heatmaps, expected_heatmaps, rtol=1e-4, atol=1e-5)


BAD_REQUESTS = {
    "undecodable audio": (
        lambda c: c.music_features(b"RIFF....WAVEfmt this is not audio"),
        "music_features: the music bytes could not be decoded as audio",
    ),
    "audio too long": (
        lambda c: c.music_features(wav_bytes(MAX_AUDIO_SECONDS + 1.0)),
        f"music_features: music length \\(s\\) {MAX_AUDIO_SECONDS + 1:g} exceeds the limit {MAX_AUDIO_SECONDS:g}",
    ),
    "SECONDS longer than the music": (
        lambda c: c.music_features(wav_bytes(2.0), fps=3.0, seconds=5.0),
        "music_features: SECONDS 5 is longer than the music",
    ),
    "wrong dtype": (
        lambda c: c.infer("m2penc", {"FEATURES": np.zeros((1, 4, 35), np.float64)}, ["GUIDANCE"]),
        "input 'FEATURES' data-type is 'FP64', but model 'm2penc' expects 'FP32'",
    ),
    "wrong shape": (
        lambda c: c.infer("m2penc", {"FEATURES": np.zeros((1, 4, 36), np.float32)}, ["GUIDANCE"]),
        "unexpected shape for input 'FEATURES' for model 'm2penc'",
    ),
    "too many frames": (
        lambda c: c.m2penc(np.zeros((1, 17, 35), np.float32)),
        "m2penc: FEATURES has 17 frames \\(batch 1\\); send 1 to 16 frames",
    ),
    "non-finite features": (
        lambda c: c.m2penc(np.full((4, 35), np.nan, np.float32)),
        "m2penc: input FEATURES holds NaN or infinity",
    ),
    "image that does not decode": (
        lambda c: c.generate(wav_bytes(2.0), b"\x89PNG broken", steps=1),
        "dance_video: the image bytes is not an image OpenCV can decode",
    ),
    "too many steps": (
        lambda c: c.generate(wav_bytes(2.0), png_bytes(), steps=51),
        "dance_video: STEPS 51 exceeds the limit 50",
    ),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_request_is_rejected_with_its_message_and_the_next_succeeds(grpc_client, http_client, frame_shapes, case):
    send, message = BAD_REQUESTS[case]
    for client in (grpc_client, http_client):
        with pytest.raises(ServingError, match=message):
            send(client)
        guidance, _ = client.m2penc(np.zeros((2, 35), np.float32))
        assert guidance.shape == (2, *frame_shapes[0])


def test_metrics_count_served_and_rejected_requests(triton, grpc_client):
    def counts():
        metrics = read_metrics(triton.metrics_url)
        handled = sum(
            metrics.get((name, (("model", "m2penc"), ("version", "1"))), 0.0)
            for name in ("nv_inference_request_success", "nv_inference_request_failure")
        )
        rejected = metrics.get(("dancegen_rejected_requests", (("model", "m2penc"), ("reason", "invalid_arg"))), 0.0)
        return handled, rejected

    handled, rejected = counts()
    for _ in range(3):
        grpc_client.m2penc(np.ones((5, 35), np.float32))
    with pytest.raises(ServingError):
        grpc_client.m2penc(np.ones((40, 35), np.float32))
    assert counts() == (handled + 4, rejected + 1)
