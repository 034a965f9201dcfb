"""KFP component ``sdgpip_generate``: the synthetic dataset of paper §3.1 as a Dataset artifact."""

from kfp import dsl
from kfp.dsl import Dataset, Output

from components import BASE_IMAGE


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False)
def sdgpip_generate(
    dataset: Output[Dataset],
    tracks: int = 12,
    track_seconds: float = 20.0,
    clip_seconds: float = 5.0,
    fps: float = 15.0,
    size: int = 64,
    seed: int = 0,
    workers: int = 2,
    clips_per_shard: int = 8,
    music_dir: str = "",
    work_root: str = "",
):
    """Generate a sharded SDGPip dataset: music → beat-synchronised SMPL motion → guidance maps, target frames.

    Tracks are split by track into train/val/test (80/10/10, at least one track each from three tracks
    on). The dataset's metadata records its clip counts and manifest digest. A rerun into the same
    work directory skips every finished shard.

    Args:
        dataset: Output dataset directory (``manifest.json`` + ``shards/*.tar``).
        tracks: Number of procedural music tracks (0 when ``music_dir`` is given).
        track_seconds: Length of each procedural track in seconds.
        clip_seconds: Length of each clip in seconds (the paper uses 5).
        fps: Video frame rate of the clips.
        size: Square frame size in pixels, a multiple of 8 (64 for the tiny preset, 640 for the paper's).
        seed: Seed of music, motion and appearance; the same seed gives byte-identical shards.
        workers: Rendering processes.
        clips_per_shard: Clips per WebDataset tar shard.
        music_dir: Directory of music files (inside the container) to use instead of procedural tracks.
        work_root: Local directory that keeps unfinished work across reruns ("" in a cluster).
    """
    from dancegen.lifecycle.steps import generate_dataset

    generate_dataset(
        dataset,
        tracks=tracks,
        track_seconds=track_seconds,
        clip_seconds=clip_seconds,
        fps=fps,
        size=size,
        seed=seed,
        workers=workers,
        clips_per_shard=clips_per_shard,
        music_dir=music_dir,
        work_root=work_root,
    )
