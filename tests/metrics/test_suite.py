import json

import numpy as np
import pytest
import torch
from metric_standins import FPS, SR, click_track, square_video

from dancegen.errors import ImageError
from dancegen.metrics import LPIPS, Clip, MetricsConfig, evaluate, to_json

JUMPS = [[8, 20, 33], [5, 18, 30]]
NAMES = ["ssim", "psnr", "lpips", "fvd", "beat_align", "beat_align_ground_truth", "av_align", "av_align_ground_truth"]
STEPS = np.array([2, 2, 1, 2, 2, 2, 2, 2] * 5)  # a joint's speed (px/frame): a strict minimum every 8 frames


def _clips(with_heatmaps: bool) -> list[Clip]:
    """Two 40-frame 96² clips: a dim square jumping on the clicks, and a bright 9-px bar (the "joint")
    moving right with speed ``STEPS``; heatmaps (F, 1, 4, 96) put the joint at the bar's column."""
    clips = []
    for jumps in JUMPS:
        frames = square_video(jumps, frames=40, size=96) // 2
        columns = 4 + np.concatenate([[0], np.cumsum(STEPS[:39])])
        frames[np.arange(40), 70:79, columns] = 255
        heatmaps = None
        if with_heatmaps:
            heatmaps = np.zeros((40, 1, 4, 96), np.float32)
            heatmaps[np.arange(40), 0, 2, columns] = 1.0
        clips.append(Clip(frames, click_track(jumps, frames=40), SR, FPS, heatmaps))
    return clips


def test_without_weights_the_suite_reports_what_it_cannot_compute():
    generated, reference = _clips(with_heatmaps=True), _clips(with_heatmaps=False)
    results = {r.name: r for r in evaluate(generated, reference, MetricsConfig())}
    assert list(results) == NAMES
    assert results["ssim"].value == pytest.approx(1.0) and results["psnr"].value == float("inf")
    assert results["lpips"].value is None and "metrics.lpips_weights" in results["lpips"].reason
    assert results["fvd"].value is None and "metrics.i3d_torchscript" in results["fvd"].reason
    assert results["beat_align"].available and results["beat_align"].details["keypoints"] == "m2penc-heatmaps"
    assert "metrics.dwpose_onnx" in results["beat_align_ground_truth"].reason
    assert results["av_align"].available and results["av_align"].details["clips"] == 2
    decoded = json.loads(to_json(results.values()))
    assert [item["status"] for item in decoded].count("unavailable") == 3


def test_with_weights_every_metric_is_computed(tmp_path, i3d_file, dwpose_file):
    torch.manual_seed(0)
    lpips_state = LPIPS("alex").state_dict()
    torch.save(lpips_state, tmp_path / "lpips.pth")
    config = MetricsConfig(
        lpips_weights=str(tmp_path / "lpips.pth"), i3d_torchscript=i3d_file, dwpose_onnx=dwpose_file, fvd_clip_frames=8
    )
    generated = _clips(with_heatmaps=True)
    reference = [Clip(np.where(c.frames == 255, 255, 0).astype(np.uint8), c.audio, c.sr, c.fps) for c in generated]
    results = {r.name: r for r in evaluate(generated, reference, config)}
    assert all(r.available for r in results.values()), [r.reason for r in results.values() if not r.available]
    assert results["fvd"].details["convention"] == "stylegan-v"
    assert results["beat_align"].details["keypoints"] == "dwpose-onnx"
    assert results["ssim"].value < 1.0 and np.isfinite(results["psnr"].value)


def test_mismatched_clip_lists_are_refused():
    clips = _clips(with_heatmaps=False)
    with pytest.raises(ImageError, match="same non-zero number"):
        evaluate(clips, clips[:1], MetricsConfig())
    small = [Clip(c.frames[:, :32], c.audio, c.sr, c.fps) for c in clips]
    with pytest.raises(ImageError, match="differ in shape"):
        evaluate(clips, small, MetricsConfig())
