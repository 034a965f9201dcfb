"""Triton model ``dance_video`` (BLS): music file + reference photo + settings → dance video mp4 bytes.

Inputs AUDIO, IMAGE (BYTES [1]) and optional SECONDS (FP32), STEPS (INT32), SEED (INT64), GUIDANCE_SCALE
(FP32), each [1]; output VIDEO (BYTES [1]). It calls ``music_features`` (features at the model's frame rate +
the decoded music) and, per 5-s segment, ``m2penc`` (pose guidance) through BLS; the reference encoding,
DDIM loop, VAE decoding and muxing run here (``dancegen.serving.video_job``). When exported with
``--stream-progress`` the model is decoupled and streams PROGRESS (FP32 [1], fraction done) responses before
the final one with VIDEO. A bad request (settings, photo, or music rejected by ``music_features``) is
answered with INVALID_ARG. Weights: ``<repo>/dance_video/1/model/`` (a DanceModel directory).
"""

import json

import numpy as np
import torch
import triton_python_backend_utils as pb_utils

from dancegen.errors import DancegenError
from dancegen.infer.music import Music
from dancegen.infer.options import GenerationOptions, check_options
from dancegen.infer.pipeline import generation_fps
from dancegen.infer.reference_image import read_image
from dancegen.models import DanceModel, M2PEnc
from dancegen.serving import interfaces as api
from dancegen.serving.backend import (
    RequestGuard,
    call_model,
    fail,
    load_model_config,
    output,
    read_input,
    set_torch_threads,
    torch_device,
    version_dir,
)
from dancegen.serving.errors import RequestCancelled, RequestError
from dancegen.serving.export import DANCE_MODEL_WEIGHTS
from dancegen.serving.requests import check_at_most, flags_to_tensors, single_bytes, single_number
from dancegen.serving.video_job import render_dance_video


class TritonPythonModel:
    """One DanceModel per instance; requests are generated one after the other."""

    def initialize(self, args):
        self.name = args["model_name"]
        self.decoupled = pb_utils.using_decoupled_model_transaction_policy(json.loads(args["model_config"]))
        self.interface = api.dance_video_interface(stream_progress=self.decoupled)
        self.config, self.params = load_model_config(args, self.interface)
        set_torch_threads(self.params["torch_threads"])
        weights = version_dir(args) / DANCE_MODEL_WEIGHTS
        try:
            model = DanceModel.from_pretrained(weights, config_key=f"{self.name} weights")
        except (DancegenError, OSError, ValueError) as exc:
            raise fail(self.name, f"{exc}; re-export the repository") from None
        if not isinstance(model.music_encoder, M2PEnc):
            raise fail(self.name, f"{weights} has no M2PEnc music encoder; only M2PEnc models are served")
        self.model = model.to(torch_device(args))
        for network in self.model.components().values():
            if isinstance(network, torch.nn.Module):
                network.eval().requires_grad_(False)
        self.guard = RequestGuard(self.name)
        pb_utils.Logger.log_info(f"{self.name}: DanceModel from {weights}, decoupled={self.decoupled}")

    def _number(self, request, name: str, default):
        array = read_input(self.name, request, self.interface.tensor(name))
        return default if array is None else single_number(self.name, self.interface.tensor(name), array)

    def _options(self, request) -> GenerationOptions:
        options = GenerationOptions(
            seconds=self._number(request, api.SECONDS, None),
            steps=self._number(request, api.STEPS, self.params["default_steps"]),
            seed=self._number(request, api.SEED, 0),
            guidance_scale=self._number(request, api.GUIDANCE_SCALE, self.params["default_guidance_scale"]),
        )
        try:
            check_options(options)
        except DancegenError as exc:
            raise RequestError(f"{self.name}: {flags_to_tensors(str(exc))}") from None
        check_at_most(self.name, "STEPS", options.steps, self.params["max_steps"], "ask for fewer steps")
        return options

    def _encode(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(1, F, D) features → guidance and heatmaps from the served m2penc."""
        outputs = call_model(api.M2PENC, {api.FEATURES: features.astype(np.float32)}, [api.GUIDANCE, api.HEATMAPS])
        return outputs[api.GUIDANCE], outputs[api.HEATMAPS]

    def _generate(self, request, on_progress) -> list:
        spec = self.interface.tensor
        options = self._options(request)
        photo = read_image(single_bytes(self.name, spec(api.IMAGE), read_input(self.name, request, spec(api.IMAGE))))
        audio = single_bytes(self.name, spec(api.AUDIO), read_input(self.name, request, spec(api.AUDIO)))
        fps = generation_fps(self.model, options)
        inputs = {api.AUDIO: np.array([audio], dtype=np.object_), api.FPS: np.array([fps], np.float32)}
        if options.seconds is not None:
            inputs[api.SECONDS] = np.array([options.seconds], np.float32)
        music = call_model(api.MUSIC_FEATURES, inputs, [api.FEATURES, api.SAMPLES, api.SAMPLE_RATE])
        features = music[api.FEATURES]  # (N, 35)
        check_at_most(
            self.name,
            "video length (s)",
            len(features) / fps,
            self.params["max_video_seconds"],
            "pass a smaller SECONDS",
        )
        track = Music(music[api.SAMPLES], int(music[api.SAMPLE_RATE][0]))
        video = render_dance_video(self.model, track, photo, features, options, self._encode, on_progress)
        return [output(spec(api.VIDEO), [video])]

    def _watch(self, request, sender=None):
        """A progress callback that stops the work when the client cancelled, and streams PROGRESS if decoupled."""
        last = [-1]

        def on_progress(fraction: float) -> None:
            if request.is_cancelled():
                raise RequestCancelled
            percent = int(fraction * 100)
            if sender is not None and percent > last[0]:
                last[0] = percent
                progress = output(self.interface.tensor(api.PROGRESS), [fraction])
                sender.send(pb_utils.InferenceResponse(output_tensors=[progress]))

        return on_progress

    def _stream(self, request) -> None:
        """Decoupled mode: PROGRESS responses, then the final response with VIDEO (or the error)."""
        sender = request.get_response_sender()
        final = pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL
        try:
            tensors = self._generate(request, self._watch(request, sender))
            tensors.append(output(self.interface.tensor(api.PROGRESS), [1.0]))
            sender.send(pb_utils.InferenceResponse(output_tensors=tensors), flags=final)
        except Exception as exc:  # noqa: BLE001 — the request gets its error, the model keeps serving
            sender.send(self.guard.error(exc, request), flags=final)

    def execute(self, requests):
        if self.decoupled:
            for request in requests:
                self._stream(request)
            return None
        return [self.guard.answer(request, lambda r: self._generate(r, self._watch(r))) for request in requests]

    def finalize(self):
        self.model = None
