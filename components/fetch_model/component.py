"""KFP component ``fetch_model``: a registered model version as a Model artifact."""

from kfp import dsl
from kfp.dsl import Model, Output

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def fetch_model(
    model: Output[Model],
    model_name: str = "dancegen",
    reference: str = "champion",
    tracking_uri: str = "",
) -> str:
    """Download a registered version's DanceModel from the MLflow registry into a Model artifact.

    Args:
        model: Output model directory (the DanceModel in ``model/``, as a training run has it).
        model_name: Registered model name.
        reference: Version number ("3") or alias ("champion", "candidate").
        tracking_uri: MLflow server ("" = MLFLOW_TRACKING_URI or the local stack).

    Returns:
        The version number fetched.
    """
    from dancegen.lifecycle.registry_steps import fetch_model as fetch

    return fetch(model, model_name, reference=reference, tracking_uri=tracking_uri)
