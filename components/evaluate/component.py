"""KFP component ``evaluate``: the paper's metrics (§4.2) of a trained model on held-out clips."""

from kfp import dsl
from kfp.dsl import HTML, Artifact, Dataset, Input, Metrics, Model, Output

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def evaluate(
    model: Input[Model],
    data: Input[Dataset],
    metrics: Output[Metrics],
    results: Output[Artifact],
    report: Output[HTML],
    split: str = "test",
    steps: int = 25,
    guidance_scale: float = 3.5,
    seed: int = 0,
    max_clips: int = 0,
    lpips_weights: str = "",
    i3d_torchscript: str = "",
    dwpose_onnx: str = "",
):
    """Generate a video for every clip of a split from its music and reference image; score it against the
    clip's target frames (SSIM, PSNR, LPIPS, FVD, 2D-BeatAlign, AV-Align).

    A metric whose pretrained network is not configured is reported "unavailable" with the reason, and
    is left out of the scalar metrics.

    Args:
        model: Trained run (``model/`` inside) or a fetched registered model.
        data: SDGPip dataset holding the split.
        metrics: Output scalar metrics (the finite values).
        results: Output JSON: model identity, settings, every metric with status and reason.
        report: Output HTML report: metric table and generated | target videos with the music.
        split: Dataset split to evaluate ("test": tracks never trained on).
        steps: DDIM steps of generation.
        guidance_scale: Classifier-free guidance scale on the reference image (1 = off).
        seed: Seed of the generation noise.
        max_clips: Evaluate at most this many clips (0 = all of the split).
        lpips_weights: LPIPS state dict (path in the container or s3://); "" = LPIPS unavailable.
        i3d_torchscript: I3D TorchScript file for FVD; "" = FVD unavailable.
        dwpose_onnx: DWPose ONNX file for keypoint BeatAlign; "" = BeatAlign unavailable.
    """
    from dancegen.lifecycle.evaluation import evaluate_model

    evaluate_model(
        model,
        data,
        results,
        report,
        metrics=metrics,
        split=split,
        steps=steps,
        guidance_scale=guidance_scale,
        seed=seed,
        max_clips=max_clips,
        lpips_weights=lpips_weights,
        i3d_torchscript=i3d_torchscript,
        dwpose_onnx=dwpose_onnx,
    )
