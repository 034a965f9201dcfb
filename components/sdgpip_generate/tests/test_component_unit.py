"""sdgpip_generate.python_func: a real (one-track, 32-px) SDGPip run, described in the artifact's metadata,
and a rerun through the same work directory that reuses the finished dataset."""

import json
import os

from kfp import dsl

from components.sdgpip_generate import sdgpip_generate

SETTINGS = dict(tracks=1, track_seconds=1.0, clip_seconds=1.0, fps=4.0, size=32, workers=1)


def test_dataset_is_generated_described_and_reused(tmp_path):
    work_root = str(tmp_path / "work")
    first = dsl.Dataset(name="dataset", uri=str(tmp_path / "run1" / "dataset"), metadata={})
    sdgpip_generate.python_func(dataset=first, work_root=work_root, **SETTINGS)
    manifest = json.loads((tmp_path / "run1" / "dataset" / "manifest.json").read_text())
    assert first.metadata["clips"] == manifest["counts"]["clips"] == 1
    assert first.metadata["frames_per_clip"] == 4 and len(first.metadata["digest"]) == 16

    finished = os.path.realpath(first.path)
    shard = next((tmp_path / "run1" / "dataset" / "shards").glob("*.tar"))
    written = shard.stat().st_mtime_ns
    again = dsl.Dataset(name="dataset", uri=str(tmp_path / "run2" / "dataset"), metadata={})
    sdgpip_generate.python_func(dataset=again, work_root=work_root, **SETTINGS)
    assert os.path.realpath(again.path) == finished and again.metadata == first.metadata
    assert shard.stat().st_mtime_ns == written  # the finished shard was kept, not rendered again

    other = dsl.Dataset(name="dataset", uri=str(tmp_path / "run3" / "dataset"), metadata={})
    sdgpip_generate.python_func(dataset=other, work_root=work_root, **{**SETTINGS, "seed": 1})
    assert os.path.realpath(other.path) != finished and other.metadata["digest"] != first.metadata["digest"]
