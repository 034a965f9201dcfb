"""The training pipeline (paper §3.1–3.4, §4.2): SDGPip → stages 0–3 → evaluate → register → promote → export.

Orchestration lives here, on the tasks: retries (every step is safe to retry: SDGPip and training resume,
registration and promotion are single API calls), CPU/memory for the cluster, and caching (on, except
for promotion, whose answer depends on the registry's current champion). Compile with
``dancegen pipeline compile`` or ``python -m pipelines.training.pipeline [OUT.yaml]``.

The Triton repository is exported for every trained model, after the promotion step: serving deploys the
champion's repository. (A ``dsl.If`` on the promotion's output would skip it for a candidate, but kfp 2.17's
local runner cannot resolve conditions on task outputs, and the pipeline must run the same in both places.)
"""

from typing import NamedTuple

from kfp import dsl

from components.evaluate import evaluate
from components.export_triton_repository import export_triton_repository
from components.promote_model import promote_model
from components.register_model import register_model
from components.sdgpip_generate import sdgpip_generate
from components.train_stage import train_stage

STAGES = ("pose to video", "M2PEnc", "U-Net", "temporal layers")
DEFAULT_GATES = "fvd=lower,beat_align=higher"


class TrainingOutputs(NamedTuple):
    """What a run of the training pipeline reports."""

    version: str  # the registered version
    promoted: bool  # whether it became the champion
    reason: str  # the gates' verdict


def _resources(task: dsl.PipelineTask, cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dsl.PipelineTask:
    return task.set_cpu_request(cpu).set_memory_request(memory).set_cpu_limit(cpu_limit).set_memory_limit(memory_limit)


@dsl.pipeline(
    name="dancegen-training",
    description="SDGPip → training stages 0–3 (DeepSpeed) → evaluation → MLflow registration → gated promotion "
    "→ Triton model repository.",
)
def training_pipeline(
    preset: str = "tiny",
    executor: str = "local",
    zero_stage: int = 2,
    processes: int = 0,
    stage0_steps: int = 0,
    stage1_steps: int = 0,
    stage2_steps: int = 0,
    stage3_steps: int = 0,
    train_overrides: str = "",
    tracks: int = 12,
    track_seconds: float = 20.0,
    clip_seconds: float = 5.0,
    fps: float = 15.0,
    size: int = 64,
    seed: int = 0,
    sdgpip_workers: int = 2,
    eval_steps: int = 25,
    eval_clips: int = 0,
    lpips_weights: str = "",
    i3d_torchscript: str = "",
    dwpose_onnx: str = "",
    model_name: str = "dancegen",
    experiment: str = "dancegen",
    gates: str = DEFAULT_GATES,
    tracking_uri: str = "",
    namespace: str = "",
    trainer_image: str = "",
    work_root: str = "",
) -> TrainingOutputs:
    """Train, evaluate, register and (behind the gates) promote a dance-video model.

    Args:
        preset: "tiny" (CPU) or "paper" (8 GPUs per stage); size should match (64 / 640).
        executor: "local" (torchrun in the step's container) or "pytorchjob" (Kubeflow PyTorchJobs).
        zero_stage: DeepSpeed ZeRO stage 1–3 of every stage.
        processes: Training processes per stage (local) or per pod (pytorchjob); 0 = the default.
        stage0_steps: Optimizer steps of stage 0 (0 = the preset's); likewise stage1_steps … stage3_steps.
        train_overrides: Training config overrides ``key=value;key=value`` for every stage.
        tracks: Procedural music tracks of the dataset (at least 3: train, val and test each get one).
        track_seconds: Seconds per track; clip_seconds: seconds per clip; fps: clip frame rate.
        size: Frame size in pixels; seed: dataset seed; sdgpip_workers: rendering processes.
        eval_steps: DDIM steps when generating the test clips; eval_clips: at most this many (0 = all).
        lpips_weights: LPIPS weights; i3d_torchscript: I3D for FVD; dwpose_onnx: DWPose (all optional).
        model_name: Registered model name; experiment: MLflow experiment.
        gates: Promotion gates ``metric=lower|higher`` separated by commas.
        tracking_uri: MLflow server ("" = MLFLOW_TRACKING_URI of the step's environment or the local stack).
        namespace: PyTorchJob namespace; trainer_image: PyTorchJob image ("" = defaults).
        work_root: Local directory where unfinished steps resume on a rerun ("" in a cluster).
    """
    dataset = sdgpip_generate(
        tracks=tracks,
        track_seconds=track_seconds,
        clip_seconds=clip_seconds,
        fps=fps,
        size=size,
        seed=seed,
        workers=sdgpip_workers,
        work_root=work_root,
    )
    dataset.set_display_name("SDGPip").set_retry(num_retries=2, backoff_duration="30s")
    _resources(dataset, "2", "4G", "4", "8G")
    data = dataset.outputs["dataset"]

    previous = None
    for stage, steps in enumerate((stage0_steps, stage1_steps, stage2_steps, stage3_steps)):
        init = {"init": previous.outputs["model"]} if previous is not None else {}
        task = train_stage(
            stage=stage,
            data=data,
            preset=preset,
            executor=executor,
            zero_stage=zero_stage,
            max_steps=steps,
            processes=processes,
            overrides=train_overrides,
            namespace=namespace,
            trainer_image=trainer_image,
            work_root=work_root,
            **init,
        )
        task.set_display_name(f"stage {stage}: {STAGES[stage]}")
        task.set_retry(num_retries=2, backoff_duration="60s", backoff_factor=2.0)
        _resources(task, "2", "8G", "8", "32G")  # the local executor trains in this pod; a PyTorchJob waits here
        previous = task
    trained = previous.outputs["model"]

    scores = evaluate(
        model=trained,
        data=data,
        steps=eval_steps,
        max_clips=eval_clips,
        seed=seed,
        lpips_weights=lpips_weights,
        i3d_torchscript=i3d_torchscript,
        dwpose_onnx=dwpose_onnx,
    )
    scores.set_display_name("evaluate on the test split").set_retry(num_retries=1)
    _resources(scores, "2", "8G", "4", "16G")

    registration = register_model(
        model=trained,
        results=scores.outputs["results"],
        report=scores.outputs["report"],
        data=data,
        model_name=model_name,
        experiment=experiment,
        tracking_uri=tracking_uri,
    )
    registration.set_display_name("register in MLflow").set_retry(num_retries=3, backoff_duration="30s")
    _resources(registration, "1", "4G", "2", "8G")

    promotion = promote_model(
        model_name=model_name, version=registration.output, gates=gates, tracking_uri=tracking_uri
    )
    promotion.set_display_name("promote behind the gates").set_retry(num_retries=3, backoff_duration="30s")
    promotion.set_caching_options(False)
    _resources(promotion, "250m", "512M", "1", "2G")

    repository = export_triton_repository(model=trained).after(promotion)
    repository.set_display_name("Triton model repository").set_retry(num_retries=1)
    _resources(repository, "1", "2G", "2", "8G")

    return TrainingOutputs(registration.output, promotion.outputs["promoted"], promotion.outputs["reason"])


if __name__ == "__main__":
    import sys

    from kfp import compiler

    compiler.Compiler().compile(training_pipeline, sys.argv[1] if len(sys.argv) > 1 else "training_pipeline.yaml")
