"""SSIM + PSNR throughput: dancegen.metrics vs torchmetrics on the same 512² frame pairs.

ours:     ``dancegen.metrics.ssim_psnr`` on (N, 512, 512, 3) uint8 arrays — per-frame SSIM with the
          scikit-image/Wang et al. setting (Gaussian σ 1.5, population covariance, data range 255) and PSNR,
          in one pass.
baseline: torchmetrics 1.9 ``structural_similarity_index_measure`` (Gaussian 11×11, σ 1.5, data range 255,
          per-frame) + ``peak_signal_noise_ratio`` (data range 255, per-frame) on the same frames, including
          the uint8 → float tensor conversion it needs.
Both are timed best-of-REPEATS, interleaved (the machine is shared; the 1-minute load average is printed).
``max_abs_ssim_error_vs_skimage`` compares both with scikit-image's ``structural_similarity`` on 2 frames.

Run:  .venv/bin/python bench/metrics.py [--frames 16] [--size 512] [--repeats 3]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from skimage.metrics import structural_similarity
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

    from dancegen.metrics import ssim_psnr

    rng = np.random.default_rng(0)
    shape = (args.frames, args.size, args.size, 3)
    reference = rng.integers(0, 256, shape, dtype=np.uint8)
    generated = np.clip(reference.astype(np.int16) + rng.integers(-25, 26, shape), 0, 255).astype(np.uint8)

    def ours():
        return ssim_psnr(generated, reference)

    def baseline():
        x = torch.from_numpy(generated).permute(0, 3, 1, 2).float()
        y = torch.from_numpy(reference).permute(0, 3, 1, 2).float()
        ssim = structural_similarity_index_measure(x, y, data_range=255.0, reduction="none")
        psnr = peak_signal_noise_ratio(x, y, data_range=255.0, reduction="none", dim=(1, 2, 3))
        return ssim.numpy(), psnr.numpy()

    ours(), baseline()  # warm-up (allocations, lazy imports)
    ours_s, base_s = float("inf"), float("inf")
    for _ in range(args.repeats):
        ours_s = min(ours_s, _timed(ours))
        base_s = min(base_s, _timed(baseline))

    (ours_ssim, ours_psnr), (base_ssim, base_psnr) = ours(), baseline()
    skimage_ssim = np.array(
        [
            structural_similarity(
                generated[i],
                reference[i],
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
                data_range=255,
                channel_axis=-1,
            )
            for i in range(2)
        ]
    )
    print(
        json.dumps(
            {
                "frames": args.frames,
                "size": args.size,
                "repeats": args.repeats,
                "torch_threads": torch.get_num_threads(),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "ours_frames_per_s": round(args.frames / ours_s, 2),
                "torchmetrics_frames_per_s": round(args.frames / base_s, 2),
                "speedup_vs_torchmetrics": round(base_s / ours_s, 2),
                "ours_ms_per_frame": round(1000 * ours_s / args.frames, 2),
                "torchmetrics_ms_per_frame": round(1000 * base_s / args.frames, 2),
                "max_abs_ssim_error_vs_skimage": {
                    "ours": float(np.abs(ours_ssim[:2] - skimage_ssim).max()),
                    "torchmetrics": float(np.abs(base_ssim[:2] - skimage_ssim).max()),
                },
                "max_abs_psnr_difference_ours_vs_torchmetrics": float(np.abs(ours_psnr - base_psnr).max()),
            }
        )
    )


if __name__ == "__main__":
    main()
