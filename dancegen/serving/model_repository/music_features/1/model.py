"""Triton model ``music_features``: encoded audio file → EDGE 35-d music features (+ the decoded samples).

Inputs AUDIO (BYTES [1]), optional FPS and SECONDS (FP32 [1]); outputs FEATURES (FP32 [N, 35], N =
round(seconds · FPS)), SAMPLES (FP32 [T]) and SAMPLE_RATE (INT32 [1]); see dancegen/serving/interfaces.py.
The features are computed exactly as in-process generation computes them (``dancegen.infer.music``).
Audio that does not decode, is silent, too large or too long is answered with INVALID_ARG.
"""

import numpy as np

from dancegen.errors import DancegenError
from dancegen.infer.music import Music, frame_count, music_features, read_music
from dancegen.serving import interfaces as api
from dancegen.serving.backend import RequestGuard, load_model_config, output, read_input
from dancegen.serving.errors import RequestError
from dancegen.serving.requests import check_at_most, flags_to_tensors, single_bytes, single_number


class TritonPythonModel:
    """Stateless: decoding and librosa feature extraction, one request at a time."""

    def initialize(self, args):
        self.name = args["model_name"]
        self.interface = api.music_features_interface()
        self.config, self.params = load_model_config(args, self.interface)
        self.guard = RequestGuard(self.name)
        self._warm_up()

    def _warm_up(self) -> None:
        """Extract features from one synthetic second once, so librosa's imports and JIT happen at load."""
        rate = 22050
        tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32)
        music_features(Music(tone, rate), self.params["default_fps"], 1, api.EDGE_FEATURE_DIM)

    def _features(self, request) -> list:
        spec = self.interface.tensor
        audio = single_bytes(self.name, spec(api.AUDIO), read_input(self.name, request, spec(api.AUDIO)))
        check_at_most(
            self.name, "AUDIO size (bytes)", len(audio), self.params["max_bytes"], "send a shorter or compressed file"
        )
        fps_array = read_input(self.name, request, spec(api.FPS))
        fps = self.params["default_fps"] if fps_array is None else single_number(self.name, spec(api.FPS), fps_array)
        if not 0 < fps <= 120:
            raise RequestError(f"{self.name}: FPS {fps:g} must be in (0, 120] frames per second")
        seconds_array = read_input(self.name, request, spec(api.SECONDS))
        seconds = None if seconds_array is None else single_number(self.name, spec(api.SECONDS), seconds_array)
        track = read_music(audio)
        check_at_most(
            self.name, "music length (s)", round(track.seconds, 2), self.params["max_seconds"], "send a shorter clip"
        )
        try:
            frames = frame_count(track, seconds, fps)
        except DancegenError as exc:
            raise RequestError(f"{self.name}: {flags_to_tensors(str(exc))}") from None
        features = music_features(track, fps, frames, api.EDGE_FEATURE_DIM)  # (N, 35)
        return [
            output(spec(api.FEATURES), features),
            output(spec(api.SAMPLES), track.samples),
            output(spec(api.SAMPLE_RATE), np.array([track.sample_rate])),
        ]

    def execute(self, requests):
        return [self.guard.answer(request, self._features) for request in requests]

    def finalize(self):
        self.guard = None
