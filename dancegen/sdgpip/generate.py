"""Running SDGPip: plan → clips (in worker processes) → tar shards → manifest.

Resumable: a shard counts as finished when its tar and its ``.json`` sidecar (checksum, clip keys)
are both present and agree; finished shards are skipped. Shards are built in a local temporary file
and moved (local) or uploaded (S3) in one step, and the sidecar is written after the shard, so a
killed run loses at most the shard in progress and never leaves a partial shard looking complete.

Throughput: one clip is CPU-bound work in one process (render, colour tables, x264 on one thread), so
``workers`` processes each run torch, OpenCV and llvmpipe single-threaded — their thread pools only add
spin-waits when every core already has a worker (posing took 1.7–2× the CPU with torch's 2 threads). The
worker pool outlives a run: each worker keeps its GL context, body model and renderer for the next one.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm import tqdm

import dancegen
from dancegen.sdgpip.clips import make_clip
from dancegen.sdgpip.config import SDGPipConfig
from dancegen.sdgpip.plan import SPLITS, ClipPlan, ShardPlan, plan_shards, plan_tracks, track_record
from dancegen.sdgpip.shards import FORMAT_VERSION, encode_sample, write_shard
from dancegen.storage import Location

MANIFEST = "manifest.json"


def _encoded_clip(clip: ClipPlan, cfg: SDGPipConfig) -> tuple[str, dict[str, bytes]]:
    sample = make_clip(clip, cfg)
    return clip.key, encode_sample(sample, cfg.fps, crf=cfg.crf)


def _encoded_clips(args: tuple[tuple[ClipPlan, ...], SDGPipConfig]) -> list[tuple[str, dict[str, bytes]]]:
    """A worker job: clips of one track (its music features, motion and look are computed once)."""
    clips, cfg = args
    return [_encoded_clip(clip, cfg) for clip in clips]


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


def _set_threads(torch_threads: int, cv2_threads: int) -> tuple[int, int]:
    """Set torch's and OpenCV's thread counts; return the previous ones."""
    import cv2
    import torch

    before = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(torch_threads)
    cv2.setNumThreads(cv2_threads)
    return before


@contextlib.contextmanager
def _single_threaded() -> Iterator[None]:
    """torch and OpenCV on one thread for the duration (restored after: in-process runs share the caller)."""
    before = _set_threads(1, 1)
    try:
        yield
    finally:
        _set_threads(*before)


def _init_worker() -> None:
    """A pool worker: single-threaded libraries for its whole life."""
    os.environ["LP_NUM_THREADS"] = "0"  # llvmpipe rasterises on the calling thread (read when GL starts)
    _set_threads(1, 1)


_POOL: dict[int, ProcessPoolExecutor] = {}


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of ``workers`` SDGPip workers, kept between runs (the last size only).

    spawn, not fork: every worker makes its own EGL context; fork would share the parent's GL state.
    """
    if workers not in _POOL:
        for pool in _POOL.values():
            pool.shutdown(cancel_futures=True)
        _POOL.clear()
        context = multiprocessing.get_context("spawn")
        _POOL[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker)
    return _POOL[workers]


def _clip_stream(todo: list[ShardPlan], cfg: SDGPipConfig) -> Iterator[tuple[str, dict[str, bytes]]]:
    """Encoded clips of the shards still to do, in plan order, computed by ``cfg.workers`` processes.

    Workers take one track at a time: handing a track's clips to different workers would make each of them
    compute the track's features and motion again.
    """
    clips = [clip for shard in todo for clip in shard.clips]
    if cfg.workers <= 1 or len(clips) <= 1:
        with _single_threaded():
            for clip in clips:
                yield _encoded_clip(clip, cfg)
        return
    jobs = [(tuple(group), cfg) for _, group in itertools.groupby(clips, key=lambda clip: clip.track.track_id)]
    try:
        for encoded in _worker_pool(cfg.workers).map(_encoded_clips, jobs):
            yield from encoded
    except BrokenProcessPool:
        _POOL.pop(cfg.workers, None)  # a worker died (killed, out of memory): the next run starts a new pool
        raise


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
        "format_version": FORMAT_VERSION,
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
