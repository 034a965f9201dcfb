"""Distributed setup and the DeepSpeed engine: every stage trains under ZeRO stage 1, 2 or 3.

The distributed mode comes from the environment torchrun (or a PyTorchJob) sets: ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``. Without them the run is one process (a local rendezvous
on a free port). The backend is NCCL when CUDA is present, gloo otherwise; precision ``auto`` is bf16 on
GPU and fp32 on CPU (bf16 is 2–4× slower than fp32 on a CPU without AVX-512). DeepSpeed's CPU accelerator
compiles a C++ communication op on its first run (≈ 90 s), cached under ``TORCH_EXTENSIONS_DIR``, which
defaults to ``$DANCEGEN_CACHE/torch_extensions``.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from dancegen.config import deep_merge
from dancegen.paths import cache_dir
from dancegen.process import free_port
from dancegen.train.config import StageConfig, TrainConfig, VaeTrainingConfig


@dataclass(frozen=True)
class Distributed:
    """This process's place in the job."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    backend: str

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def prepare_environment() -> None:
    """Defaults for a single process and DeepSpeed's extension cache; call before importing deepspeed."""
    os.environ.setdefault("TORCH_EXTENSIONS_DIR", str(cache_dir() / "torch_extensions"))
    if "RANK" not in os.environ:
        os.environ.update(
            RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port())
        )


def quiet_libraries() -> None:
    """Keep the progress bar readable: no per-load progress bars or info chatter from diffusers/transformers."""
    import diffusers.utils.logging as diffusers_logging
    import transformers.utils.logging as transformers_logging

    for library in (diffusers_logging, transformers_logging):
        library.set_verbosity_error()
        library.disable_progress_bar()
    logging.getLogger("DeepSpeed").setLevel(logging.WARNING)


def local_device() -> torch.device:
    """``cuda:LOCAL_RANK`` when CUDA is present, else the CPU (usable before the process group exists)."""
    if torch.cuda.is_available():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


log = logging.getLogger(__name__)

STALE_BUILD_SECONDS = 10.0
"""How long a build lock seen under the file lock may stand before it counts as left by a killed process."""


def build_cpu_comm_op() -> None:
    """Build (or load) DeepSpeed's CPU communication op, first clearing a build lock a killed process left.

    torch marks a build in progress with a plain ``<op>/lock`` file; a process killed while it stands (any run
    stopped in its first second) leaves it behind, and every later run would wait for it forever. Builds by
    dancegen processes are serialised with an OS file lock (released by the kernel when its holder dies), so
    a ``lock`` seen while holding it, and still there after :data:`STALE_BUILD_SECONDS`, is stale.
    """
    import fcntl

    import deepspeed.ops
    from deepspeed.accelerator import get_accelerator

    builder = get_accelerator().create_op_builder("ShareMemCommBuilder")
    if builder is None or not deepspeed.ops.__compatible_ops__.get(builder.NAME, False):
        return  # DeepSpeed will not build it either
    root = Path(os.environ["TORCH_EXTENSIONS_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{builder.NAME}.flock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        baton = root / builder.NAME / "lock"
        deadline = time.monotonic() + STALE_BUILD_SECONDS
        while baton.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        if baton.exists():
            log.warning("removing %s: a build lock left by a killed process", baton)
            baton.unlink(missing_ok=True)
        builder.load(verbose=False)  # cached per process: deepspeed.init_distributed's own load does not build


def init_distributed() -> Distributed:
    """Join (or create) the process group; idempotent."""
    prepare_environment()
    import deepspeed

    logging.getLogger("DeepSpeed").setLevel(logging.WARNING)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "gloo":
        build_cpu_comm_op()
    deepspeed.init_distributed(dist_backend=backend, auto_mpi_discovery=False, verbose=False)
    return Distributed(
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
        local_rank=int(os.environ["LOCAL_RANK"]),
        device=local_device(),
        backend=backend,
    )


def compute_dtype(cfg: TrainConfig) -> torch.dtype:
    """bf16 or fp32 from ``deepspeed.precision`` (``auto``: bf16 on GPU, fp32 on CPU)."""
    precision = cfg.deepspeed.precision
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() else "fp32"
    return torch.bfloat16 if precision == "bf16" else torch.float32


def deepspeed_config(
    cfg: TrainConfig, world_size: int, schedule: StageConfig | VaeTrainingConfig | None = None
) -> dict[str, Any]:
    """The DeepSpeed JSON config of the current stage (``deepspeed.extra`` merged last).

    ``schedule`` gives the batch sizes and learning rate instead of the stage (the VAE phase's ``vae``).
    """
    stage = schedule or cfg.current
    lr = stage.lr or cfg.optim.lr
    bf16 = compute_dtype(cfg) == torch.bfloat16
    config: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": stage.micro_batch_size,
        "gradient_accumulation_steps": stage.grad_accum_steps,
        "train_batch_size": stage.micro_batch_size * stage.grad_accum_steps * world_size,
        "gradient_clipping": cfg.optim.grad_clip,
        "optimizer": {
            "type": "AdamW",
            "params": {
                "lr": lr,
                "betas": list(cfg.optim.betas),
                "eps": cfg.optim.eps,
                "weight_decay": cfg.optim.weight_decay,
                "torch_adam": cfg.deepspeed.torch_adam,
            },
        },
        "zero_optimization": {"stage": cfg.deepspeed.zero_stage},
        "bf16": {"enabled": bf16},
        "steps_per_print": 10**9,
        "wall_clock_breakdown": False,
    }
    if bf16:
        # diffusers' motion modules keep buffers that must follow the bf16 parameters
        config["data_types"] = {"buffer_dtype": "bf16"}
    if cfg.optim.warmup_steps > 0:
        config["scheduler"] = {
            "type": "WarmupLR",
            "params": {"warmup_min_lr": 0.0, "warmup_max_lr": lr, "warmup_num_steps": cfg.optim.warmup_steps},
        }
    return deep_merge(config, cfg.deepspeed.extra)


def make_engine(
    module: torch.nn.Module,
    cfg: TrainConfig,
    world_size: int,
    schedule: StageConfig | VaeTrainingConfig | None = None,
):
    """``deepspeed.initialize`` on the trainable parameters of ``module``; returns the engine."""
    import deepspeed

    parameters = [p for p in module.parameters() if p.requires_grad]
    engine, _, _, _ = deepspeed.initialize(
        model=module, model_parameters=parameters, config=deepspeed_config(cfg, world_size, schedule)
    )
    return engine
