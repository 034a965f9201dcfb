"""The one trainer of every stage (paper §3.4, §4.1); what a stage trains is config (:mod:`.config`).

Launch (one process per device; the distributed mode comes from torchrun's RANK/WORLD_SIZE)::

    # laptop, CPU, 2 processes, gloo
    torchrun --standalone --nproc_per_node=2 -m dancegen train --stage 0 --preset tiny \\
        --data demo-out/dataset --out runs/s0 --zero-stage 2
    torchrun --standalone --nproc_per_node=2 -m dancegen train --stage 1 --preset tiny \\
        --data demo-out/dataset --out runs/s1 --init runs/s0/model
    # one process, no torchrun
    python -m dancegen train --stage 2 --preset tiny --data … --out runs/s2 --init runs/s1/model
    # cluster: a Kubeflow PyTorchJob, 8 GPUs per node, NCCL (dancegen.k8s builds the spec)
    torchrun --nnodes=$NNODES --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=$MASTER_ADDR:29500 \\
        -m dancegen train --stage 2 --preset paper --data s3://bucket/sdgpip --out s3://bucket/runs/s2 \\
        --init s3://bucket/runs/s1/model --resume auto

Stage 0 from the preset's random VAE first trains that VAE (config ``vae``, :mod:`.autoencoder`), then
freezes it for good. Per optimizer step: ``grad_accum_steps`` micro-batches, each prepared without gradients
(:func:`.inputs.stage_inputs`), run through the DeepSpeed engine (:class:`.objective.StageModule`), backward
and ``engine.step``. Checkpoints every ``checkpoint.every`` steps and at the end; ``--resume auto``
continues at the latest one with the same data position; the end exports ``<out>/model``.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

import dancegen
from dancegen.errors import ConfigError, DancegenError
from dancegen.models.dancer import DanceModel
from dancegen.sdgpip.generate import manifest_digest
from dancegen.storage import Location
from dancegen.train import checkpoints as ckpt
from dancegen.train.autoencoder import load_phase_result, saved_vae, train_vae, vae_phase_steps
from dancegen.train.build import StageParts, load_model, stage_parts
from dancegen.train.config import TrainConfig
from dancegen.train.data import ClipStream, DataPosition, Prefetcher, batches
from dancegen.train.engine import (
    Distributed,
    compute_dtype,
    init_distributed,
    local_device,
    make_engine,
    prepare_environment,
    quiet_libraries,
)
from dancegen.train.export import export_model, save_model
from dancegen.train.grids import diffusion_grid, music_grid
from dancegen.train.inputs import decode_latents, predicted_clean, stage_inputs, step_generator
from dancegen.train.samples import SampleSpec
from dancegen.train.tracking import NullTracker, Tracker, make_tracker

LOSS_NAMES = ("loss", "pix", "guid", "heat")
KILL_AFTER_STEP = "DANCEGEN_FAULT_KILL_AFTER_STEP"  # fault injection: SIGKILL every rank after that checkpoint


@dataclass
class TrainResult:
    """What a finished run left behind."""

    stage: int
    step: int
    resumed_from: int
    model_dir: str
    metrics: dict[str, float]


class Run:
    """One training run on one rank: where it writes, where it resumes, and its checkpoints."""

    def __init__(self, cfg: TrainConfig, env: Distributed, start_step: int, manifest: dict):
        self.cfg, self.env = cfg, env
        self.out = cfg.out
        self.run_dir = ckpt.local_run_dir(cfg.out)
        self.start_step = start_step
        self.dtype = compute_dtype(cfg)
        self.manifest_digest = manifest_digest(manifest)

    def barrier(self) -> None:
        dist.barrier()

    def state(self, step: int, positions: list[dict]) -> dict:
        """The content of ``train_state.json``."""
        return {**self.info(step), "world_size": self.env.world_size, "positions": positions}

    def info(self, step: int, **extra) -> dict:
        """Stage, step, resolved config and dataset identity (checkpoints and ``training.json``)."""
        return {
            "stage": self.cfg.stage,
            "step": step,
            "zero_stage": self.cfg.deepspeed.zero_stage,
            "config": self.cfg.model_dump(mode="json"),
            "dataset": {"path": self.cfg.data.path, "digest": self.manifest_digest},
            "dancegen_version": dancegen.__version__,
            **extra,
        }

    def save_checkpoint(self, engine, step: int, position: DataPosition) -> None:
        """DeepSpeed checkpoint (all ranks) → upload (node-local rank 0) → train_state.json (rank 0) → prune."""
        paths = ckpt.run_paths(step)
        positions: list = [None] * self.env.world_size
        dist.all_gather_object(positions, position.to_dict())
        engine.save_checkpoint(str(self.run_dir / paths.checkpoints), tag=paths.tag, client_state={"step": step})
        self.barrier()
        if self.env.local_rank == 0:
            ckpt.upload_checkpoint_files(self.out, self.run_dir, step)
        self.barrier()
        if self.env.is_main:
            ckpt.upload_tree(self.out, self.run_dir, ckpt.run_paths().tracking)
            ckpt.write_train_state(self.out, self.run_dir, step, self.state(step, positions))
            ckpt.prune_checkpoints(self.out, self.run_dir, self.cfg.checkpoint.keep)
        self.barrier()
        if os.environ.get(KILL_AFTER_STEP) == str(step):
            os.kill(os.getpid(), signal.SIGKILL)

    def restore(self, engine) -> None:
        """Load the checkpoint of ``start_step`` (fetched from S3 by each node's local rank 0) into ``engine``."""
        if self.env.local_rank == 0:
            ckpt.download_checkpoint(self.out, self.run_dir, self.start_step)
        self.barrier()
        paths = ckpt.run_paths(self.start_step)
        engine.load_checkpoint(str(self.run_dir / paths.checkpoints), tag=paths.tag, load_module_strict=True)


def resume_position(cfg: TrainConfig, step: int, rank: int, world_size: int) -> DataPosition:
    """This rank's data position saved with checkpoint ``step``, after checking the run may resume."""
    state = ckpt.read_train_state(cfg.out, step)
    if state["world_size"] != world_size:
        raise ConfigError(
            f"--resume auto: checkpoint step {step} was written by {state['world_size']} processes, this run has "
            f"{world_size}; resume with as many processes or start a new --out"
        )
    ckpt.check_resume_config(state["config"], cfg.model_dump(mode="json"))
    return DataPosition.from_dict(state["positions"][rank])


def clip_stream(cfg: TrainConfig, spec: SampleSpec, rank: int, world_size: int, start: DataPosition) -> ClipStream:
    """This rank's stream of ``cfg.data`` samples shaped by ``spec``, from ``start``."""
    return ClipStream(
        cfg.data.path,
        spec,
        split=cfg.data.split,
        seed=cfg.seed,
        rank=rank,
        world_size=world_size,
        rank_split=cfg.data.rank_split,
        motion_sources=cfg.data.motion_sources,
        start=start,
        cache_mb=cfg.data.cache_mb,
    )


def _vae_phase(run: Run, model: DanceModel, tracker: Tracker, resume: bool) -> None:
    """Stage 0's VAE phase (:mod:`.autoencoder`): the model's frozen VAE gets the trained weights, from the
    attempt this run resumes when its phase finished, else from training them now."""
    cfg, env = run.cfg, run.env
    done = load_phase_result(cfg, run.run_dir, env) if resume else None
    if done is not None:
        model.vae.load_state_dict(done.state_dict())
        model.vae.register_to_config(scaling_factor=done.config.scaling_factor)
        return
    maps = ("semantic",) if cfg.vae.body_weight > 0 else ()  # the body's silhouette weights the loss
    spec = SampleSpec(frames=1, image_size=model.config["image_size"], map_types=maps, need_frames=True)
    stream = clip_stream(cfg, spec, env.rank, env.world_size, DataPosition())
    train_vae(model.vae, cfg, stream, env, run.run_dir, tracker, run.dtype)


def _reduce_losses(outputs: dict, env: Distributed) -> dict[str, float]:
    """Mean over ranks of the losses present in ``outputs``."""
    values = [float(outputs[n].detach()) if n in outputs else math.nan for n in LOSS_NAMES]
    values = torch.tensor(values, dtype=torch.float64, device=env.device)
    dist.all_reduce(values)
    return {n: v / env.world_size for n, v in zip(LOSS_NAMES, values.tolist(), strict=True) if not math.isnan(v)}


def _sample_grid(parts: StageParts, batch: dict, inputs: dict, outputs: dict, rows: int) -> np.ndarray:
    if "prediction" in outputs:
        n = min(rows, outputs["prediction"].shape[0])
        clean = predicted_clean(
            parts.frozen.scheduler, inputs["noisy_latents"][:n], outputs["prediction"][:n], inputs["timesteps"][:n]
        )
        generated = decode_latents(parts.frozen.vae, clean[:, :, :1])  # first frame only: (n, 3, 1, H, W)
        return diffusion_grid(batch, generated, n)
    return music_grid(batch, outputs, inputs, rows)


def _optimizer_step(run: Run, parts: StageParts, engine, data: Prefetcher, step: int) -> tuple:
    """``grad_accum_steps`` micro-batches, each backward, then DeepSpeed's step (it steps the optimizer on the
    last); returns the data position after them and the last micro-batch's batch, inputs and outputs."""
    cfg, env = run.cfg, run.env
    for micro in range(cfg.current.grad_accum_steps):
        position, batch = next(data)
        generator = step_generator(cfg.seed, step, micro, env.rank)
        inputs = stage_inputs(batch, parts.frozen, cfg.current, generator, env.device, run.dtype)
        outputs = engine(inputs)
        engine.backward(outputs["loss"])
        engine.step()
    return position, batch, inputs, outputs


def _training_loop(run: Run, parts: StageParts, engine, stream: ClipStream, tracker: Tracker) -> TrainResult:
    cfg, env, stage = run.cfg, run.env, run.cfg.current
    data = Prefetcher(batches(stream, stage.micro_batch_size, cfg.data.overfit_batches), cfg.data.prefetch_batches)
    samples_per_step = stage.micro_batch_size * stage.grad_accum_steps * env.world_size
    metrics, final = {}, run.start_step
    bar = tqdm(
        total=stage.max_steps,
        initial=run.start_step,
        unit="step",
        desc=f"stage {cfg.stage}",
        disable=not (env.is_main and cfg.log.progress),
        dynamic_ncols=True,
    )
    tick = time.perf_counter()
    try:
        for step in range(run.start_step + 1, stage.max_steps + 1):
            position, batch, inputs, outputs = _optimizer_step(run, parts, engine, data, step)
            losses = _reduce_losses(outputs, env)
            if not math.isfinite(losses["loss"]):
                raise DancegenError(f"stage {cfg.stage}: loss is {losses['loss']} at step {step}; lower optim.lr")
            now = time.perf_counter()
            rate, tick = samples_per_step / max(now - tick, 1e-9), now
            metrics = {**losses, "samples_per_s": rate, "lr": engine.get_lr()[0], "epoch": position.epoch}
            bar.set_postfix(loss=f"{losses['loss']:.4f}", samples_s=f"{rate:.2f}")
            bar.update(1)
            if step % cfg.log.every == 0 or step == stage.max_steps:
                tracker.log_metrics(metrics, step)
            if not isinstance(tracker, NullTracker) and step % cfg.log.sample_every == 0:
                tracker.log_image(_sample_grid(parts, batch, inputs, outputs, cfg.log.sample_rows), "samples", step)
            if step % cfg.checkpoint.every == 0 or step == stage.max_steps:
                run.save_checkpoint(engine, step, position)
                final = step
    finally:
        data.close()
        bar.close()
    model_dir = Location.parse(run.out).join(ckpt.run_paths().model)
    if env.is_main:
        info = run.info(final, resumed_from=run.start_step, metrics=metrics)
        torch.manual_seed(cfg.seed)  # the same starting weights as at the start of train()
        start = load_model(cfg)
        if vae_phase_steps(cfg):
            start.vae = saved_vae(run.run_dir)  # the VAE phase's result, in fp32
        model_dir = export_model(start, parts.trained, run.run_dir, final, run.out, info)
        tracker.log_artifact(run.run_dir / ckpt.run_paths().model)
    run.barrier()
    return TrainResult(cfg.stage, final, run.start_step, model_dir, metrics)


def train(cfg: TrainConfig, resume: bool = False, tracker: Tracker | None = None) -> TrainResult:
    """Run ``cfg.stage`` up to ``stages.stageN.max_steps`` in this process (one of torchrun's, or alone).

    ``tracker`` (e.g. an MLflow tracker) replaces the one named by ``log.tracker`` on rank 0; other ranks
    never track. User errors (config, weights, dataset shapes, an occupied ``--out``) are raised before the
    process group and the DeepSpeed engine exist.
    """
    if not cfg.data.path:
        raise ConfigError("data.path is empty: give --data DIR or s3://bucket/prefix (an SDGPip dataset)")
    if not cfg.out:
        raise ConfigError("out is empty: give --out DIR or s3://bucket/prefix")
    prepare_environment()
    quiet_libraries()
    steps = ckpt.checkpoint_steps(cfg.out)
    if steps and not resume:
        raise ConfigError(
            f"--out {cfg.out} already holds checkpoints (latest step {steps[-1]}); "
            f"pass --resume auto to continue it or choose a new --out"
        )
    start_step = steps[-1] if resume and steps else 0
    staging = ckpt.local_run_dir(cfg.out)
    if Location.parse(cfg.out).is_s3 and not start_step and os.environ.get("LOCAL_RANK", "0") == "0":
        shutil.rmtree(staging, ignore_errors=True)  # a fresh S3 run starts from an empty staging directory
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    position = resume_position(cfg, start_step, rank, world_size) if start_step else DataPosition()
    device, dtype = local_device(), compute_dtype(cfg)
    torch.manual_seed(cfg.seed)  # identical random initialisation on every rank
    model = load_model(cfg)
    skip_stage = cfg.stage == 0 and cfg.weights.champ_dir and not cfg.init_from
    parts = None if skip_stage else stage_parts(model, cfg, device, dtype)
    spec = parts.spec if parts else SampleSpec(frames=1, image_size=model.config["image_size"], need_frames=False)
    stream = clip_stream(cfg, spec, rank, world_size, position)
    stream.check_first_clip()
    env = init_distributed()
    if env.is_main:
        Location.parse(cfg.out).ensure_writable()
    run = Run(cfg, env, start_step, stream.manifest)
    run.run_dir.mkdir(parents=True, exist_ok=True)
    if tracker is None or not env.is_main:
        tracker = make_tracker(cfg.log.tracker, run.run_dir / ckpt.run_paths().tracking, env.rank,
                               experiment=cfg.log.experiment, run_name=f"stage{cfg.stage}")  # fmt: skip
    tracker.log_params(cfg.model_dump(mode="json"))
    try:
        if parts is None:  # CHAMP's weights are what stage 0 produces: export them as this stage's model
            model_dir = Location.parse(cfg.out).join(ckpt.run_paths().model)
            if env.is_main:
                model_dir = save_model(model, run.run_dir, cfg.out, run.info(0, skipped="weights.champ_dir given"))
            run.barrier()
            return TrainResult(0, 0, 0, model_dir, {})
        if vae_phase_steps(cfg):
            _vae_phase(run, model, tracker, resume)
        engine = make_engine(parts.module, cfg, env.world_size)
        if start_step:
            run.restore(engine)
        return _training_loop(run, parts, engine, stream, tracker)
    finally:
        tracker.end()
