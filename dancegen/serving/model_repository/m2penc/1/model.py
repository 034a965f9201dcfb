"""Triton model ``m2penc``: music features → pose guidance + keypoint heatmaps (M2PEnc, paper §3.2).

Batched: FEATURES (FP32 [B, F, D]) → GUIDANCE (FP32 [B, F, C_guid, h, w]) and HEATMAPS (FP32 [B, F, J, S, S]).
With dynamic batching Triton hands ``execute`` several requests at once; those with the same F are stacked
into one forward pass (requests of other lengths get their own pass). A request with F outside
[1, max_frames] or non-finite values is answered with INVALID_ARG; the rest of the batch still succeeds.
Weights: ``<repo>/m2penc/1/m2penc/`` (M2PEnc.save_pretrained layout), written by ``dancegen serve export``.
"""

from collections import defaultdict

import numpy as np
import torch
import triton_python_backend_utils as pb_utils

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
        self.max_frames = encoder.config.max_frames
        self.guard = RequestGuard(self.name)
        pb_utils.Logger.log_info(
            f"{self.name}: M2PEnc from {weights} on {self.device}, F ≤ {self.max_frames}, "
            f"{torch.get_num_threads()} torch threads"
        )

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
        stacked = torch.from_numpy(np.concatenate(batches)).to(self.device)  # (ΣB, F, D)
        total, frames = stacked.shape[:2]
        with torch.inference_mode():
            encoded = self.encoder(stacked)
        guidance = encoded.guidance.reshape(total, frames, *encoded.guidance.shape[1:]).cpu().numpy()
        heatmaps = encoded.heatmaps.reshape(total, frames, *encoded.heatmaps.shape[1:]).cpu().numpy()
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
        self.encoder = None
