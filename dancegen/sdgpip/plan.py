"""Planning an SDGPip run: which tracks, which 5-second windows, which split and shard each clip goes to.

The plan depends only on the config (and the music files' durations), never on timing or worker
count, so a resumed or re-run job produces the same shards.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import AudioError, DancegenError
from dancegen.sdgpip.config import SDGPipConfig

MUSIC_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
SPLITS = ("train", "val", "test")
_AIST_MUSIC_ID = re.compile(r"_(m[A-Z]{2}\d)_")


@dataclass(frozen=True)
class TrackPlan:
    """One music track and the motion that goes with it."""

    index: int
    track_id: str  # "t00012"
    split: str
    seconds: float
    seed: int
    genre: str | None = None  # synthetic tracks: the generator's genre preset
    music_path: str | None = None  # file tracks
    motion_path: str | None = None  # AIST++ pickle (motion "aist:DIR"), else the choreographer


@dataclass(frozen=True)
class ClipPlan:
    """One clip: ``frames`` video frames starting at ``start_frame`` of its track."""

    track: TrackPlan
    clip_index: int
    start_frame: int
    frames: int

    @property
    def key(self) -> str:
        return f"{self.track.track_id}-c{self.clip_index:03d}"


@dataclass(frozen=True)
class ShardPlan:
    name: str  # "train-000003"
    split: str
    clips: tuple[ClipPlan, ...]


def _audio_seconds(path: Path) -> float:
    import soundfile as sf

    try:
        return float(sf.info(str(path)).duration)
    except Exception:
        from dancegen.audio import load_audio

        y, sr = load_audio(path)
        return len(y) / sr


def _assign_splits(n_tracks: int, cfg: SDGPipConfig) -> list[str]:
    """Deterministic split per track: a seeded permutation cut by the configured fractions."""
    order = np.random.default_rng(cfg.seed).permutation(n_tracks)
    n_test = int(round(n_tracks * cfg.splits.test))
    n_val = int(round(n_tracks * cfg.splits.val))
    if n_tracks >= 3:  # every split gets at least one track when there are enough of them
        n_test = max(n_test, 1 if cfg.splits.test > 0 else 0)
        n_val = max(n_val, 1 if cfg.splits.val > 0 else 0)
    splits = ["train"] * n_tracks
    for rank, track in enumerate(order):
        if rank < n_test:
            splits[track] = "test"
        elif rank < n_test + n_val:
            splits[track] = "val"
    return splits


def plan_tracks(cfg: SDGPipConfig) -> list[TrackPlan]:
    """The tracks of a run, in a fixed order, with their splits and seeds."""
    from dancegen.audio import list_genres

    rng = np.random.default_rng(cfg.seed)
    entries: list[dict] = []
    if cfg.synthetic_tracks:
        genres = cfg.genres or list(list_genres())
        unknown = sorted(set(genres) - set(list_genres()))
        if unknown:
            raise DancegenError(f"unknown genre(s) {unknown}; choose from {list(list_genres())}")
        for i in range(cfg.synthetic_tracks):
            entries.append(dict(seconds=cfg.track_seconds, genre=genres[i % len(genres)]))
    elif cfg.motion.startswith("aist:"):
        entries = _aist_entries(cfg)
    else:
        root = Path(cfg.music_dir)
        if not root.is_dir():
            raise AudioError(f"music directory {root} does not exist")
        files = sorted(p for p in root.iterdir() if p.suffix.lower() in MUSIC_SUFFIXES)
        if not files:
            raise AudioError(f"music directory {root} has no {'/'.join(MUSIC_SUFFIXES)} files")
        for path in files:
            entries.append(dict(seconds=_audio_seconds(path), music_path=str(path)))
    splits = _assign_splits(len(entries), cfg)
    seeds = rng.integers(0, 2**31 - 1, size=len(entries))
    return [
        TrackPlan(index=i, track_id=f"t{i:05d}", split=splits[i], seed=int(seeds[i]), **entry)
        for i, entry in enumerate(entries)
    ]


def _aist_entries(cfg: SDGPipConfig) -> list[dict]:
    """AIST++ motions paired with their music (``gBR_sBM_cAll_d04_mBR0_ch01.pkl`` ↔ ``mBR0.wav``)."""
    motion_dir = Path(cfg.motion.split(":", 1)[1])
    if not motion_dir.is_dir():
        raise DancegenError(f"AIST++ motion directory {motion_dir} does not exist (motion: aist:DIR)")
    if not cfg.music_dir:
        raise DancegenError("motion aist:DIR needs the AIST music directory too: add --music DIR")
    music = {p.stem: p for p in Path(cfg.music_dir).iterdir() if p.suffix.lower() in MUSIC_SUFFIXES}
    entries = []
    for path in sorted(motion_dir.glob("*.pkl")):
        match = _AIST_MUSIC_ID.search(path.stem + "_")
        if not match or match.group(1) not in music:
            raise DancegenError(f"no music file for AIST++ motion {path.name} in {cfg.music_dir}")
        entries.append(
            dict(
                seconds=_audio_seconds(music[match.group(1)]),
                music_path=str(music[match.group(1)]),
                motion_path=str(path),
            )
        )
    if not entries:
        raise DancegenError(f"AIST++ motion directory {motion_dir} has no .pkl files")
    return entries


def plan_clips(track: TrackPlan, cfg: SDGPipConfig) -> list[ClipPlan]:
    """Non-overlapping windows of ``clip_seconds`` that fit inside the track."""
    frames = cfg.frames_per_clip
    total = int(np.floor(track.seconds * cfg.fps + 1e-6))
    return [ClipPlan(track=track, clip_index=i, start_frame=i * frames, frames=frames) for i in range(total // frames)]


def plan_shards(cfg: SDGPipConfig) -> list[ShardPlan]:
    """All shards of the run: clips grouped per split, in track order, ``clips_per_shard`` each."""
    tracks = plan_tracks(cfg)
    shards: list[ShardPlan] = []
    for split in SPLITS:
        clips = [clip for track in tracks if track.split == split for clip in plan_clips(track, cfg)]
        for number, start in enumerate(range(0, len(clips), cfg.clips_per_shard)):
            chunk = tuple(clips[start : start + cfg.clips_per_shard])
            shards.append(ShardPlan(name=f"{split}-{number:06d}", split=split, clips=chunk))
    if not shards:
        raise AudioError(f"no track is at least one clip long ({cfg.clip_seconds} s): nothing to generate")
    return shards


def track_record(track: TrackPlan) -> dict:
    record = asdict(track)
    return {k: v for k, v in record.items() if v is not None}
