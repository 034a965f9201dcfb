"""The parts of OpenAI Jukebox that feature extraction runs, with the checkpoints' own parameter names.

``TopLevelEncoder`` is the VQ-VAE's top-level encoder and codebook (state-dict keys ``encoders.<level>.*`` and
``bottleneck.level_blocks.<level>.k``); ``TopPrior`` is the top-level prior's label conditioning and the first
``n_layers`` blocks of its factorised-attention transformer (keys ``y_emb.*``, ``prior.x_emb``,
``prior.pos_emb.pos_emb``, ``prior.transformer._attn_mods.<d>.*``). Layer ``d`` attends within its block of
``n_ctx / blocks`` tokens (d % 3 == 0), across blocks at the same in-block position (1), or to the whole
previous block (2); the first two are causal. Widths and depths are read from tensor shapes.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn

from dancegen.errors import WeightsError

# 5b label ranges in samples at 44.1 kHz: total length, absolute position, relative position (fraction)
T_RANGES = ((2646000.0, 26460000.0), (0.0, 26460000.0), (0.0, 1.0))


def _load(module: nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """Load exactly the keys ``module`` declares from ``state``; WeightsError on a missing key or wrong shape."""
    wanted = module.state_dict()
    missing = [k for k in wanted if k not in state]
    if missing:
        raise WeightsError(f"audio.jukebox_path: {what} lacks key {missing[0]!r}; expected a Jukebox 5b checkpoint")
    for key, tensor in wanted.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise WeightsError(
                f"audio.jukebox_path: {what} key {key!r} has shape {tuple(state[key].shape)}, "
                f"expected {tuple(tensor.shape)}; expected a Jukebox 5b checkpoint"
            )
    module.load_state_dict({k: state[k] for k in wanted}, strict=True)


def _count(state: dict, pattern: str) -> int:
    """1 + the largest integer captured by ``pattern`` over the keys (0 when none match)."""
    found = [int(m.group(1)) for k in state if (m := re.fullmatch(pattern, k))]
    return 1 + max(found) if found else 0


# ---------------------------------------------------------------- VQ-VAE top-level encoder


class _ResConv(nn.Module):
    def __init__(self, width: int, dilation: int) -> None:
        super().__init__()
        self.model = nn.Sequential(
            nn.ReLU(), nn.Conv1d(width, width, 3, 1, dilation, dilation), nn.ReLU(), nn.Conv1d(width, width, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.model(x)


class _Resnet(nn.Module):
    def __init__(self, width: int, depth: int, growth: int) -> None:
        super().__init__()
        self.model = nn.Sequential(*[_ResConv(width, growth**d) for d in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _DownBlock(nn.Module):
    """``down_t`` × (strided conv + dilated resnet), then a 3-tap conv to the embedding width."""

    def __init__(self, c_in: int, width: int, emb: int, down_t: int, stride: int, depth: int, growth: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Sequential(nn.Conv1d(c_in if i == 0 else width, width, 2 * stride, stride, stride // 2),
                          _Resnet(width, depth, growth))
            for i in range(down_t)
        ]  # fmt: skip
        layers.append(nn.Conv1d(width, emb, 3, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _Encoder(nn.Module):
    def __init__(self, blocks: list[_DownBlock]) -> None:
        super().__init__()
        self.level_blocks = nn.ModuleList(blocks)


class _Codebook(nn.Module):
    def __init__(self, bins: int, emb: int) -> None:
        super().__init__()
        self.register_buffer("k", torch.zeros(bins, emb))


class _Bottleneck(nn.Module):
    def __init__(self, level: int, bins: int, emb: int) -> None:
        super().__init__()
        self.level_blocks = nn.ModuleDict({str(level): _Codebook(bins, emb)})


class TopLevelEncoder(nn.Module):
    """Audio ``(N, 1, T)`` in [-1, 1] → codes ``(N, T // hop_length)`` (hop 128 for the 5b VQ-VAE)."""

    def __init__(self, level: int, specs: list[tuple[int, int, int, int, int, int]], bins: int, growth: int) -> None:
        super().__init__()
        self.level = level
        blocks = [_DownBlock(c_in, width, emb, down_t, stride, depth, growth)
                  for c_in, width, emb, down_t, stride, depth in specs]  # fmt: skip
        self.encoders = nn.ModuleDict({str(level): _Encoder(blocks)})
        self.bottleneck = _Bottleneck(level, bins, specs[-1][2])
        self.hop_length = 1
        for _, _, _, down_t, stride, _ in specs:
            self.hop_length *= stride**down_t

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], level: int, growth: int) -> TopLevelEncoder:
        prefix = re.escape(f"encoders.{level}.level_blocks.")
        specs = []
        for b in range(_count(state, prefix + r"(\d+)\..*")):
            block = prefix + rf"{b}\.model\."
            down_t = _count(state, block + r"(\d+)\.0\.weight")
            first = state[f"encoders.{level}.level_blocks.{b}.model.0.0.weight"]  # (width, c_in, 2·stride)
            last = state[f"encoders.{level}.level_blocks.{b}.model.{down_t}.weight"]  # (emb, width, 3)
            depth = _count(state, block + r"0\.1\.model\.(\d+)\.model\.1\.weight")
            specs.append((first.shape[1], first.shape[0], last.shape[0], down_t, first.shape[2] // 2, depth))
        if not specs:
            raise WeightsError(f"audio.jukebox_path: the VQ-VAE checkpoint has no encoders.{level} weights")
        codebook = state[f"bottleneck.level_blocks.{level}.k"]
        encoder = cls(level, specs, codebook.shape[0], growth)
        _load(encoder, state, "vqvae.pth.tar")
        return encoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest-codebook-entry indices ``(N, T')`` of the encoder output ``(N, emb, T')``."""
        for block in self.encoders[str(self.level)].level_blocks:
            x = block(x)
        flat = x.permute(0, 2, 1).reshape(-1, x.shape[1])  # (N·T', emb)
        codebook = self.bottleneck.level_blocks[str(self.level)].k  # (bins, emb)
        distance = (flat**2).sum(-1, keepdim=True) - 2 * flat @ codebook.T + (codebook**2).sum(-1)[None, :]
        return distance.argmin(-1).view(x.shape[0], x.shape[2])


# ---------------------------------------------------------------- top-level prior


class _Linear(nn.Module):
    """Jukebox's ``Conv1D``: ``x @ w + b`` with ``w`` stored as (n_in, n_out)."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(n_in, n_out))
        self.b = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.b, x.reshape(-1, x.shape[-1]), self.w).view(*x.shape[:-1], -1)


class _Attention(nn.Module):
    def __init__(self, width: int, state: int, heads: int, kind: int, block_ctx: int) -> None:
        super().__init__()
        self.c_attn = _Linear(width, 3 * state)
        self.c_proj = _Linear(state, width)
        self.heads, self.kind, self.block_ctx = heads, kind, block_ctx

    def _dense(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
        """Multi-head attention over the middle axis of ``(B, T, S)`` tensors."""
        b, t, s = q.shape
        q, k, v = (z.view(b, -1, self.heads, s // self.heads).transpose(1, 2) for z in (q, k, v))
        w = (q @ k.transpose(-1, -2)).float() / (s // self.heads) ** 0.5  # (B, H, T, T)
        if causal:
            w = w.masked_fill(torch.ones(t, t, dtype=torch.bool, device=w.device).triu(1), -1e9)
        a = torch.softmax(w, dim=-1).type_as(v) @ v
        return a.transpose(1, 2).reshape(b, t, s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, _ = x.shape
        q, k, v = self.c_attn(x).chunk(3, dim=2)
        bc = self.block_ctx
        pad = (-length) % bc  # zero-pad to whole blocks; causal masks keep the padding out of real outputs
        q, k, v = (F.pad(z, (0, 0, 0, pad)) for z in (q, k, v))
        nb, s = (length + pad) // bc, q.shape[-1]
        if self.kind == 0:  # within the block, causal
            a = self._dense(*(z.reshape(n * nb, bc, s) for z in (q, k, v)), causal=True).view(n, nb * bc, s)
        elif self.kind == 1:  # same in-block position across blocks, causal
            q, k, v = (z.view(n, nb, bc, s).transpose(1, 2).reshape(n * bc, nb, s) for z in (q, k, v))
            a = self._dense(q, k, v, causal=True).view(n, bc, nb, s).transpose(1, 2).reshape(n, nb * bc, s)
        else:  # the whole previous block (zeros for the first)
            k, v = (F.pad(z.view(n, nb, bc, s)[:, :-1], (0, 0, 0, 0, 1, 0)).reshape(n * nb, bc, s) for z in (k, v))
            a = self._dense(q.reshape(n * nb, bc, s), k, v, causal=False).view(n, nb * bc, s)
        return self.c_proj(a[:, :length])


class _MLP(nn.Module):
    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.c_fc = _Linear(width, hidden)
        self.c_proj = _Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c_fc(x)
        return self.c_proj(h * torch.sigmoid(1.702 * h))  # quick GELU


class _Block(nn.Module):
    def __init__(self, width: int, state: int, hidden: int, heads: int, kind: int, block_ctx: int) -> None:
        super().__init__()
        self.attn = _Attention(width, state, heads, kind, block_ctx)
        self.ln_0 = nn.LayerNorm(width)
        self.mlp = _MLP(width, hidden)
        self.ln_1 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.attn(self.ln_0(x))
        return x + a + self.mlp(self.ln_1(x + a))


class _Transformer(nn.Module):
    def __init__(self, blocks: list[_Block]) -> None:
        super().__init__()
        self._attn_mods = nn.ModuleList(blocks)


class _PositionEmbedding(nn.Module):
    def __init__(self, n_ctx: int, width: int) -> None:
        super().__init__()
        self.pos_emb = nn.Parameter(torch.zeros(n_ctx, width))


class _AutoRegressive(nn.Module):
    def __init__(self, bins: int, n_ctx: int, blocks: list[_Block]) -> None:
        super().__init__()
        width = blocks[0].ln_0.normalized_shape[0]
        self.x_emb = nn.Embedding(bins, width)
        self.pos_emb = _PositionEmbedding(n_ctx, width)
        self.transformer = _Transformer(blocks)


class _Embedding(nn.Module):
    def __init__(self, bins: int, width: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(bins, width)


class _LabelConditioner(nn.Module):
    def __init__(self, genres: int, artists: int, t_bins: int, width: int) -> None:
        super().__init__()
        self.bow_genre_emb = _Embedding(genres, width)
        self.artist_emb = _Embedding(artists, width)
        self.total_length_emb = _Embedding(t_bins, width)
        self.absolute_pos_emb = _Embedding(t_bins, width)
        self.relative_pos_emb = _Embedding(t_bins, width)


def _bins(position: torch.Tensor, bounds: tuple[float, float], n_bins: int) -> torch.Tensor:
    """Jukebox's RangeEmbedding binning of positions in [lo, hi) to 0..n_bins-1."""
    lo, hi = bounds
    return torch.floor(n_bins * (position - lo) / (hi - lo)).long().clamp(0, n_bins - 1)


class TopPrior(nn.Module):
    """Codes ``(N, L ≤ n_ctx)`` → activations ``(N, L, width)`` after the first ``n_layers`` transformer blocks."""

    def __init__(self, bins: int, n_ctx: int, blocks: list[_Block], genres: int, artists: int, t_bins: int) -> None:
        super().__init__()
        self.prior = _AutoRegressive(bins, n_ctx, blocks)
        self.width = self.prior.x_emb.embedding_dim
        self.n_ctx = n_ctx
        self.y_emb = _LabelConditioner(genres, artists, t_bins, self.width)

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], n_layers: int, heads: int, blocks: int) -> TopPrior:
        bins, width = state["prior.x_emb.weight"].shape
        n_ctx = state["prior.pos_emb.pos_emb"].shape[0]
        attn_state = state["prior.transformer._attn_mods.0.attn.c_attn.w"].shape[1] // 3
        hidden = state["prior.transformer._attn_mods.0.mlp.c_fc.w"].shape[1]
        if n_ctx % blocks or attn_state % heads:
            raise WeightsError(f"Jukebox prior: n_ctx {n_ctx} / blocks {blocks} or state {attn_state} / heads {heads} "
                               "does not divide; pass the checkpoint's heads and blocks")  # fmt: skip
        layers = [_Block(width, attn_state, hidden, heads, d % 3, n_ctx // blocks) for d in range(n_layers)]
        genres = state["y_emb.bow_genre_emb.emb.weight"].shape[0]
        artists = state["y_emb.artist_emb.emb.weight"].shape[0]
        t_bins = state["y_emb.total_length_emb.emb.weight"].shape[0]
        prior = cls(bins, n_ctx, layers, genres, artists, t_bins)
        _load(prior, state, "prior_level_2.pth.tar")
        return prior

    def conditioning(self, n: int, total_length: int, offset: int, hop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Start token ``(n, 1, W)`` (artist and genre "unknown", id 0) and time signal ``(n, n_ctx, W)``."""
        y = self.y_emb
        device = self.prior.x_emb.weight.device
        zero = torch.zeros(n, 1, dtype=torch.long, device=device)
        start = y.artist_emb.emb(zero) + y.bow_genre_emb.emb(zero)
        t_bins = y.total_length_emb.emb.num_embeddings
        span = self.n_ctx * hop  # samples covered by one context
        steps = torch.arange(self.n_ctx, device=device, dtype=torch.float32) / self.n_ctx
        absolute = offset + span * steps
        relative = offset / total_length + (min((offset + span) / total_length, 1.0) - offset / total_length) * steps
        total = torch.full((1,), float(total_length), device=device)
        time = (
            y.total_length_emb.emb(_bins(total, T_RANGES[0], t_bins))
            + y.absolute_pos_emb.emb(_bins(absolute, T_RANGES[1], t_bins))
            + y.relative_pos_emb.emb(_bins(relative, T_RANGES[2], t_bins))
        )
        return start, time[None].expand(n, -1, -1)

    def activations(self, codes: torch.Tensor, total_length: int, offset: int = 0, hop: int = 128) -> torch.Tensor:
        """Output of the last built block for codes ``(N, L)``: ``(N, L, width)``."""
        n, length = codes.shape
        start, time = self.conditioning(n, total_length, offset, hop)
        x = self.prior.x_emb(codes)
        x = torch.cat([start, x[:, :-1]], dim=1)  # shift right by one; the label embedding is the start token
        x = x + self.prior.pos_emb.pos_emb[:length] + time[:, :length]
        for block in self.prior.transformer._attn_mods:
            x = block(x)
        return x
