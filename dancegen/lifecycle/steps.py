"""Pipeline steps around the data and the serving hand-off: SDGPip into a Dataset artifact, and a Triton
model repository exported from a Model artifact. (Training: :mod:`.training`; evaluation: :mod:`.evaluation`;
registry: :mod:`.registry_steps`.)
"""

from __future__ import annotations

from typing import Any

from dancegen.lifecycle.artifacts import ArtifactLike, model_dir, step_dir, step_logger

log = step_logger(__name__)


def generate_dataset(
    dataset: ArtifactLike,
    tracks: int,
    track_seconds: float,
    clip_seconds: float,
    fps: float,
    size: int,
    seed: int = 0,
    workers: int = 2,
    clips_per_shard: int = 8,
    music_dir: str = "",
    work_root: str = "",
) -> dict[str, Any]:
    """Run SDGPip (paper §3.1) into ``dataset`` and describe it in ``dataset.metadata``.

    ``tracks`` procedural tracks of ``track_seconds`` (or the files of ``music_dir`` when given, with
    ``tracks`` 0) are cut into ``clip_seconds`` clips at ``fps`` and rendered at ``size``² pixels. SDGPip
    is resumable: a rerun into the same directory (see ``work_root`` in :mod:`.artifacts`) skips every
    finished shard and only rewrites the manifest.

    Returns the manifest's counts plus ``digest`` (the dataset identity recorded with trained models).
    """
    from dancegen.sdgpip.config import SDGPipConfig, load_sdgpip_config
    from dancegen.sdgpip.generate import manifest_digest, run_sdgpip

    settings: dict[str, Any] = dict(
        track_seconds=track_seconds,
        clip_seconds=clip_seconds,
        fps=fps,
        size=size,
        seed=seed,
        workers=workers,
        clips_per_shard=clips_per_shard,
    )
    if music_dir:
        settings["music_dir"] = music_dir
    if tracks:
        settings["synthetic_tracks"] = tracks
    identity = {key: value for key, value in settings.items() if key != "workers"}
    out = step_dir(dataset.path, work_root, "sdgpip", identity)
    cfg: SDGPipConfig = load_sdgpip_config(None, {**settings, "out": str(out)})
    manifest = run_sdgpip(cfg)
    summary = {**manifest["counts"], "digest": manifest_digest(manifest)}
    dataset.metadata.update(summary)
    log.info("dataset %s: %s", out, summary)
    return summary


def export_triton_repository(model: ArtifactLike, repository: ArtifactLike) -> str:
    """Write a Triton model repository for the model of ``model`` into ``repository`` (the serving hand-off).

    The repository layout (``<repo>/<model>/config.pbtxt``, ``<repo>/<model>/1/model.py`` + weights) is
    :func:`dancegen.serving.export.export_repository`'s; this step only connects the pipeline's artifacts to it.
    Returns the repository path.
    """
    source = model_dir(model.path)
    from dancegen.serving.export import export_repository  # the serving seam: (model directory, repository path)

    export_repository(source, repository.path)
    repository.metadata.update({"format": "triton-model-repository", "source": str(source)})
    return repository.path
