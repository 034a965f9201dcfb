import io

import numpy as np
import pytest

from dancegen.sdgpip.shards import (
    LABEL_STREAMS,
    MAP_STREAMS,
    VIDEO_STREAMS,
    ClipSample,
    LabelFrames,
    decode_sample,
    encode_sample,
    read_shard,
    write_shard,
)
from dancegen.video import encode_mp4


def _sample(key="t00000-c000", frames=6, size=32, seed=0):
    rng = np.random.default_rng(seed)
    maps = {}
    for name in MAP_STREAMS:
        video = np.zeros((frames, size, size, 3), np.uint8)
        video[:, 8:24, 8:24] = rng.integers(60, 200, size=3, dtype=np.uint8)  # a flat patch survives H.264
        maps[name] = video
    return ClipSample(
        key=key,
        meta={"key": key, "fps": 15.0},
        audio=rng.uniform(-0.5, 0.5, 22050 // 3).astype(np.float32),
        sample_rate=22050,
        features=rng.normal(size=(frames, 35)).astype(np.float32),
        poses=rng.normal(size=(frames, 72)).astype(np.float32),
        trans=rng.normal(size=(frames, 3)).astype(np.float32),
        joints2d=rng.uniform(0, size, size=(frames, 24, 2)).astype(np.float32),
        heatmaps=rng.integers(0, 255, size=(frames, 24, 4, 4), dtype=np.uint8),
        maps=maps,
        reference=maps["rgb"][0],
    )


def test_encode_decode_roundtrip():
    sample = _sample()
    back = decode_sample(sample.key, encode_sample(sample, fps=15.0))
    np.testing.assert_array_equal(back.features, sample.features)
    np.testing.assert_array_equal(back.poses, sample.poses)
    np.testing.assert_array_equal(back.heatmaps, sample.heatmaps)
    np.testing.assert_allclose(back.audio, sample.audio, atol=1 / 2**15 + 1e-6)
    assert back.meta == sample.meta and back.sample_rate == 22050
    for name in VIDEO_STREAMS:
        assert back.maps[name].shape == sample.maps[name].shape
        assert np.abs(back.maps[name].astype(int) - sample.maps[name]).mean() < 3  # H.264, near-lossless
    for name in LABEL_STREAMS:
        np.testing.assert_array_equal(back.maps[name], sample.maps[name])  # palette images: lossless
    np.testing.assert_array_equal(back.reference, sample.reference)  # PNG is lossless


def test_shards_are_byte_identical_for_identical_samples(tmp_path):
    samples = [(f"t00000-c00{i}", encode_sample(_sample(f"t00000-c00{i}", seed=i), 15.0)) for i in range(2)]
    write_shard(tmp_path / "a.tar", samples)
    write_shard(tmp_path / "b.tar", samples)
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    back = read_shard(tmp_path / "a.tar")
    assert [key for key, _ in back] == ["t00000-c000", "t00000-c001"]
    assert back[1][1]["features.npy"] == samples[1][1]["features.npy"]


def test_label_streams_are_stored_as_labels_and_palette():
    sample = _sample()
    labels = np.zeros((6, 32, 32), np.uint8)
    labels[:, 4:12, 4:12], labels[:, 20:, 20:] = 2, 1
    palette = np.array([[0, 0, 0], [255, 0, 7], [1, 2, 3]], np.uint8)
    sample.maps["semantic"] = LabelFrames(labels, palette)
    members = encode_sample(sample, fps=15.0)
    assert {"semantic.npz", "skeleton.npz"} <= set(members) and "semantic.mp4" not in members
    stored = np.load(io.BytesIO(members["semantic.npz"]))
    np.testing.assert_array_equal(stored["labels"], labels)
    np.testing.assert_array_equal(stored["palette"], palette)
    np.testing.assert_array_equal(decode_sample(sample.key, members).maps["semantic"], palette[labels])


def test_rgb_label_streams_become_labels_of_their_colours():
    rgb = np.zeros((2, 8, 8, 3), np.uint8)
    rgb[:, :4] = (255, 0, 7)
    rgb[1, 6:] = (1, 2, 3)
    frames = LabelFrames.from_rgb(rgb)
    assert len(frames.palette) == 3 and frames.labels.shape == (2, 8, 8)
    np.testing.assert_array_equal(frames.rgb(), rgb)
    many = np.random.default_rng(0).integers(0, 255, size=(1, 32, 32, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="at most 256 colours"):
        LabelFrames.from_rgb(many)
    with pytest.raises(ValueError, match="labels reach 3 but the palette has 3 colours"):
        LabelFrames(frames.labels + 1, frames.palette).rgb()
    with pytest.raises(ValueError, match=r"labels must be \(F, H, W\) uint8"):
        LabelFrames(np.zeros((2, 8, 8), np.int32), frames.palette)


def test_format_1_samples_with_h264_label_streams_still_decode():
    sample = _sample()
    members = encode_sample(sample, fps=15.0)
    del members["semantic.npz"]
    members["semantic.mp4"] = encode_mp4(sample.maps["semantic"], 15.0, pix_fmt="yuv444p")
    back = decode_sample(sample.key, members)
    assert back.maps["semantic"].shape == sample.maps["semantic"].shape
    assert np.abs(back.maps["semantic"].astype(int) - sample.maps["semantic"]).mean() < 3
