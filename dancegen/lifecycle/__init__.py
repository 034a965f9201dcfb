"""The model lifecycle as Kubeflow pipelines: the library logic that the KFP components call.

Each component in ``components/<step>/component.py`` imports one function from here and calls it with its
KFP artifacts (anything with ``.path``, ``.uri`` and ``.metadata``) and plain parameters:

============================  =================================================================
component                     library function
============================  =================================================================
sdgpip_generate               :func:`dancegen.lifecycle.steps.generate_dataset`
train_stage                   :func:`dancegen.lifecycle.training.train_stage`
evaluate                      :func:`dancegen.lifecycle.evaluation.evaluate_model`
register_model                :func:`dancegen.lifecycle.registry_steps.register_model`
promote_model                 :func:`dancegen.lifecycle.registry_steps.promote_model`
fetch_model                   :func:`dancegen.lifecycle.registry_steps.fetch_model`
compare_models                :func:`dancegen.lifecycle.comparison.compare_models`
export_triton_repository      :func:`dancegen.lifecycle.steps.export_triton_repository`
============================  =================================================================

:mod:`.runner` compiles, runs (``kfp.local``) and submits (``kfp.Client``) the pipelines of ``pipelines/``;
:mod:`.commands` is the ``dancegen pipeline`` command group over it. :mod:`.artifacts` holds the artifact
conventions shared by the steps (a Model artifact is a training run directory whose ``model/`` is the
exported DanceModel) and the stable work directories that let a local rerun resume an unfinished step.
"""
