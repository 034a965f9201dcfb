"""Jukebox music features (paper §3.2): 4800-d activations of OpenAI Jukebox's top-level prior, per frame.

The recipe is jukemirlib's (used by EDGE): audio at 44.1 kHz, mono, peak-normalised → the VQ-VAE's top-level
encoder (hop 128) → codes → the 5B top prior's transformer, conditioned on artist/genre "unknown" and a 62-s
total length, run up to layer ``layer`` (EDGE takes 66 of 72) → ``(tokens, 4800)`` at 344.5 Hz → FFT-resampled
to ``fps``. Audio longer than the prior's context (8192 tokens ≈ 23.8 s) is processed window by window.

Expected files (nothing is downloaded; config key ``audio.jukebox_path`` names the directory)::

    <jukebox_path>/vqvae.pth.tar          torch pickle {"model": state_dict} of the 5b VQ-VAE
                                          (uses encoders.2.* and bottleneck.level_blocks.2.k)
    <jukebox_path>/prior_level_2.pth.tar  torch pickle {"model": state_dict} of the 5b top-level prior
                                          (uses prior.x_emb, prior.pos_emb, prior.transformer._attn_mods.*, y_emb.*)

These are the files jukemirlib caches as ``~/.cache/jukemirlib/{vqvae,prior_level_2}.pth.tar``. Widths, depths and
context come from the tensor shapes; what shapes cannot tell (8 heads, 128 attention blocks, dilation growth 3,
the label ranges) are the 5b model's hyper-parameters and can be overridden for other checkpoints. The
checkpoints are trusted local files: they are unpickled, with Jukebox's own config class read as a plain dict.
"""

from __future__ import annotations

import os
import pickle
import re
import types
from pathlib import Path

import numpy as np
import torch

from dancegen.audio import jukebox_layers as jl
from dancegen.errors import WeightsError

CONFIG_KEY = "audio.jukebox_path"
VQVAE_FILE, PRIOR_FILE = "vqvae.pth.tar", "prior_level_2.pth.tar"
JUKEBOX_SR = 44100
TOP_LEVEL = 2
EDGE_LAYER = 66  # EDGE extracts layer 66 of 72
LABEL_TOTAL_SECONDS = 62  # jukemirlib's total-length conditioning (the prior needs ≥ 60 s)


class _ConfigStub(dict):
    """Stands in for ``jukebox.hparams.Hyperparams`` (a dict subclass) stored inside the checkpoints."""


class _CheckpointUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module.split(".")[0] == "jukebox":
            return _ConfigStub
        return super().find_class(module, name)


_PICKLE = types.SimpleNamespace(Unpickler=_CheckpointUnpickler, load=pickle.load, __name__="jukebox_checkpoint_pickle")


def _load_state_dict(path: Path, required: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """The ``"model"`` state dict of one checkpoint, ``module.`` prefixes removed; WeightsError when unusable."""
    try:
        ckpt = torch.load(path, map_location="cpu", pickle_module=_PICKLE, weights_only=False)
    except Exception as exc:  # noqa: BLE001 — any unpickling failure means "not a torch checkpoint"
        raise WeightsError(
            f"{CONFIG_KEY}: {path} is not a readable torch checkpoint ({type(exc).__name__}); "
            "expected the Jukebox 5b file of that name"
        ) from None
    state = ckpt.get("model") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise WeightsError(f"{CONFIG_KEY}: {path} has no 'model' state dict; expected the Jukebox 5b file of that name")
    state = {(k[7:] if k.startswith("module.") else k): v for k, v in state.items()}
    missing = [key for key in required if key not in state]
    if missing:
        raise WeightsError(
            f"{CONFIG_KEY}: {path} lacks key {missing[0]!r} ({len(missing)} required keys missing); "
            "expected the Jukebox 5b file of that name"
        )
    return state


def _check_directory(model_path: str | os.PathLike | None) -> Path:
    if model_path is None or str(model_path) == "":
        raise WeightsError(
            f"Jukebox features need {CONFIG_KEY}: set it to a directory holding {VQVAE_FILE} and {PRIOR_FILE}"
        )
    root = Path(model_path)
    if not root.exists():
        raise WeightsError(f"{CONFIG_KEY}: {root} does not exist; point it at the directory holding {VQVAE_FILE}")
    if not root.is_dir():
        raise WeightsError(f"{CONFIG_KEY}: {root} is a file; it must be the directory holding {VQVAE_FILE}")
    for name in (VQVAE_FILE, PRIOR_FILE):
        if not (root / name).is_file():
            raise WeightsError(f"{CONFIG_KEY}: {root} has no {name}; expected {VQVAE_FILE} and {PRIOR_FILE}")
    return root


class JukeboxExtractor:
    """Per-frame Jukebox activations from local checkpoints.

    Args:
        model_path: directory with ``vqvae.pth.tar`` and ``prior_level_2.pth.tar`` (config ``audio.jukebox_path``).
        layer: transformer layer whose output is returned (1-based; EDGE uses 66).
        heads, blocks, dilation_growth_rate: hyper-parameters not recoverable from tensor shapes (5b values).
        device: torch device to run on.
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None,
        layer: int = EDGE_LAYER,
        heads: int = 8,
        blocks: int = 128,
        dilation_growth_rate: int = 3,
        device: str | torch.device = "cpu",
    ) -> None:
        root = _check_directory(model_path)
        vq_state = _load_state_dict(
            root / VQVAE_FILE,
            (f"bottleneck.level_blocks.{TOP_LEVEL}.k", f"encoders.{TOP_LEVEL}.level_blocks.0.model.0.0.weight"),
        )
        prior_state = _load_state_dict(
            root / PRIOR_FILE,
            ("prior.x_emb.weight", "prior.pos_emb.pos_emb", "y_emb.artist_emb.emb.weight",
             "prior.transformer._attn_mods.0.attn.c_attn.w"),
        )  # fmt: skip
        self.encoder = jl.TopLevelEncoder.from_state_dict(vq_state, TOP_LEVEL, dilation_growth_rate)
        depth = 1 + max(
            int(m.group(1)) for k in prior_state if (m := re.match(r"prior\.transformer\._attn_mods\.(\d+)\.", k))
        )
        if not 1 <= layer <= depth:
            raise WeightsError(f"Jukebox layer {layer} is outside 1..{depth} for the prior in {root / PRIOR_FILE}")
        self.prior = jl.TopPrior.from_state_dict(prior_state, n_layers=layer, heads=heads, blocks=blocks)
        self.layer = layer
        self.device = torch.device(device)
        self.encoder.to(self.device).eval()
        self.prior.to(self.device).eval()

    @property
    def dim(self) -> int:
        """Feature width (4800 for the 5b prior)."""
        return self.prior.width

    @property
    def token_rate(self) -> float:
        """Prior tokens per second of audio (44100 / 128 ≈ 344.5)."""
        return JUKEBOX_SR / self.encoder.hop_length

    @torch.no_grad()
    def extract(self, y: np.ndarray, sr: int, fps: float = 30.0) -> np.ndarray:
        """Jukebox features of mono audio.

        Args:
            y: ``(T,)`` samples at ``sr`` Hz.
            fps: output frame rate.

        Returns:
            ``(floor(T/sr·fps), dim)`` float32.
        """
        import librosa

        from dancegen.audio.features import _at_rate

        audio = _at_rate(y, sr, JUKEBOX_SR)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        audio = audio / peak if peak > 0 else audio
        n_frames = int(np.floor(y.size / sr * fps + 1e-9))
        hop = self.encoder.hop_length
        window = self.prior.n_ctx * hop  # samples per prior context (≈ 23.8 s)
        # total-length label: jukemirlib's 62 s, or the track's length when longer (the label range ends at 600 s)
        total = min(max(LABEL_TOTAL_SECONDS * JUKEBOX_SR, audio.size) // hop * hop, int(jl.T_RANGES[0][1]) - hop)
        acts = []
        for start in range(0, audio.size, window):
            chunk = torch.from_numpy(np.ascontiguousarray(audio[start : start + window])).to(self.device)
            codes = self.encoder.encode(chunk[None, None, :])  # (1, tokens)
            if codes.shape[1]:
                acts.append(self.prior.activations(codes, total_length=total, offset=start, hop=hop)[0].cpu())
        if not acts:
            return np.zeros((n_frames, self.dim), np.float32)
        tokens = torch.cat(acts).numpy()  # (tokens, dim) at token_rate
        frames = librosa.resample(tokens.T, orig_sr=self.token_rate, target_sr=fps, res_type="fft").T
        out = np.zeros((n_frames, self.dim), np.float32)
        out[: min(n_frames, frames.shape[0])] = frames[:n_frames]
        return out
