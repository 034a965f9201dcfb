"""Jukebox extractor: clear errors for missing/wrong weights; runs on tiny checkpoints in Jukebox's key layout.

No real Jukebox weights exist here (they are ~10 GB and cannot be downloaded), so the checkpoints below are
random, tiny, and written with the parameter names and pickle structure of the released 5b files
(``{"hps": jukebox.hparams.Hyperparams, "model": state_dict}`` with ``module.`` prefixes).
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch

from dancegen.audio import JukeboxExtractor, generate_track
from dancegen.errors import WeightsError

WIDTH, HEADS, N_CTX, BLOCKS, DEPTH, CODES = 16, 2, 64, 4, 4, 16


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny tensors: one thread avoids OpenMP spin-waiting on a busy 2-core machine (20× faster here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _vqvae_state(g: torch.Generator) -> dict[str, torch.Tensor]:
    """Top-level encoder (3 level blocks, downs 3/2/2, stride 2, width 8, 2 res blocks, emb 4) + codebooks."""
    r = lambda *shape: 0.3 * torch.randn(*shape, generator=g)  # noqa: E731
    state = {"decoders.0.out.weight": r(1, 4, 3)}  # unused parts of the real file are ignored
    for b, (c_in, down_t) in enumerate([(1, 3), (4, 2), (4, 2)]):
        p = f"encoders.2.level_blocks.{b}.model"
        for i in range(down_t):
            state[f"{p}.{i}.0.weight"], state[f"{p}.{i}.0.bias"] = r(8, c_in if i == 0 else 8, 4), r(8)
            for d in range(2):
                for j, k in ((1, 3), (3, 1)):
                    state[f"{p}.{i}.1.model.{d}.model.{j}.weight"], state[f"{p}.{i}.1.model.{d}.model.{j}.bias"] = (
                        r(8, 8, k),
                        r(8),
                    )
        state[f"{p}.{down_t}.weight"], state[f"{p}.{down_t}.bias"] = r(4, 8, 3), r(4)
    for level in range(3):
        state[f"bottleneck.level_blocks.{level}.k"] = r(CODES, 4)
    return state


def _prior_state(g: torch.Generator) -> dict[str, torch.Tensor]:
    r = lambda *shape: 0.2 * torch.randn(*shape, generator=g)  # noqa: E731
    state = {
        "prior.x_emb.weight": r(CODES, WIDTH),
        "prior.x_out.weight": r(CODES, WIDTH),
        "prior.pos_emb.pos_emb": r(N_CTX, WIDTH),
        "y_emb.bow_genre_emb.emb.weight": r(5, WIDTH),
        "y_emb.artist_emb.emb.weight": r(7, WIDTH),
        **{f"y_emb.{name}_emb.emb.weight": r(8, WIDTH) for name in ("total_length", "absolute_pos", "relative_pos")},
    }
    for d in range(DEPTH):
        p = f"prior.transformer._attn_mods.{d}"
        state |= {
            f"{p}.attn.c_attn.w": r(WIDTH, 3 * WIDTH // 4),
            f"{p}.attn.c_attn.b": r(3 * WIDTH // 4),
            f"{p}.attn.c_proj.w": r(WIDTH // 4, WIDTH),
            f"{p}.attn.c_proj.b": r(WIDTH),
            f"{p}.ln_0.weight": 1 + r(WIDTH),
            f"{p}.ln_0.bias": r(WIDTH),
            f"{p}.mlp.c_fc.w": r(WIDTH, WIDTH),
            f"{p}.mlp.c_fc.b": r(WIDTH),
            f"{p}.mlp.c_proj.w": r(WIDTH, WIDTH),
            f"{p}.mlp.c_proj.b": r(WIDTH),
            f"{p}.ln_1.weight": 1 + r(WIDTH),
            f"{p}.ln_1.bias": r(WIDTH),
        }
    return state


def _save_like_jukebox(path, state: dict[str, torch.Tensor]) -> None:
    """torch.save with a ``jukebox.hparams.Hyperparams`` object inside, as the released checkpoints have."""
    jukebox, hparams = types.ModuleType("jukebox"), types.ModuleType("jukebox.hparams")
    hyperparams = type("Hyperparams", (dict,), {"__module__": "jukebox.hparams"})
    hparams.Hyperparams, jukebox.hparams = hyperparams, hparams
    sys.modules.update({"jukebox": jukebox, "jukebox.hparams": hparams})
    try:
        model = {f"module.{k}": v.half() if "prior" in k else v for k, v in state.items()}  # 5b priors are fp16
        torch.save({"hps": hyperparams(sr=44100, levels=3), "model": model, "step": 1}, path)
    finally:
        del sys.modules["jukebox"], sys.modules["jukebox.hparams"]


@pytest.fixture
def weights(tmp_path):
    g = torch.Generator().manual_seed(0)
    _save_like_jukebox(tmp_path / "vqvae.pth.tar", _vqvae_state(g))
    _save_like_jukebox(tmp_path / "prior_level_2.pth.tar", _prior_state(g))
    return tmp_path


def _extractor(path, layer=DEPTH):
    return JukeboxExtractor(path, layer=layer, heads=HEADS, blocks=BLOCKS)


def test_extracts_per_frame_features(weights):
    track = generate_track("house", 2.0, seed=0)
    extractor = _extractor(weights)
    assert extractor.dim == WIDTH and extractor.token_rate == pytest.approx(44100 / 128)
    feats = extractor.extract(track.audio, track.sr, fps=30)
    assert feats.shape == (60, WIDTH) and feats.dtype == np.float32 and np.all(np.isfinite(feats))
    assert feats.std(axis=0).min() > 0  # varies over time: 2 s span 11 prior windows of 64 tokens
    np.testing.assert_array_equal(feats, extractor.extract(track.audio, track.sr, fps=30))
    assert extractor.extract(track.audio, track.sr, fps=15).shape == (30, WIDTH)
    assert not np.allclose(feats, _extractor(weights, layer=2).extract(track.audio, track.sr, fps=30))


def test_prior_is_causal(weights):
    """Activation t depends on codes < t only (the start token is the label embedding)."""
    prior = _extractor(weights).prior
    codes = torch.randint(0, CODES, (1, N_CTX), generator=torch.Generator().manual_seed(1))
    changed = codes.clone()
    changed[0, 40] = (codes[0, 40] + 1) % CODES
    with torch.no_grad():
        a = prior.activations(codes, total_length=44100 * 62)
        b = prior.activations(changed, total_length=44100 * 62)
    torch.testing.assert_close(a[:, :41], b[:, :41])
    assert not torch.allclose(a[:, 41:], b[:, 41:])


def _message(path, **kwargs) -> str:
    with pytest.raises(WeightsError) as info:
        JukeboxExtractor(path, **kwargs)
    message = str(info.value)
    assert "audio.jukebox_path" in message and "\n" not in message
    return message


def test_unconfigured_path_names_the_key():
    assert "set it to a directory" in _message(None)


def test_missing_path(tmp_path):
    assert "does not exist" in _message(tmp_path / "nope")


def test_file_instead_of_directory(weights):
    assert "is a file" in _message(weights / "vqvae.pth.tar")


def test_missing_prior_file(weights):
    (weights / "prior_level_2.pth.tar").unlink()
    assert "has no prior_level_2.pth.tar" in _message(weights)


def test_not_a_checkpoint(weights):
    (weights / "vqvae.pth.tar").write_text("not a checkpoint")
    assert "not a readable torch checkpoint" in _message(weights)


def test_checkpoint_without_model_dict(weights):
    torch.save({"weights": {}}, weights / "prior_level_2.pth.tar")
    assert "no 'model' state dict" in _message(weights)


def test_checkpoint_of_another_model(weights):
    torch.save({"model": {"conv.weight": torch.zeros(3)}}, weights / "vqvae.pth.tar")
    assert "lacks key 'bottleneck.level_blocks.2.k'" in _message(weights)


def test_wrong_shapes(weights):
    state = _prior_state(torch.Generator().manual_seed(0))
    state["prior.transformer._attn_mods.1.mlp.c_fc.w"] = torch.zeros(WIDTH, 2 * WIDTH)
    torch.save({"model": state}, weights / "prior_level_2.pth.tar")
    assert "has shape (16, 32), expected (16, 16)" in _message(weights, layer=DEPTH, heads=HEADS, blocks=BLOCKS)


def test_layer_beyond_depth(weights):
    with pytest.raises(WeightsError, match="outside 1..4"):
        JukeboxExtractor(weights, layer=66, heads=HEADS, blocks=BLOCKS)
