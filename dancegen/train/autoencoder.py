"""The VAE phase of stage 0: train the model's own AutoencoderKL, set its latent scale, freeze it.

The paper freezes SD's pretrained VAE (§3.3). Where none is given (the tiny preset: no weights can be had
offline) a random VAE makes every latent and every decoded frame noise, so stage 0 begins by training it
(config ``vae``, :class:`~dancegen.train.config.VaeTrainingConfig`):

1. :class:`VaeObjective` under its own DeepSpeed engine, on one frame of each clip per sample: the
   posterior is sampled and decoded, loss ``l1·|x̂ − x| + mse·(x̂ − x)² + kl·KL`` with the body's pixels
   (the semantic map's silhouette) weighted up by ``vae.body_weight``. A copy of the VAE trains,
   so the stage's frozen VAE is never touched by ZeRO's partitioning. Its posterior log-variance starts at
   ``vae.init_logvar`` (:func:`start_logvar`), not at a random VAE's ≈ 0: noise as large as the latents
   would make a short run learn blurry frames.
2. The phase's last step is saved as a DeepSpeed checkpoint under ``<run>/vae/`` and consolidated in fp32
   on rank 0 (the export's path, so every ZeRO stage works), then broadcast and loaded into the model's
   VAE on every rank.
3. ``scaling_factor`` = 1 / std of the sampled latents of ``vae.scale_batches`` batches over all ranks,
   so the denoiser sees unit-variance latents (SD's 0.18215 was found the same way).
4. The VAE is frozen and written to ``<out>/vae/model`` (diffusers layout); the trainer exports it inside
   ``<out>/model/vae`` with the stage's model, and later stages keep it frozen.

Stage 0 resumed (``--resume auto``) with a finished ``<out>/vae/model`` loads it instead of training again.
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from diffusers import AutoencoderKL
from torch import nn
from tqdm import tqdm

from dancegen.errors import DancegenError
from dancegen.metrics.silhouette import SILHOUETTE_THRESHOLD
from dancegen.storage import Location
from dancegen.train.checkpoints import run_paths, upload_tree
from dancegen.train.config import TrainConfig, VaeTrainingConfig
from dancegen.train.data import ClipStream, Prefetcher, batches
from dancegen.train.engine import Distributed, make_engine
from dancegen.train.export import consolidated_state
from dancegen.train.grids import grid, to_rgb
from dancegen.train.tracking import NullTracker, Tracker

VAE_RUN = "vae"
"""Sub-directory of a stage-0 run that holds the VAE phase: its checkpoint (removed once consolidated) and
``model/``, the trained VAE."""
VAE_WEIGHTS = "diffusion_pytorch_model.safetensors"  # uploaded after config.json: its presence marks the end
LOSS_NAMES = ("loss", "l1", "mse", "kl")


def vae_phase_steps(cfg: TrainConfig) -> int:
    """Steps of this run's VAE phase: ``min(vae.max_steps, stages.stage0.max_steps)`` in a stage 0 that
    starts from the preset's random VAE, else 0 (``weights.vae``, ``init_from``, ``weights.champ_dir``)."""
    if cfg.stage != 0 or cfg.weights.vae or cfg.init_from or cfg.weights.champ_dir:
        return 0
    return min(cfg.vae.max_steps, cfg.current.max_steps)


def body_mask(semantic: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) semantic maps in [-1, 1] → (N, 1, H, W) float, 1 on the body (any part colour)."""
    return (semantic.amax(dim=1, keepdim=True) > SILHOUETTE_THRESHOLD / 127.5 - 1).float()


class VaeObjective(nn.Module):
    """The VAE phase's losses; what DeepSpeed wraps.

    ``forward(frames, body)``: frames (N, 3, H, W) in [-1, 1], body (N, 1, H, W) silhouettes or None (needed
    when ``weights.body_weight`` > 0). Returns ``{"loss": weighted total, "l1", "mse": body-weighted
    reconstruction terms, "kl", "reconstruction": (N, 3, H, W) detached}``.
    """

    def __init__(self, vae: AutoencoderKL, weights: VaeTrainingConfig):
        super().__init__()
        self.vae = vae
        self.weights = weights

    def forward(self, frames: torch.Tensor, body: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        posterior = self.vae.encode(frames).latent_dist
        reconstruction = self.vae.decode(posterior.sample()).sample.float()  # (N, 3, H, W)
        error = reconstruction - frames.float()
        pixel_weight = torch.ones_like(error[:, :1])  # (N, 1, H, W)
        if self.weights.body_weight > 0:
            if body is None:
                raise ValueError("VaeObjective: vae.body_weight > 0 needs the frames' body silhouettes")
            pixel_weight = pixel_weight + self.weights.body_weight * body.float()
            pixel_weight = pixel_weight / pixel_weight.mean()
        out = {
            "l1": (pixel_weight * error.abs()).mean(),
            "mse": (pixel_weight * error.square()).mean(),
            "kl": posterior.kl().float().mean(),  # summed over the latent elements of a frame, mean over frames
        }
        w = self.weights
        out["loss"] = w.l1 * out["l1"] + w.mse * out["mse"] + w.kl * out["kl"]
        out["reconstruction"] = reconstruction.detach()
        return out


def start_logvar(vae: AutoencoderKL, logvar: float) -> None:
    """Make the posterior's log-variance ``logvar`` everywhere: the variance half of ``quant_conv`` (the
    1×1 conv giving the moments) outputs its bias alone."""
    latent = vae.config.latent_channels
    with torch.no_grad():
        vae.quant_conv.weight[latent:] = 0
        vae.quant_conv.bias[latent:] = logvar


def _frames(batch: dict, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """A collated batch's first target frame of each sample: (B, 3, H, W)."""
    return batch["frames"][:, :, 0].to(device=device, dtype=dtype)


def _body(batch: dict, device: torch.device) -> torch.Tensor | None:
    """The body silhouettes of :func:`_frames`' frames (B, 1, H, W), when the batch has semantic maps."""
    semantic = batch["maps"].get("semantic")
    return None if semantic is None else body_mask(semantic[:, :, 0].to(device))


def _mean_over_ranks(values: list[float], env: Distributed) -> list[float]:
    tensor = torch.tensor(values, dtype=torch.float64, device=env.device)
    dist.all_reduce(tensor)
    return (tensor / env.world_size).tolist()


@torch.no_grad()
def latent_scale(vae: AutoencoderKL, data, count: int, env: Distributed) -> float:
    """1 / std of the sampled latents of ``count`` batches of ``data`` on every rank (all-reduced)."""
    sums = torch.zeros(3, dtype=torch.float64, device=env.device)  # n, Σz, Σz²
    for _ in range(count):
        _, batch = next(data)
        latents = vae.encode(_frames(batch, env.device, vae.dtype)).latent_dist.sample().double()
        sums += torch.stack([torch.tensor(latents.numel(), dtype=torch.float64), latents.sum(), latents.square().sum()])
    dist.all_reduce(sums)
    n, total, squares = sums.tolist()
    std = math.sqrt(max(squares / n - (total / n) ** 2, 0.0))
    if not std > 0:
        raise DancegenError("VAE phase: the trained VAE's latents have zero variance; lower vae.lr or vae.kl")
    return 1.0 / std


def _save(vae: AutoencoderKL, run_dir: Path, out: str) -> None:
    """``<run>/vae/model`` written whole (staging directory, then rename), uploaded when ``out`` is S3."""
    target = run_dir / VAE_RUN / run_paths().model
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vae.", dir=target.parent))
    vae.save_pretrained(staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    upload_tree(out, run_dir, f"{VAE_RUN}/{run_paths().model}")


def saved_vae(run_dir: Path) -> AutoencoderKL:
    """The VAE phase's result from ``<run>/vae/model`` (fp32, frozen)."""
    path = run_dir / VAE_RUN / run_paths().model
    return AutoencoderKL.from_pretrained(path, local_files_only=True).requires_grad_(False).eval()


def load_phase_result(cfg: TrainConfig, run_dir: Path, env: Distributed) -> AutoencoderKL | None:
    """The VAE an earlier attempt of this run trained (``<out>/vae/model``), or None if it never finished."""
    name = f"{VAE_RUN}/{run_paths().model}"
    location = Location.parse(cfg.out)
    if not location.exists(f"{name}/{VAE_WEIGHTS}"):
        return None
    if env.local_rank == 0:
        for member in location.list(name + "/"):
            location.download_file(member, run_dir / member)
    dist.barrier()
    return saved_vae(run_dir)


def _reconstruction_grid(frames: torch.Tensor, reconstruction: torch.Tensor, rows: int) -> np.ndarray:
    """``frame | reconstruction`` columns of the first ``rows`` samples."""
    return grid([("frame", to_rgb(frames[:rows], 128)), ("reconstruction", to_rgb(reconstruction[:rows], 128))])


def _train(trainee: VaeObjective, cfg: TrainConfig, env: Distributed, data, steps: int, tracker: Tracker, dtype):
    """The phase's optimizer steps under DeepSpeed; returns the engine (its last step is not yet saved)."""
    schedule = cfg.vae
    engine = make_engine(trainee, cfg, env.world_size, schedule=schedule)
    samples_per_step = schedule.micro_batch_size * schedule.grad_accum_steps * env.world_size
    bar = tqdm(total=steps, unit="step", desc="stage 0 VAE", disable=not (env.is_main and cfg.log.progress))
    tick = time.perf_counter()
    try:
        for step in range(1, steps + 1):
            for _ in range(schedule.grad_accum_steps):
                _, batch = next(data)
                frames = _frames(batch, env.device, dtype)
                outputs = engine(frames, _body(batch, env.device))
                engine.backward(outputs["loss"])
                engine.step()
            values = _mean_over_ranks([float(outputs[name].detach()) for name in LOSS_NAMES], env)
            losses = dict(zip(LOSS_NAMES, values, strict=True))
            if not math.isfinite(losses["loss"]):
                raise DancegenError(f"VAE phase: loss is {losses['loss']} at step {step}; lower vae.lr")
            now = time.perf_counter()
            rate, tick = samples_per_step / max(now - tick, 1e-9), now
            bar.set_postfix(l1=f"{losses['l1']:.4f}")
            bar.update(1)
            if step % cfg.log.every == 0 or step == steps:
                tracker.log_metrics({f"vae_{k}": v for k, v in losses.items()} | {"vae_samples_per_s": rate}, step)
            if not isinstance(tracker, NullTracker) and (step % cfg.log.sample_every == 0 or step == steps):
                image = _reconstruction_grid(frames, outputs["reconstruction"], cfg.log.sample_rows)
                tracker.log_image(image, "vae", step)
    finally:
        bar.close()
    return engine


def train_vae(vae: AutoencoderKL, cfg: TrainConfig, stream: ClipStream, env: Distributed, run_dir: Path,
              tracker: Tracker, dtype: torch.dtype) -> None:  # fmt: skip
    """Run the VAE phase (module docstring) on every rank; ``vae`` (the model's, frozen) receives the trained
    weights and scaling factor in place. ``stream`` yields single-frame samples with their target frames."""
    steps = vae_phase_steps(cfg)
    data = Prefetcher(batches(stream, cfg.vae.micro_batch_size), cfg.data.prefetch_batches)
    try:
        trainee = VaeObjective(copy.deepcopy(vae).float().requires_grad_(True).train(), cfg.vae)
        if cfg.vae.init_logvar is not None:
            start_logvar(trainee.vae, cfg.vae.init_logvar)
        engine = _train(trainee, cfg, env, data, steps, tracker, dtype)
        paths = run_paths(steps)
        engine.save_checkpoint(str(run_dir / VAE_RUN / paths.checkpoints), tag=paths.tag)
        dist.barrier()
        del engine, trainee
        state = [consolidated_state(run_dir / VAE_RUN, steps) if env.is_main else None]
        dist.broadcast_object_list(state, src=0)  # the VAE is small: every rank gets rank 0's consolidation
        vae.load_state_dict({key.removeprefix("vae."): tensor for key, tensor in state[0].items()}, strict=True)
        vae.register_to_config(scaling_factor=latent_scale(vae, data, cfg.vae.scale_batches, env))
    finally:
        data.close()
    dist.barrier()
    if env.local_rank == 0:
        shutil.rmtree(run_dir / VAE_RUN / run_paths().checkpoints, ignore_errors=True)
    if env.is_main:
        _save(vae, run_dir, cfg.out)
    dist.barrier()
