"""Per-clip beat-alignment plots: joint speed over time with the motion beats and the music beats marked.

One PNG per clip, one panel per video (ground truth above, generated below). Motion beats are the minima of
the speed curve that 2D-BeatAlign scores (dots); music beats are librosa's beats (dashed lines). A panel
whose clip has no keypoints says why instead of drawing a curve.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np

from dancegen.evaluation.beats import BeatAnalysis

MUSIC_COLOUR = "#c0392b"
MOTION_COLOUR = "#1f5fa8"


def _panel(axis, analysis: BeatAnalysis, label: str, fps: float) -> None:
    result = analysis.result
    if analysis.speed is None:
        axis.text(0.5, 0.5, "\n".join(textwrap.wrap(f"{label}: {result.reason}", 90)), ha="center", va="center")
        axis.set_xticks([])
        axis.set_yticks([])
        return
    seconds = (np.arange(len(analysis.speed)) + 1) / fps  # speed[i] is the motion into frame i+1
    axis.plot(seconds, analysis.speed, color="#333333", linewidth=1.2, label="mean joint speed")
    for k, beat in enumerate(analysis.music_beats):
        legend = "music beat" if k == 0 else None
        axis.axvline(beat / fps, color=MUSIC_COLOUR, linestyle="--", linewidth=0.9, label=legend)
    motion = analysis.motion_beats[(analysis.motion_beats >= 1) & (analysis.motion_beats <= len(analysis.speed))]
    axis.plot(motion / fps, analysis.speed[motion - 1], "o", color=MOTION_COLOUR, markersize=5, label="motion beat")
    score = f"{result.value:.3f}" if result.available else "unavailable"
    axis.set_title(f"{label}: 2D-BeatAlign {score} (keypoints: {analysis.keypoint_source})", fontsize=9)
    axis.set_ylabel("px / frame", fontsize=8)
    axis.tick_params(labelsize=8)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def beat_figure(name: str, real: BeatAnalysis, fake: BeatAnalysis, fps: float):
    """A matplotlib Figure with clip ``name``'s two panels (ground truth above, generated below) at ``fps``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.4))  # no pyplot: no global figure state, no GUI backend
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 1, sharex=True)
    _panel(axes[0], real, "ground truth", fps)
    _panel(axes[1], fake, "generated", fps)
    axes[1].set_xlabel("seconds", fontsize=8)
    figure.suptitle(name, fontsize=10)
    figure.tight_layout()
    return figure


def beat_plot_png(name: str, real: BeatAnalysis, fake: BeatAnalysis, fps: float) -> bytes:
    """PNG bytes of :func:`beat_figure`."""
    figure = beat_figure(name, real, fake, fps)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()
