import json

import cv2
import numpy as np

from dancegen.train.grids import grid, to_heat, to_rgb
from dancegen.train.tracking import FileTracker, NullTracker, Tracker, make_tracker


def test_file_tracker_writes_params_metrics_images_and_artifacts(tmp_path):
    tracker = make_tracker("files", tmp_path / "tracking", rank=0)
    assert isinstance(tracker, FileTracker) and isinstance(tracker, Tracker)
    tracker.log_params({"optim": {"lr": 1e-5}, "stage": 2})
    tracker.log_metrics({"loss": 0.5}, step=1)
    tracker.log_metrics({"loss": 0.25, "pix": 0.25}, step=2)
    image = np.zeros((16, 24, 3), np.uint8)
    image[:, :, 0] = 255  # red in RGB
    tracker.log_image(image, "samples", step=2)
    tracker.log_artifact(tmp_path)
    tracker.end()
    root = tmp_path / "tracking"
    assert json.loads((root / "params.json").read_text()) == {"optim.lr": 1e-5, "stage": 2}
    lines = [json.loads(line) for line in (root / "metrics.jsonl").read_text().splitlines()]
    assert lines == [{"step": 1, "loss": 0.5}, {"step": 2, "loss": 0.25, "pix": 0.25}]
    written = cv2.imread(str(root / "images" / "samples-00000002.png"))
    assert written.shape == (16, 24, 3) and written[0, 0].tolist() == [0, 0, 255]  # BGR on disk
    assert json.loads((root / "artifacts.jsonl").read_text())["path"] == str(tmp_path.resolve())


def test_only_rank_zero_tracks():
    assert isinstance(make_tracker("files", "/nonexistent", rank=1), NullTracker)
    assert isinstance(make_tracker("none", "/nonexistent", rank=0), NullTracker)


def test_grid_lays_out_labelled_columns():
    import torch

    images = torch.linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8)
    columns = [("reference", to_rgb(images, 32)), ("heat", to_heat(images[:, :1].abs(), 32))]
    sheet = grid(columns)
    assert sheet.shape == (14 + 2 * 32, 2 * 32, 3) and sheet.dtype == np.uint8
    assert sheet[:14].min() < 128  # the header has label text
