"""KFP component ``promote_model``: candidate → champion behind metric gates (registry aliases)."""

from typing import NamedTuple

from kfp import dsl

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def promote_model(
    model_name: str,
    version: str,
    gates: str = "fvd=lower,beat_align=higher",
    tracking_uri: str = "",
) -> NamedTuple("Outputs", [("promoted", bool), ("reason", str)]):
    """Make a registered version the champion if it beats the current champion strictly on every gate.

    Without a champion the version is promoted. Otherwise a failing gate leaves it the candidate, and the
    reason names the metric and both values (also recorded in the version's ``promotion`` tag).

    Args:
        model_name: Registered model name.
        version: The version to promote.
        gates: ``metric=lower|higher`` items separated by commas ("" = promote unconditionally).
        tracking_uri: MLflow server ("" = MLFLOW_TRACKING_URI or the local stack).

    Returns:
        promoted: Whether the version is now the champion.
        reason: The gates' verdict in one line.
    """
    from dancegen.lifecycle.registry_steps import promote_model as promote

    return promote(model_name, version, gates=gates, tracking_uri=tracking_uri)
