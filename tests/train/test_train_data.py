import itertools

import numpy as np
import pytest

from dancegen.errors import ConfigError
from dancegen.train.data import ClipStream, DataPosition, Prefetcher, batches
from dancegen.train.samples import SampleSpec

SPEC = SampleSpec(frames=2, image_size=32, map_types=("depth", "skeleton"), need_heatmaps=True, feature_dim=35)


def take(stream: ClipStream, n: int) -> list:
    return list(itertools.islice(iter(stream), n))


def keys(items) -> list[str]:
    return [sample.key for _, sample in items]


def test_order_is_deterministic_per_seed_and_ranks_share_out_every_epoch(tiny_dataset):
    first = keys(take(ClipStream(str(tiny_dataset), SPEC, seed=1), 8))
    assert first == keys(take(ClipStream(str(tiny_dataset), SPEC, seed=1), 8))
    assert first != keys(take(ClipStream(str(tiny_dataset), SPEC, seed=2), 8))
    assert sorted(first[:4]) == sorted(first[4:]) == [f"t{i:05d}-c000" for i in range(4)]  # each epoch: every clip
    for split in ("samples", "shards"):
        ranks = [
            take(ClipStream(str(tiny_dataset), SPEC, seed=1, rank=r, world_size=2, rank_split=split), 4) for r in (0, 1)
        ]
        for epoch in (0, 1):
            mine = [keys(items[2 * epoch : 2 * epoch + 2]) for items in ranks]
            assert sorted(mine[0] + mine[1]) == [f"t{i:05d}-c000" for i in range(4)], (split, epoch)
            assert all(position.epoch == epoch for items in ranks for position, _ in items[2 * epoch : 2 * epoch + 2])


def test_a_stream_started_at_a_saved_position_continues_exactly(tiny_dataset):
    whole = take(ClipStream(str(tiny_dataset), SPEC, seed=5, rank=1, world_size=2), 5)
    position = whole[2][0]
    assert position == DataPosition(epoch=1, index=1)
    resumed = take(ClipStream(str(tiny_dataset), SPEC, seed=5, rank=1, world_size=2, start=position), 2)
    for (pos_a, a), (pos_b, b) in zip(whole[3:], resumed, strict=True):
        assert pos_a == pos_b and a.key == b.key
        np.testing.assert_array_equal(a.frame_ids, b.frame_ids)  # the same random window too
        np.testing.assert_array_equal(a.maps["depth"], b.maps["depth"])


@pytest.mark.parametrize(("cache_mb", "all_fit"), [(64, True), (1, False)])  # a 64-px toy clip takes ≈ 0.3 MB
def test_cached_clips_give_the_same_samples(tiny_dataset, cache_mb, all_fit):
    spec = SampleSpec(frames=2, image_size=64, map_types=("depth", "skeleton"), need_heatmaps=True)
    plain = take(ClipStream(str(tiny_dataset), spec, seed=3), 12)  # three epochs
    stream = ClipStream(str(tiny_dataset), spec, seed=3, cache_mb=cache_mb)
    cached = take(stream, 12)
    for (pos_a, a), (pos_b, b) in zip(plain, cached, strict=True):
        assert pos_a == pos_b and a.key == b.key
        for name in ("frames", "reference", "heatmaps", "frame_ids"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        for name in spec.map_types:
            np.testing.assert_array_equal(a.maps[name], b.maps[name])
    per_clip = stream._cached_bytes // len(stream._cache)  # the toy clips are all the same size
    assert len(stream._cache) == min(4, cache_mb * 2**20 // per_clip) and (len(stream._cache) == 4) == all_fit


def test_samples_are_resized_windows_in_unit_range(tiny_dataset):
    position, sample = take(ClipStream(str(tiny_dataset), SPEC), 1)[0]
    assert sample.frames.shape == (3, 2, 32, 32) and sample.reference.shape == (3, 32, 32)
    assert set(sample.maps) == {"depth", "skeleton"} and sample.maps["depth"].shape == (3, 2, 32, 32)
    assert sample.frames.min() >= -1 and sample.frames.max() <= 1 and sample.frames.std() > 0.1
    assert sample.features.shape == (8, 35) and sample.heatmaps.shape == (2, 24, 8, 8)
    assert sample.frame_ids[1] == sample.frame_ids[0] + 1
    whole = SampleSpec(frames=None, image_size=64, need_frames=False)
    _, clip = take(ClipStream(str(tiny_dataset), whole), 1)[0]
    assert list(clip.frame_ids) == list(range(8)) and clip.frames is None and clip.maps == {}


def test_motion_source_filter_keeps_only_listed_motions(tiny_dataset):
    stream = ClipStream(str(tiny_dataset), SPEC, motion_sources=["aist"])
    assert sorted(set(keys(take(stream, 6)))) == ["t00001-c000", "t00003-c000"]  # odd clips are "aist"
    with pytest.raises(ConfigError, match="edge"):
        ClipStream(str(tiny_dataset), SPEC, motion_sources=["edge"]).check_first_clip()


def test_data_that_does_not_fit_the_model_is_refused_before_training(tiny_dataset):
    for spec, message in (
        (SampleSpec(frames=2, image_size=32, feature_dim=4800), "35-d music features .* 4800"),
        (SampleSpec(frames=2, image_size=32, need_heatmaps=True, heatmap_channels=17), "24 heatmap joints"),
        (SampleSpec(frames=24, image_size=32), "8-frame clips .* 24 frames"),
    ):
        with pytest.raises(ConfigError, match=message):
            ClipStream(str(tiny_dataset), spec).check_first_clip()
    with pytest.raises(ConfigError, match="2 shards for 3 processes"):
        ClipStream(str(tiny_dataset), SPEC, world_size=3, rank_split="shards")
    with pytest.raises(ConfigError, match="no shards in split 'val'"):
        ClipStream(str(tiny_dataset), SPEC, split="val")


def test_batches_collate_and_overfit_repeats_the_first_batch(tiny_dataset):
    stream = ClipStream(str(tiny_dataset), SPEC)
    (pos1, b1), (pos2, b2), (pos3, b3) = itertools.islice(batches(stream, 2, overfit=1), 3)
    assert b1["frames"].shape == (2, 3, 2, 32, 32) and b1["maps"]["depth"].shape == (2, 3, 2, 32, 32)
    assert b1["features"].shape == (2, 8, 35) and b1["heatmaps"].shape == (2, 2, 24, 8, 8)
    assert b1["keys"] == b2["keys"] == b3["keys"] and pos1 == pos3


def test_prefetcher_hands_over_items_and_errors_in_order():
    def items():
        yield 1
        yield 2
        raise ConfigError("broken clip")

    prefetched = Prefetcher(items(), depth=2)
    assert [next(prefetched), next(prefetched)] == [1, 2]
    with pytest.raises(ConfigError, match="broken clip"):
        next(prefetched)


def test_prefetcher_thread_stops_when_closed():
    prefetched = Prefetcher(itertools.count(), depth=2)
    assert next(prefetched) == 0
    prefetched.close()
    assert not prefetched.thread.is_alive()
