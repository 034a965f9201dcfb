"""KFP component ``export_triton_repository``: a Triton model repository of a trained model (serving hand-off)."""

from kfp import dsl
from kfp.dsl import Artifact, Input, Model, Output

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def export_triton_repository(model: Input[Model], repository: Output[Artifact]) -> str:
    """Write a Triton model repository (``config.pbtxt`` + Python-backend ``model.py`` + weights) for the model.

    The layout is dancegen.serving's; the serving chart points Triton at this artifact's S3 URI.

    Args:
        model: Trained run (``model/`` inside) or a fetched registered model.
        repository: Output Triton model repository directory.

    Returns:
        The repository's path.
    """
    from dancegen.lifecycle.steps import export_triton_repository as export

    return export(model, repository)
