"""KFP component ``compare_models``: two evaluations of the same clips, gate by gate."""

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import HTML, Artifact, Input, Metrics, Output

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def compare_models(
    candidate: Input[Artifact],
    baseline: Input[Artifact],
    report: Output[HTML],
    metrics: Output[Metrics],
    gates: str = "fvd=lower,beat_align=higher",
) -> NamedTuple("Outputs", [("better", bool), ("reason", str)]):
    """Decide whether the candidate beats the baseline strictly on every gate (the promotion rule).

    Both evaluations must cover the same dataset split with the same generation settings, and every gate
    metric must have a value for both.

    Args:
        candidate: Evaluation results JSON of the version under test.
        baseline: Evaluation results JSON of the baseline (the champion).
        report: Output HTML report: both metric columns, each gate and the verdict.
        metrics: Output scalar metrics ``candidate.<metric>`` and ``baseline.<metric>``.
        gates: ``metric=lower|higher`` items separated by commas (at least one).

    Returns:
        better: Whether the candidate passes every gate.
        reason: The verdict in one line.
    """
    from dancegen.lifecycle.comparison import compare_models as compare

    return compare(candidate, baseline, report, metrics=metrics, gates=gates)
