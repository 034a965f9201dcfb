"""Streaming SDGPip shards into training batches: deterministic for a seed, split per rank, resumable.

Epoch ``e`` visits the split's shards in the order of a permutation seeded by ``(seed, e)``, and each
shard's clips in a permutation seeded by ``(seed, e, shard)``; clips whose ``meta.motion`` is not in
``data.motion_sources`` are dropped. Ranks divide that global order either by sample (rank ``r`` of ``W``
takes global samples ``r, r+W, …``; every rank reads every shard, decodes only its own) or by shard
(shards ``r, r+W, …``; needs at least W shards). A rank's :class:`DataPosition` is (epoch, samples it has
consumed in that epoch); a stream started from a saved position skips that many samples without decoding
them, so a resumed run sees exactly the batches the uninterrupted run would have seen. Shards are read
whole from a local directory or an ``s3://`` prefix (:class:`~dancegen.storage.Location`). With
``data.cache_mb`` a rank keeps its decoded clips (resized to the model's size) in memory up to that budget:
a small dataset read for many epochs, like the tiny preset's, then costs its H.264 decoding once.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from dancegen.errors import ConfigError, DancegenError
from dancegen.sdgpip.generate import load_manifest
from dancegen.sdgpip.shards import ClipSample, decode_sample, read_shard
from dancegen.storage import Location
from dancegen.train.samples import SampleSpec, check_clip, clip_bytes, collate, prepare_sample, resize_clip


@dataclass(frozen=True)
class DataPosition:
    """Where a rank's stream stands: ``index`` samples of epoch ``epoch`` consumed."""

    epoch: int = 0
    index: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DataPosition:
        return cls(epoch=int(data["epoch"]), index=int(data["index"]))


class ClipStream:
    """Endless stream of ``(position after the sample, TrainSample)`` for one rank."""

    def __init__(
        self,
        data: str,
        spec: SampleSpec,
        *,
        split: str = "train",
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        rank_split: str = "samples",
        motion_sources: list[str] | None = None,
        start: DataPosition = DataPosition(),
        cache_mb: int = 0,
    ):
        self.location = Location.parse(data)
        self.manifest = load_manifest(data)
        self.shards = list(self.manifest.get("splits", {}).get(split, []))
        if not self.shards:
            raise ConfigError(f"dataset {data} has no shards in split {split!r} (data.split); pick another split")
        if rank_split == "shards" and len(self.shards) < world_size:
            raise ConfigError(
                f"data.rank_split is 'shards' but split {split!r} has {len(self.shards)} shards for {world_size} "
                f"processes; use data.rank_split=samples or a dataset with more shards"
            )
        self.data, self.spec, self.seed, self.split = data, spec, seed, split
        self.rank, self.world_size, self.rank_split = rank, world_size, rank_split
        self.motion_sources = set(motion_sources) if motion_sources is not None else None
        self.start = start
        self.cache_bytes = cache_mb * 2**20
        self._cache: dict[str, ClipSample] = {}
        self._cached_bytes = 0

    def _shard_members(self, name: str) -> list[tuple[str, dict[str, bytes]]]:
        shard = f"shards/{name}.tar"
        if self.location.is_s3:
            return read_shard(self.location.read_bytes(shard))
        return read_shard(self.location.join(shard))

    def _epoch_order(self, epoch: int) -> Iterator[tuple[int, str, dict[str, bytes]]]:
        """``(global index, key, members)`` of the epoch for this rank, after the motion filter."""
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.shards))
        global_index = 0
        for position, shard_id in enumerate(order):
            if self.rank_split == "shards" and position % self.world_size != self.rank:
                continue
            members = self._shard_members(self.shards[shard_id])
            for clip_id in np.random.default_rng([self.seed, epoch, int(shard_id)]).permutation(len(members)):
                key, clip = members[clip_id]
                if self.motion_sources is not None:
                    motion = json.loads(clip["meta.json"]).get("motion")
                    if motion not in self.motion_sources:
                        continue
                mine = self.rank_split == "shards" or global_index % self.world_size == self.rank
                if mine:
                    yield global_index, key, clip
                global_index += 1

    def check_first_clip(self) -> None:
        """Decode the split's first clip (after the motion filter) and check it fits the model: wrong feature
        sizes, heatmap joints or clip lengths fail here, before any process group or engine exists."""
        for name in self.shards:
            for key, members in self._shard_members(name):
                if self.motion_sources is None or json.loads(members["meta.json"]).get("motion") in self.motion_sources:
                    check_clip(decode_sample(key, members, streams=self.spec.streams), self.spec, self.data)
                    return
        raise ConfigError(
            f"dataset {self.data}: no clip of split {self.split!r} has a motion in data.motion_sources = "
            f"{sorted(self.motion_sources)}; check the filter against the clips' meta 'motion' values"
        )

    def _decode(self, key: str, members: dict[str, bytes]) -> ClipSample:
        """The clip's streams, decoded; kept (resized to the model's size) while the cache has room. The cache
        fills once and never evicts: a shuffled epoch order would make an LRU miss every time."""
        if key in self._cache:
            return self._cache[key]
        clip = decode_sample(key, members, streams=self.spec.streams)
        if self.cache_bytes:
            clip = resize_clip(clip, self.spec)
            size = clip_bytes(clip)
            if self._cached_bytes + size <= self.cache_bytes:
                self._cache[key] = clip
                self._cached_bytes += size
        return clip

    def __iter__(self) -> Iterator[tuple[DataPosition, object]]:
        epoch, skip = self.start.epoch, self.start.index
        while True:
            taken = 0
            for global_index, key, members in self._epoch_order(epoch):
                taken += 1
                if taken <= skip:
                    continue  # consumed before the checkpoint: skipped without decoding
                clip = self._decode(key, members)
                rng = np.random.default_rng([self.seed, epoch, global_index, 1])
                yield DataPosition(epoch, taken), prepare_sample(clip, self.spec, rng)
            if taken == 0:
                wanted = sorted(self.motion_sources) if self.motion_sources is not None else "any"
                raise DancegenError(
                    f"dataset {self.data}: rank {self.rank} got no clips in an epoch (data.motion_sources = "
                    f"{wanted}); check the filter against the clips' meta 'motion' values"
                )
            epoch, skip = epoch + 1, 0


def batches(stream: ClipStream, batch_size: int, overfit: int = 0) -> Iterator[tuple[DataPosition, dict]]:
    """Group the stream into collated batches; the position is the one after the batch's last sample.

    ``overfit`` > 0 (config ``data.overfit_batches``) repeats the first ``overfit`` batches for ever, the
    classic check that the model and losses can fit a fixed batch.
    """
    pending, seen = [], []
    for position, sample in stream:
        pending.append(sample)
        if len(pending) == batch_size:
            item = (position, collate(pending))
            pending = []
            yield item
            if overfit:
                seen.append(item)
                if len(seen) == overfit:
                    break
    while overfit:
        yield from seen


class Prefetcher:
    """Runs an iterator in a daemon thread, ``depth`` items ahead (0 = in the caller's thread).

    An exception in the thread is re-raised in the consumer at the item where it happened.
    """

    _END = object()

    def __init__(self, iterator: Iterator, depth: int):
        self.iterator, self.depth = iterator, depth
        self.stopped = threading.Event()
        if depth > 0:
            self.queue: queue.Queue = queue.Queue(maxsize=depth)
            self.thread = threading.Thread(target=self._fill, daemon=True, name="train-data")
            self.thread.start()

    def _fill(self) -> None:
        try:
            for item in self.iterator:
                if self.stopped.is_set():
                    return
                self.queue.put((item, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            self.queue.put((self._END, exc))
            return
        self.queue.put((self._END, None))

    def close(self) -> None:
        """Stop the thread (it exits at its next item); the iterator is not read again."""
        self.stopped.set()
        if self.depth > 0:
            while self.thread.is_alive():
                try:
                    self.queue.get(timeout=0.1)  # unblock a pending put
                except queue.Empty:
                    pass

    def __iter__(self) -> Prefetcher:
        return self

    def __next__(self):
        if self.depth == 0:
            return next(self.iterator)
        item, exc = self.queue.get()
        if exc is not None:
            raise exc
        if item is self._END:
            raise StopIteration
        return item
