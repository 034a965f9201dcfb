"""The served generator as an MLflow pyfunc (a models-from-code file: MLflow runs it to build the model).

``log_generator`` (:mod:`dancegen.tracking.models`) logs this file with one artifact, ``model_dir`` (the
exported DanceModel directory). ``load_context`` checks that directory; ``predict`` validates the request
table (:mod:`dancegen.tracking.generation_request`) and hands each row to
``dancegen.infer.generate_video_bytes``. Output: a DataFrame with one ``video_mp4`` column (base64 mp4).
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd

from dancegen.errors import WeightsError
from dancegen.tracking.generation_request import OUTPUT_COLUMN, encode_video, parse_requests
from dancegen.tracking.models import MODEL_INDEX


class DanceGenerator(mlflow.pyfunc.PythonModel):
    """music + reference image → dance video (mp4)."""

    model_dir: Path | None = None

    def load_context(self, context) -> None:
        """Resolve ``context.artifacts["model_dir"]`` (downloaded by MLflow): a saved DanceModel directory."""
        location = context.artifacts.get("model_dir")
        if not location:
            raise WeightsError("the logged model has no 'model_dir' artifact; log it with dancegen.tracking.models")
        model_dir = Path(location)
        if not (model_dir / MODEL_INDEX).is_file():
            raise WeightsError(
                f"model_dir artifact {model_dir} has no {MODEL_INDEX}; log a directory written by "
                "DanceModel.save_pretrained (the training export)"
            )
        self.model_dir = model_dir

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """``model_input``: request table (music, image[, seconds, seed, steps]) → DataFrame[video_mp4]."""
        requests = parse_requests(model_input)
        from dancegen.infer import generate_video_bytes

        videos = [generate_video_bytes(self.model_dir, r.music, r.image, r.seconds, r.seed, r.steps) for r in requests]
        return pd.DataFrame({OUTPUT_COLUMN: [encode_video(video) for video in videos]})


mlflow.models.set_model(DanceGenerator())
