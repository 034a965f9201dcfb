"""Log the exported generator as an MLflow pyfunc model (models-from-code: ``pyfunc_model.py``).

    info = log_generator("runs/tiny/export", run_id=tracker.run_id)
    version = ModelRegistry().register(info.model_uri, "dancegen", metrics={"fvd": 120.0})
    model = mlflow.pyfunc.load_model("models:/dancegen@champion")
    mp4 = decode_video(model.predict(example_request())["video_mp4"][0])

The model carries an explicit signature, an input example (a one-second tone + a 64×64 picture) and
explicit ``pip_requirements`` (pinned to this environment), so logging never runs pip inference.
"""

from __future__ import annotations

import contextlib
import io
import os
from importlib import metadata
from pathlib import Path

import numpy as np

from dancegen.tracking.errors import TrackingError
from dancegen.tracking.generation_request import OUTPUT_COLUMN

PYFUNC_MODEL_FILE = Path(__file__).with_name("pyfunc_model.py")
# The file DanceModel.save_pretrained writes (dancegen.models.dancer.MODEL_INDEX), named here so that logging
# and loading the pyfunc do not import the model stack (diffusers) just to check a directory.
MODEL_INDEX = "model_index.json"
# What the served model imports at predict time; each is pinned to the version installed here.
SERVING_PACKAGES = (
    "dancegen",
    "mlflow",
    "torch",
    "diffusers",
    "transformers",
    "numpy",
    "pandas",
    "av",
    "librosa",
    "soundfile",
    "opencv-python-headless",
    "safetensors",
)


def default_pip_requirements() -> list[str]:
    """``name==version`` for :data:`SERVING_PACKAGES` as installed in this environment."""
    pins = []
    for name in SERVING_PACKAGES:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            raise TrackingError(f"package {name!r} is not installed; it is needed to serve the generator") from None
    return pins


def example_request(seconds: float = 1.0, size: int = 64, seed: int = 0):
    """A one-row request: ``seconds`` of a 440 Hz tone (16-bit WAV) and a ``size``² PNG gradient picture.

    Returns a pandas DataFrame with binary ``music``/``image`` and ``seconds``, ``seed``, ``steps``.
    """
    import cv2
    import pandas as pd
    import soundfile

    rate = 22050
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    wav = io.BytesIO()
    soundfile.write(wav, 0.3 * np.sin(2 * np.pi * 440.0 * t), rate, format="WAV", subtype="PCM_16")
    ramp = np.linspace(0, 255, size, dtype=np.uint8)
    picture = np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None], np.full((size, size), 128, np.uint8)), -1)
    ok, png = cv2.imencode(".png", picture)
    if not ok:
        raise TrackingError("cannot encode the example PNG (OpenCV without PNG support?)")
    return pd.DataFrame(
        {"music": [wav.getvalue()], "image": [png.tobytes()], "seconds": [seconds], "seed": [seed], "steps": [2]}
    )


def generator_signature():
    """Input: binary music/image + optional seconds/seed/steps; output: base64 mp4 text."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema(
        [
            ColSpec("binary", "music"),
            ColSpec("binary", "image"),
            ColSpec("double", "seconds", required=False),
            ColSpec("long", "seed", required=False),
            ColSpec("long", "steps", required=False),
        ]
    )
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("string", OUTPUT_COLUMN)]))


def log_generator(
    model_dir: str | os.PathLike,
    *,
    run_id: str | None = None,
    experiment: str = "dancegen",
    name: str = "generator",
    pip_requirements: list[str] | None = None,
    input_example=None,
    tracking_uri: str | None = None,
):
    """Log the generator at ``model_dir`` (local directory or artifact URI) as a pyfunc; return MLflow's ModelInfo.

    The model is attached to ``run_id`` (e.g. the training run's ``MlflowTracker.run_id``) or to a new
    run in ``experiment``. While logging, MLflow runs the input example through ``predict`` once (one
    second, two denoising steps) and only warns if that fails.
    """
    import mlflow

    from dancegen.tracking.endpoints import mlflow_uris, require_tracking_server, resolve_endpoints
    from dancegen.tracking.mlflow_tracker import MlflowTracker

    location = os.fspath(model_dir)
    if "://" not in location and not (Path(location) / MODEL_INDEX).is_file():
        raise TrackingError(
            f"model_dir {location} has no {MODEL_INDEX}; pass a directory written by DanceModel.save_pretrained"
        )
    exported: contextlib.AbstractContextManager = contextlib.nullcontext()
    if tracking_uri is None:
        endpoints = resolve_endpoints()
        exported, tracking_uri = endpoints.exported(), endpoints.tracking_uri
    require_tracking_server(tracking_uri)
    if run_id is None:  # a fresh run (tagged with the git revision) just for this model
        run_id = MlflowTracker(experiment=experiment, run_name=f"log-{name}", tracking_uri=tracking_uri).run_id
    try:
        with exported, mlflow_uris(tracking_uri), mlflow.start_run(run_id=run_id):
            return mlflow.pyfunc.log_model(
                name=name,
                python_model=str(PYFUNC_MODEL_FILE),
                artifacts={"model_dir": location},
                signature=generator_signature(),
                input_example=example_request() if input_example is None else input_example,
                pip_requirements=pip_requirements or default_pip_requirements(),
            )
    except (mlflow.exceptions.MlflowException, OSError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise TrackingError(f"cannot log the generator to MLflow at {tracking_uri}: {detail}") from None
