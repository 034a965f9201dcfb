"""Running SDGPip: plan → clips (in worker processes) → tar shards → manifest.

Resumable: a shard counts as finished when its tar and its ``.json`` sidecar (checksum, clip keys)
are both present and agree; finished shards are skipped. Shards are built in a local temporary file
and moved (local) or uploaded (S3) in one step, and the sidecar is written after the shard, so a
killed run loses at most the shard in progress and never leaves a partial shard looking complete.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

import dancegen
from dancegen.sdgpip.clips import make_clip
from dancegen.sdgpip.config import SDGPipConfig
from dancegen.sdgpip.plan import SPLITS, ClipPlan, ShardPlan, plan_shards, plan_tracks, track_record
from dancegen.sdgpip.shards import encode_sample, write_shard
from dancegen.storage import Location

MANIFEST = "manifest.json"


def _encoded_clip(args: tuple[ClipPlan, SDGPipConfig]) -> tuple[str, dict[str, bytes]]:
    clip, cfg = args
    sample = make_clip(clip, cfg)
    return clip.key, encode_sample(sample, cfg.fps, crf=cfg.crf)


def _sidecar_ok(out: Location, shard: ShardPlan) -> dict | None:
    """The shard's sidecar record if the shard is finished and intact, else None."""
    name = f"shards/{shard.name}.json"
    if not out.exists(name) or not out.exists(f"shards/{shard.name}.tar"):
        return None
    try:
        record = json.loads(out.read_bytes(name))
    except json.JSONDecodeError:
        return None
    if record.get("clips") != [clip.key for clip in shard.clips]:
        return None
    if not out.is_s3:  # local: re-hash (cheap); S3: trust the sidecar, written after a complete upload
        digest = hashlib.sha256(Path(out.join(f"shards/{shard.name}.tar")).read_bytes()).hexdigest()
        if digest != record.get("sha256"):
            return None
    return record


def _clip_stream(todo: list[ShardPlan], cfg: SDGPipConfig) -> Iterator[tuple[str, dict[str, bytes]]]:
    """Encoded clips of the shards still to do, in plan order, computed by ``cfg.workers`` processes."""
    jobs = [(clip, cfg) for shard in todo for clip in shard.clips]
    if cfg.workers <= 1 or len(jobs) <= 1:
        yield from map(_encoded_clip, jobs)
        return
    # spawn: every worker makes its own EGL context; fork would share the parent's GL state
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=cfg.workers, mp_context=context) as pool:
        yield from pool.map(_encoded_clip, jobs, chunksize=1)


def run_sdgpip(cfg: SDGPipConfig, stop_after_shards: int | None = None) -> dict:
    """Generate the dataset described by ``cfg``; return the manifest.

    ``stop_after_shards`` ends the run early after that many newly written shards (used to test
    resumption); the manifest is only written when every shard is finished.
    """
    out = Location.parse(cfg.out)
    out.ensure_writable()
    tracks = plan_tracks(cfg)
    shards = plan_shards(cfg)
    records = {shard.name: _sidecar_ok(out, shard) for shard in shards}
    todo = [shard for shard in shards if records[shard.name] is None]
    n_done = sum(len(s.clips) for s in shards) - sum(len(s.clips) for s in todo)
    n_clips = sum(len(s.clips) for s in shards)

    written = 0
    stream = _clip_stream(todo, cfg)
    with (
        tempfile.TemporaryDirectory(prefix="sdgpip-") as tmp,
        tqdm(total=n_clips, initial=n_done, unit="clip", desc="sdgpip", dynamic_ncols=True) as bar,
    ):
        for shard in todo:
            samples = []
            for _ in shard.clips:
                samples.append(next(stream))
                bar.update(1)
            local = Path(tmp) / f"{shard.name}.tar"
            write_shard(local, samples)
            digest = hashlib.sha256(local.read_bytes()).hexdigest()
            out.upload_file(f"shards/{shard.name}.tar", local)
            record = {
                "name": shard.name,
                "split": shard.split,
                "clips": [key for key, _ in samples],
                "sha256": digest,
                "bytes": local.stat().st_size,
            }
            out.write_bytes(f"shards/{shard.name}.json", json.dumps(record, sort_keys=True).encode())
            local.unlink()
            records[shard.name] = record
            written += 1
            if stop_after_shards is not None and written >= stop_after_shards:
                stream.close()
                return {}
    stream.close()

    manifest = build_manifest(cfg, tracks, shards, records)
    out.write_bytes(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return manifest


def build_manifest(cfg: SDGPipConfig, tracks, shards: list[ShardPlan], records: dict[str, dict]) -> dict:
    """Config, counts, per-shard checksums and splits. No timestamps: equal runs give equal manifests."""
    config = cfg.model_dump(mode="json")
    config.pop("out")
    config.pop("workers")  # how a run was parallelised does not change its data
    splits = {split: [s.name for s in shards if s.split == split] for split in SPLITS}
    return {
        "format": "dancegen-sdgpip",
        "format_version": 1,
        "dancegen_version": dancegen.__version__,
        "config": config,
        "counts": {
            "tracks": len(tracks),
            "clips": sum(len(s.clips) for s in shards),
            "shards": len(shards),
            "frames_per_clip": cfg.frames_per_clip,
            **{f"{split}_clips": sum(len(s.clips) for s in shards if s.split == split) for split in SPLITS},
        },
        "splits": splits,
        "shards": [records[s.name] for s in shards],
        "tracks": [track_record(t) for t in tracks],
    }


def manifest_digest(manifest: dict) -> str:
    """A short content hash of a manifest (recorded with trained models as the dataset identity)."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]


def load_manifest(data: str | os.PathLike) -> dict:
    """Read ``manifest.json`` of a dataset directory or s3:// prefix."""
    from dancegen.errors import StorageError

    location = Location.parse(data)
    if not location.exists(MANIFEST):
        raise StorageError(f"{location.uri} has no {MANIFEST}: not a finished SDGPip dataset (run `dancegen sdgpip`)")
    return json.loads(location.read_bytes(MANIFEST))
