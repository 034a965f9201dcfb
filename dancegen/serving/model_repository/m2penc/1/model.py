"""Triton model ``m2penc``: music features → pose guidance + keypoint heatmaps (M2PEnc, paper §3.2).

Batched: FEATURES (FP32 [B, F, D]) → GUIDANCE (FP32 [B, F, C_guid, h, w]) and HEATMAPS (FP32 [B, F, J, S, S]).
With dynamic batching Triton hands ``execute`` several requests at once; those with the same F are stacked
into one forward pass (requests of other lengths get their own pass). A request with F outside
[1, max_frames] or non-finite values is answered with INVALID_ARG; the rest of the batch still succeeds.
The forward pass is a TorchScript trace of M2PEnc, checked against eager ``forward`` at load
(``dancegen.serving.torchscript``: the stub's Python is slow); parameter ``torchscript = 0`` runs it eagerly.
Weights: ``<repo>/m2penc/1/m2penc/`` (M2PEnc.save_pretrained layout), written by ``dancegen serve export``.
"""

from collections import defaultdict

import numpy as np
import torch
import triton_python_backend_utils as pb_utils

from dancegen.errors import DancegenError
from dancegen.models import M2PEnc
from dancegen.serving import interfaces as api
from dancegen.serving.backend import (
    RequestGuard,
    fail,
    load_model_config,
    output,
    read_input,
    set_torch_threads,
    torch_device,
    version_dir,
)
from dancegen.serving.errors import RequestError
from dancegen.serving.export import M2PENC_WEIGHTS
from dancegen.serving.torchscript import eager_m2penc, traced_m2penc


class TritonPythonModel:
    """One M2PEnc per instance, in eval mode on the instance's device."""

    def initialize(self, args):
        self.name = args["model_name"]
        weights = version_dir(args) / M2PENC_WEIGHTS
        try:
            encoder = M2PEnc.from_pretrained(weights, local_files_only=True)
        except (OSError, ValueError, TypeError) as exc:
            raise fail(
                self.name, f"no loadable M2PEnc weights in {weights} ({exc}); re-export the repository"
            ) from None
        self.interface = api.m2penc_interface(encoder.config)
        self.config, self.params = load_model_config(args, self.interface)
        set_torch_threads(self.params["torch_threads"])
        self.device = torch_device(args)
        self.encoder = encoder.to(self.device).eval().requires_grad_(False)
        self.encode = self._encode_fn(self.params["torchscript"])
        self.max_frames = encoder.config.max_frames
        self.guard = RequestGuard(self.name)
        pb_utils.Logger.log_info(
            f"{self.name}: M2PEnc from {weights} on {self.device}, F ≤ {self.max_frames}, "
            f"{torch.get_num_threads()} torch threads, {'TorchScript' if self.params['torchscript'] else 'eager'}"
        )

    def _encode_fn(self, torchscript: int):
        """(B, F, D) tensor → (guidance, heatmaps), traced or eager; TritonModelException if the trace is wrong."""
        if torchscript not in (0, 1):
            raise fail(self.name, f"parameter torchscript = {torchscript} must be 0 (eager) or 1 (TorchScript trace)")
        if not torchscript:
            return eager_m2penc(self.encoder)
        try:
            return traced_m2penc(self.encoder)
        except DancegenError as exc:
            raise fail(self.name, str(exc)) from None

    def _read(self, request) -> np.ndarray:
        """(B, F, D) float32 features of one request."""
        features = read_input(self.name, request, self.interface.tensor(api.FEATURES), batched=True)
        batch, frames = features.shape[:2]
        if batch < 1 or not 1 <= frames <= self.max_frames:
            raise RequestError(
                f"{self.name}: FEATURES has {frames} frames (batch {batch}); send 1 to {self.max_frames} frames "
                f"per item (cut longer music into segments)"
            )
        return features

    def _forward(self, batches: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Features of several requests with the same F → (guidance, heatmaps) per request, in order."""
        stacked = batches[0] if len(batches) == 1 else np.concatenate(batches)  # (ΣB, F, D)
        total, frames = stacked.shape[:2]
        with torch.inference_mode():
            guidance, heatmaps = self.encode(torch.from_numpy(stacked).to(self.device))  # (ΣB·F, …)
        guidance = guidance.reshape(total, frames, *guidance.shape[1:]).cpu().numpy()
        heatmaps = heatmaps.reshape(total, frames, *heatmaps.shape[1:]).cpu().numpy()
        if len(batches) == 1:  # nothing to split (every request when batching is off)
            return [(guidance, heatmaps)]
        bounds = np.cumsum([len(b) for b in batches])[:-1]
        return list(zip(np.split(guidance, bounds), np.split(heatmaps, bounds), strict=True))

    def execute(self, requests):
        responses = [None] * len(requests)
        same_length = defaultdict(list)  # F → [(request index, (B, F, D) features)]
        for index, request in enumerate(requests):
            try:
                features = self._read(request)
                same_length[features.shape[1]].append((index, features))
            except Exception as exc:  # noqa: BLE001 — this request alone fails
                responses[index] = self.guard.error(exc, request)
        spec = self.interface.tensor
        for members in same_length.values():
            try:
                results = self._forward([features for _, features in members])
            except Exception as exc:  # noqa: BLE001 — the requests of this pass fail, the others still run
                for index, _ in members:
                    responses[index] = self.guard.error(exc, requests[index])
                continue
            for (index, _), (guidance, heatmaps) in zip(members, results, strict=True):
                responses[index] = pb_utils.InferenceResponse(
                    output_tensors=[output(spec(api.GUIDANCE), guidance), output(spec(api.HEATMAPS), heatmaps)]
                )
        return responses

    def finalize(self):
        self.encoder = self.encode = None
