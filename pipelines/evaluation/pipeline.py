"""The evaluation pipeline: a registered version against the champion on the same held-out clips (paper §4.2).

Both versions are fetched from the MLflow registry, evaluated with the same settings on the same
dataset split, and compared gate by gate (the promotion rule). Fetching is never cached: an alias
such as ``champion`` moves. Compile with ``dancegen pipeline compile``.
"""

from typing import NamedTuple

from kfp import dsl

from components.compare_models import compare_models
from components.evaluate import evaluate
from components.fetch_model import fetch_model

DEFAULT_GATES = "fvd=lower,beat_align=higher"


class EvaluationOutputs(NamedTuple):
    """What a run of the evaluation pipeline reports."""

    better: bool  # the version beats the baseline on every gate
    reason: str  # the verdict


@dsl.pipeline(
    name="dancegen-evaluation",
    description="Evaluate a registered dancegen version and the champion on the same held-out clips; compare.",
)
def evaluation_pipeline(
    dataset_uri: str,
    model_name: str = "dancegen",
    version: str = "candidate",
    baseline: str = "champion",
    split: str = "test",
    eval_steps: int = 25,
    eval_clips: int = 0,
    seed: int = 0,
    lpips_weights: str = "",
    i3d_torchscript: str = "",
    dwpose_onnx: str = "",
    gates: str = DEFAULT_GATES,
    tracking_uri: str = "",
) -> EvaluationOutputs:
    """Evaluate ``version`` and ``baseline`` of ``model_name`` on ``dataset_uri`` and compare them.

    Args:
        dataset_uri: SDGPip dataset (s3:// URI in a cluster, a directory locally).
        model_name: Registered model name.
        version: Version under test: a number or an alias ("candidate").
        baseline: Version to beat: a number or an alias ("champion").
        split: Dataset split; eval_steps: DDIM steps; eval_clips: at most this many clips (0 = all).
        seed: Generation seed (the same for both versions).
        lpips_weights: LPIPS weights; i3d_torchscript: I3D for FVD; dwpose_onnx: DWPose (all optional).
        gates: ``metric=lower|higher`` separated by commas.
        tracking_uri: MLflow server ("" = MLFLOW_TRACKING_URI of the step's environment or the local stack).
    """
    data = dsl.importer(artifact_uri=dataset_uri, artifact_class=dsl.Dataset, reimport=False)
    data.set_display_name("dataset")
    results = {}
    for role, reference in (("candidate", version), ("baseline", baseline)):
        fetched = fetch_model(model_name=model_name, reference=reference, tracking_uri=tracking_uri)
        fetched.set_display_name(f"fetch {role}").set_caching_options(False)
        fetched.set_retry(num_retries=3, backoff_duration="30s")
        fetched.set_cpu_request("500m").set_memory_request("1G").set_cpu_limit("1").set_memory_limit("4G")
        scores = evaluate(
            model=fetched.outputs["model"],
            data=data.output,
            split=split,
            steps=eval_steps,
            max_clips=eval_clips,
            seed=seed,
            lpips_weights=lpips_weights,
            i3d_torchscript=i3d_torchscript,
            dwpose_onnx=dwpose_onnx,
        )
        scores.set_display_name(f"evaluate {role}").set_retry(num_retries=1)
        scores.set_cpu_request("2").set_memory_request("8G").set_cpu_limit("4").set_memory_limit("16G")
        results[role] = scores.outputs["results"]

    verdict = compare_models(candidate=results["candidate"], baseline=results["baseline"], gates=gates)
    verdict.set_display_name("compare").set_retry(num_retries=1)
    return EvaluationOutputs(verdict.outputs["better"], verdict.outputs["reason"])


if __name__ == "__main__":
    import sys

    from kfp import compiler

    compiler.Compiler().compile(evaluation_pipeline, sys.argv[1] if len(sys.argv) > 1 else "evaluation_pipeline.yaml")
