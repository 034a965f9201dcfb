import numpy as np
import pytest

from dancegen.metrics.silhouette import foreground_mask, mask_iou, silhouette_iou, silhouette_mask


def scene(left: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A wall-and-floor background that changes down the image, a 6×30 px 'body' at column ``left``, and its
    semantic map (black background, coloured body with H.264-like noise near black)."""
    rows = np.linspace(200, 60, size)[:, None, None] * np.ones((1, size, 3))
    rows[size * 2 // 3 :] = [90, 60, 80]  # the floor
    frame = rows.astype(np.uint8)
    frame[20:50, left : left + 6] = [200, 40, 60]
    semantic = np.random.default_rng(0).integers(0, 12, (size, size, 3)).astype(np.uint8)
    semantic[20:50, left : left + 6] = [0, 255, 120]
    return frame, semantic


def test_a_frame_matches_its_own_silhouette_not_a_displaced_one():
    frame, semantic = scene(left=20)
    assert silhouette_iou(frame, semantic)[0] == 1.0
    _, moved = scene(left=23)  # half a body width away
    assert silhouette_iou(frame, moved)[0] == pytest.approx(3 / 9)
    noise = np.random.default_rng(1).integers(0, 256, frame.shape).astype(np.uint8)
    assert silhouette_iou(noise, semantic)[0] < 0.1  # noise scores about the body's share of the image


def test_masks_and_iou_shapes():
    frame, semantic = scene(left=10)
    assert foreground_mask(np.stack([frame, frame])).shape == (2, 64, 64)
    assert silhouette_mask(semantic).sum() == 6 * 30
    empty = np.zeros((1, 4, 4), bool)
    assert mask_iou(empty, empty)[0] == 1.0
    with pytest.raises(ValueError, match="RGB"):
        foreground_mask(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="shapes differ"):
        mask_iou(empty, np.zeros((1, 4, 5), bool))
