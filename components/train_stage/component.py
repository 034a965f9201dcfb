"""KFP component ``train_stage``: one DeepSpeed training stage (paper §3.4), here or as a PyTorchJob."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def train_stage(
    stage: int,
    data: Input[Dataset],
    model: Output[Model],
    init: Input[Model] = None,
    preset: str = "tiny",
    executor: str = "local",
    zero_stage: int = 0,
    max_steps: int = 0,
    processes: int = 0,
    overrides: str = "",
    namespace: str = "",
    trainer_image: str = "",
    timeout_hours: float = 168.0,
    work_root: str = "",
) -> str:
    """Train one stage: 0 pose→video, 1 M2PEnc, 2 U-Net (M2PEnc frozen), 3 temporal layers + M2PEnc.

    With executor "local" the step runs ``torchrun -m dancegen.train`` in its own container; with
    "pytorchjob" it submits a Kubeflow PyTorchJob (GPUs, NCCL) that reads and writes the artifacts' S3
    URIs, and waits for it. Either way the trainer resumes from the newest checkpoint (``--resume auto``),
    and a run whose model already records the final step is reused.

    Args:
        stage: Training stage, 0–3.
        data: SDGPip dataset.
        model: Output run directory: checkpoints and the exported DanceModel in ``model/``.
        init: The previous stage's run (omit for stage 0).
        preset: Model and training preset: "tiny" (CPU) or "paper" (8 GPUs).
        executor: "local" (torchrun in this container) or "pytorchjob" (a Kubeflow PyTorchJob).
        zero_stage: DeepSpeed ZeRO stage 1, 2 or 3; 0 takes the preset's.
        max_steps: Last optimizer step of the stage; 0 takes the preset's.
        processes: Training processes (local) or per pod (pytorchjob); 0 = 1 locally, one per GPU in a job.
        overrides: Training config overrides ``key=value`` separated by ``;`` (``dancegen train --set``).
        namespace: Namespace of the PyTorchJob ("" = this pod's).
        trainer_image: Trainer image of the PyTorchJob ("" = dancegen/trainer of this version).
        timeout_hours: Hours to wait for the PyTorchJob before cancelling it.
        work_root: Local directory that keeps unfinished runs across reruns ("" in a cluster).

    Returns:
        Where the exported model is (``<run>/model``; an s3:// URI for a PyTorchJob).
    """
    from dancegen.lifecycle.training import train_stage as run_stage

    return run_stage(
        stage,
        data,
        model,
        init=init,
        preset=preset,
        executor=executor,
        zero_stage=zero_stage,
        max_steps=max_steps,
        processes=processes,
        overrides=overrides,
        namespace=namespace,
        image=trainer_image,
        timeout_hours=timeout_hours,
        work_root=work_root,
    )
