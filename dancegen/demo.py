"""``dancegen demo``: the whole lifecycle on embedded defaults, small enough for a 2-core laptop.

1. the local stack: SeaweedFS (S3) + MLflow on 127.0.0.1 (``dancegen stack up``);
2. the training pipeline under the KFP local runner at the tiny preset (``dancegen pipeline run --local``):
   SDGPip → stages 0–3 (DeepSpeed on CPU) → evaluation → registration → gated promotion → Triton export;
3. a dance video for a new procedural song and a reference photo from ``models:/dancegen@champion``;
4. the same request served by Triton (the champion's model repository, ``dancegen serve``/``client``).

Every step prints what it does; the pipeline's steps stream their logs and progress bars. A second run
reuses every finished pipeline step (kfp.local's cache under ``OUT/pipeline``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MODEL_NAME = "dancegen"
CHAMPION = f"models:/{MODEL_NAME}@champion"


@dataclass(frozen=True)
class DemoSettings:
    """What the demo trains on and generates (the pipeline parameters it passes; 0 steps = the preset's)."""

    tracks: int = 12
    track_seconds: float = 20.0
    clip_seconds: float = 5.0
    fps: float = 3.0  # 15-frame clips: the tiny M2PEnc attends over at most 16 frames
    size: int = 64
    processes: int = 2  # two one-thread training processes beat one two-thread process on 2 cores
    stage_steps: tuple[int, int, int, int] = (0, 0, 0, 0)
    eval_steps: int = 10
    eval_clips: int = 2
    song_seconds: float = 12.0
    song_genre: str = "house"
    generate_steps: int = 25
    guidance_scale: float = 1.0  # training never drops the reference, so no classifier-free guidance
    serve: bool = True

    def pipeline_params(self, model_name: str = MODEL_NAME) -> list[str]:
        """``key=value`` parameters of the training pipeline."""
        params = {
            "preset": "tiny",
            "tracks": self.tracks,
            "track_seconds": self.track_seconds,
            "clip_seconds": self.clip_seconds,
            "fps": self.fps,
            "size": self.size,
            "sdgpip_workers": 1,
            "processes": self.processes,
            "eval_steps": self.eval_steps,
            "eval_clips": self.eval_clips,
            "model_name": model_name,
            "experiment": "dancegen-demo",
            **{f"stage{stage}_steps": steps for stage, steps in enumerate(self.stage_steps)},
        }
        return [f"{key}={value}" for key, value in params.items()]


DEFAULTS = DemoSettings()
MICRO = DemoSettings(  # the demo's own test: every step, one optimizer step per stage
    tracks=3,
    track_seconds=1.0,
    clip_seconds=1.0,
    fps=8.0,
    processes=1,
    stage_steps=(1, 1, 1, 1),
    eval_steps=1,
    eval_clips=1,
    song_seconds=2.0,
    generate_steps=2,
)


def _newest(root: Path, pattern: str) -> Path | None:
    found = [path for path in root.glob(pattern) if path.exists()]
    return max(found, key=lambda path: path.stat().st_mtime) if found else None


def _reference_photo(dataset: Path, out: Path) -> Path:
    """The reference image of the dataset's first test clip (a person the pipeline never trained on)."""
    import cv2

    from dancegen.evaluation.benchmark import split_samples

    sample = next(split_samples(dataset, "test", max_clips=1))
    path = out / "reference.png"
    cv2.imwrite(str(path), cv2.cvtColor(sample.reference, cv2.COLOR_RGB2BGR))
    return path


def _song(settings: DemoSettings, out: Path) -> Path:
    """A procedural song the model never heard (another seed than the dataset's tracks)."""
    from dancegen.audio.synth import generate_track, write_track

    track = generate_track(settings.song_genre, settings.song_seconds, seed=20261124)
    path = out / "song.wav"
    write_track(track, path)  # also writes the true beat times beside it
    return path


def _serve(model_dir: Path, song: Path, photo: Path, settings: DemoSettings, out: Path) -> Iterator[str]:
    """Export the champion's Triton repository, start tritonserver, request the video, stop the server."""
    from dancegen.process import free_port
    from dancegen.serving.client import DanceClient
    from dancegen.serving.export import export_repository
    from dancegen.serving.server import TritonServer
    from dancegen.storage import atomic_write_bytes

    repo = out / "triton-repository"
    export_repository(model_dir, repo)
    server = TritonServer(
        str(repo), http_port=free_port(), grpc_port=free_port(), metrics_port=free_port(), run_dir=out / "triton"
    )
    server.start()
    try:
        yield f"      Triton ready on {server.grpc_url} (gRPC); requesting the video"
        with DanceClient(server.grpc_url) as client:
            video = client.generate(
                song.read_bytes(),
                photo.read_bytes(),
                steps=settings.generate_steps,
                seed=0,
                guidance_scale=settings.guidance_scale,
            )
        path = out / "dance_triton.mp4"
        atomic_write_bytes(path, video)
        yield f"      served video: {path} ({len(video) / 1e6:.2f} MB)"
    finally:
        server.stop()


def run_demo(out: Path, settings: DemoSettings = DEFAULTS, home: Path | None = None) -> Iterator[str]:
    """Run the demo into ``out`` (the local stack under ``home``, default ``$DANCEGEN_HOME``); yield lines to print."""
    from dancegen.infer import generate
    from dancegen.infer.model_uri import resolve_model_dir
    from dancegen.lifecycle.runner import run_local
    from dancegen.sdgpip.preview import preview_clip
    from dancegen.tracking.endpoints import resolve_endpoints
    from dancegen.tracking.stack import LocalStack

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    total = 5 if settings.serve else 4

    stack = LocalStack(home)
    yield f"[1/{total}] local stack (SeaweedFS S3 + MLflow) under {stack.root}"
    stack.up()
    endpoints = resolve_endpoints(home=home)
    endpoints.export()  # the pipeline's step processes inherit the endpoints
    yield f"      {endpoints.describe()}"

    yield f"[2/{total}] training pipeline, tiny preset, KFP local runner → {out / 'pipeline'}"
    outputs = run_local("training", settings.pipeline_params(), out / "pipeline")
    verdict = "promoted to champion" if outputs.get("promoted") else "stays a candidate"
    yield f"      registered {MODEL_NAME} version {outputs.get('version')}: {verdict} ({outputs.get('reason')})"
    runs = out / "pipeline" / "outputs"
    dataset = _newest(runs, "*/sdgpip-generate/dataset")
    report = _newest(runs, "*/evaluate/report")

    yield f"[3/{total}] guidance maps of one training clip"
    sheet, maps_video = preview_clip(dataset, out / "guidance-preview")

    yield f"[4/{total}] dance video from {CHAMPION} for a new song and a reference photo"
    song, photo = _song(settings, out), _reference_photo(dataset, out)
    model_dir = resolve_model_dir(CHAMPION)
    result = generate(
        song, photo, model_dir, steps=settings.generate_steps, guidance_scale=settings.guidance_scale, preview=True
    )
    video = result.write(out / "dance.mp4")
    preview = result.write_preview(out / "dance.preview.mp4")

    if settings.serve:
        yield f"[5/{total}] the same request served by Triton Inference Server"
        yield from _serve(model_dir, song, photo, settings, out)

    yield ""
    yield f"dance video:          {video}  (music: {song}, photo: {photo})"
    yield f"video | pose preview: {preview}"
    yield f"guidance maps:        {sheet}, {maps_video}"
    yield f"evaluation report:    {report}"
    yield f"MLflow UI:            {endpoints.tracking_uri}/#/models/{MODEL_NAME}"
    yield f"done in {time.perf_counter() - start:.0f} s"
