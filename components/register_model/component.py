"""KFP component ``register_model``: the trained model as a new MLflow registry version (``candidate``)."""

from kfp import dsl
from kfp.dsl import HTML, Artifact, Dataset, Input, Model

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def register_model(
    model: Input[Model],
    results: Input[Artifact],
    report: Input[HTML],
    data: Input[Dataset],
    model_name: str = "dancegen",
    experiment: str = "dancegen",
    tracking_uri: str = "",
) -> str:
    """Log the model as an MLflow pyfunc generator with its evaluation, and register it as the candidate.

    The MLflow run holds the training config, the evaluation metrics and the JSON + HTML report; the
    registered version is tagged with the metrics, the dataset manifest's hash and the git revision.

    Args:
        model: Trained run (``model/`` inside).
        results: Evaluation results JSON of this model.
        report: Evaluation HTML report of this model.
        data: The dataset the model was trained on.
        model_name: Registered model name.
        experiment: MLflow experiment of the registration run.
        tracking_uri: MLflow server ("" = MLFLOW_TRACKING_URI or the local stack).

    Returns:
        The new version number.
    """
    from dancegen.lifecycle.registry_steps import register_model as register

    return register(
        model, results, report, data, model_name=model_name, experiment=experiment, tracking_uri=tracking_uri
    )
