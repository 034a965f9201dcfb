import numpy as np
import pytest

from dancegen.errors import MotionError, WeightsError
from dancegen.metrics import DWPose, extract_keypoints, keypoints_from_heatmaps


def _heatmaps(cells: np.ndarray, size: tuple[int, int] = (16, 12)) -> np.ndarray:
    """(F, J, h, w) Gaussian blobs centred on ``cells (F, J, 2)`` given as (row, col)."""
    f, j, _ = cells.shape
    rows, cols = np.mgrid[0 : size[0], 0 : size[1]]
    d2 = (rows[None, None] - cells[..., 0, None, None]) ** 2 + (cols[None, None] - cells[..., 1, None, None]) ** 2
    return np.exp(-d2 / 2.0).astype(np.float32)


def test_heatmap_argmax_is_scaled_to_the_frame():
    cells = np.array([[[0, 0], [15, 11], [7, 3]], [[2, 9], [8, 8], [1, 5]]])
    keypoints = keypoints_from_heatmaps(_heatmaps(cells), frame_size=(128, 96))  # 8× the 16×12 heatmap
    assert keypoints.shape == (2, 3, 2)
    np.testing.assert_allclose(keypoints[..., 0], (cells[..., 1] + 0.5) * 8 - 0.5)  # x from columns
    np.testing.assert_allclose(keypoints[..., 1], (cells[..., 0] + 0.5) * 8 - 0.5)  # y from rows


def test_extract_keypoints_uses_heatmaps_without_dwpose():
    cells = np.random.default_rng(0).integers(0, 12, (4, 24, 2))
    frames = np.zeros((4, 128, 96, 3), np.uint8)
    keypoints, source = extract_keypoints(frames, heatmaps=_heatmaps(cells))
    assert source == "m2penc-heatmaps" and keypoints.shape == (4, 24, 2)
    with pytest.raises(MotionError, match="must match"):
        extract_keypoints(frames, heatmaps=_heatmaps(cells[:3]))


def test_missing_dwpose_model_is_a_clear_error(tmp_path):
    frames = np.zeros((2, 64, 48, 3), np.uint8)
    with pytest.raises(WeightsError, match=r"metrics\.dwpose_onnx = .*nope\.onnx.* does not exist"):
        extract_keypoints(frames, dwpose_onnx=str(tmp_path / "nope.onnx"))
    with pytest.raises(WeightsError, match=r"metrics\.dwpose_onnx is not set and no M2PEnc heatmaps"):
        extract_keypoints(frames)
    (tmp_path / "broken.onnx").write_bytes(b"not onnx")
    with pytest.raises(WeightsError, match="not a loadable ONNX model"):
        DWPose(tmp_path / "broken.onnx")


def test_dwpose_graph_runs_and_maps_simcc_back_to_the_frame(dwpose_file):
    """The stand-in graph puts every joint at the brightest column/row; one bright pixel per frame."""
    spots = [(10, 70), (33, 20), (50, 88)]  # (x, y) in a 64-wide, 96-high frame
    frames = np.zeros((len(spots), 96, 64, 3), np.uint8)
    for i, (x, y) in enumerate(spots):
        frames[i, y, x] = 255
    model = DWPose(dwpose_file)
    assert model.input_hw == (384, 288)
    keypoints, scores = model(frames)
    assert keypoints.shape == (3, 133, 2) and scores.shape == (3, 133)
    np.testing.assert_allclose(keypoints[:, 0], np.array(spots, float), atol=0.5)
    body, source = extract_keypoints(frames, dwpose_onnx=dwpose_file)
    assert source == "dwpose-onnx" and body.shape == (3, 17, 2)
