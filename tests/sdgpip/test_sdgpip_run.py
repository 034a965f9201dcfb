"""SDGPip end to end at a micro size: determinism, resumption, S3 output, bad input."""

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

from dancegen.errors import AudioError, ConfigError, DancegenError, StorageError
from dancegen.sdgpip.config import SDGPipConfig
from dancegen.sdgpip.generate import run_sdgpip
from dancegen.sdgpip.preview import load_clip, preview_clip

MICRO = dict(synthetic_tracks=3, track_seconds=2.0, clip_seconds=1.0, fps=8.0, size=64, clips_per_shard=2, workers=1)


def _cfg(out, **kw):
    return SDGPipConfig(out=str(out), **{**MICRO, **kw})


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "a"
    return out, run_sdgpip(_cfg(out))


def _shard_bytes(root):
    return {p.name: p.read_bytes() for p in sorted((root / "shards").iterdir())}


def test_manifest_counts_splits_and_checksums(dataset):
    out, manifest = dataset
    assert manifest["counts"]["clips"] == 6 and manifest["counts"]["tracks"] == 3
    assert {s: len(v) > 0 for s, v in manifest["splits"].items()} == {"train": True, "val": True, "test": True}
    import hashlib

    for record in manifest["shards"]:
        data = (out / "shards" / f"{record['name']}.tar").read_bytes()
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_clip_contents_are_consistent(dataset):
    out, _ = dataset
    clip = load_clip(out)
    frames = 8
    assert clip.features.shape == (frames, 35) and clip.poses.shape == (frames, 72)
    assert clip.heatmaps.shape == (frames, 24, 8, 8) and clip.joints2d.shape == (frames, 24, 2)
    for name, video in clip.maps.items():
        assert video.shape == (frames, 64, 64, 3), name
    assert clip.reference.shape == (64, 64, 3)
    assert abs(len(clip.audio) / clip.sample_rate - 1.0) < 1e-3
    # the body is visible: the semantic map has foreground, the avatar differs from the background corner
    assert (clip.maps["semantic"].max(axis=-1) > 30).mean() > 0.02


def test_same_seed_gives_byte_identical_shards(dataset, tmp_path):
    out, manifest = dataset
    again = run_sdgpip(_cfg(tmp_path / "b"))
    assert _shard_bytes(out) == _shard_bytes(tmp_path / "b")
    assert again == manifest
    other = run_sdgpip(_cfg(tmp_path / "c", seed=1))
    assert other["shards"][0]["sha256"] != manifest["shards"][0]["sha256"]


def test_killed_run_resumes_to_the_same_manifest(dataset, tmp_path):
    out, manifest = dataset
    partial = tmp_path / "p"
    assert run_sdgpip(_cfg(partial), stop_after_shards=1) == {}
    assert not (partial / "manifest.json").exists()
    # a half-written shard from a killed run (tar present, no sidecar) must be redone, not trusted
    names = sorted(p.name for p in (partial / "shards").glob("*.tar"))
    assert len(names) == 1
    (partial / "shards" / "val-000000.tar").write_bytes(b"truncated")
    assert run_sdgpip(_cfg(partial)) == manifest
    assert _shard_bytes(partial) == _shard_bytes(out)


def test_preview_writes_png_and_mp4(dataset, tmp_path):
    from dancegen.video import probe_mp4

    png, mp4 = preview_clip(dataset[0], tmp_path / "prev")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    facts = probe_mp4(mp4.read_bytes())
    assert facts["frames"] == 8 and facts["audio_codec"] == "aac"


def test_s3_output(s3_env, tmp_path):
    from dancegen.storage import Location

    uri = f"s3://{s3_env}/datasets/micro"
    manifest = run_sdgpip(_cfg(uri, synthetic_tracks=1, track_seconds=1.0))
    names = list(Location.parse(uri).list())
    assert "manifest.json" in names and any(n.endswith(".tar") for n in names)
    assert load_clip(uri).key == manifest["shards"][0]["clips"][0]


def test_bad_inputs_are_clear_errors(tmp_path, s3_env):
    with pytest.raises(StorageError, match="does not exist"):
        run_sdgpip(_cfg("s3://no-such-bucket-xyz/p"))
    blocker = tmp_path / "f"
    blocker.write_text("")
    with pytest.raises(StorageError, match="not writable"):
        run_sdgpip(_cfg(blocker / "out"))
    music = tmp_path / "music"
    music.mkdir()
    (music / "bad.wav").write_bytes(b"RIFF....not audio at all")
    with pytest.raises(AudioError):
        run_sdgpip(SDGPipConfig(out=str(tmp_path / "o"), music_dir=str(music), workers=1, size=64))
    with pytest.raises(ValueError, match="either music_dir or synthetic_tracks"):
        SDGPipConfig(out="x", music_dir="m", synthetic_tracks=2)


def test_aist_motion_with_wrong_shapes(tmp_path):
    from dancegen.audio import generate_track, write_track

    motions, music = tmp_path / "motions", tmp_path / "music"
    motions.mkdir()
    music.mkdir()
    write_track(generate_track("pop", 2.0, seed=0), music / "mPO0.wav")
    with open(motions / "gPO_sBM_cAll_d10_mPO0_ch01.pkl", "wb") as handle:
        pickle.dump({"smpl_poses": np.zeros((10, 70)), "smpl_trans": np.zeros((10, 3)), "smpl_scaling": [1.0]}, handle)
    cfg = SDGPipConfig(out=str(tmp_path / "o"), motion=f"aist:{motions}", music_dir=str(music),
                       clip_seconds=1.0, fps=8.0, size=64, workers=1)  # fmt: skip
    with pytest.raises(DancegenError, match="smpl_poses"):
        run_sdgpip(cfg)


def test_cli_errors_exit_2_with_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "dancegen", "sdgpip", "--out", str(tmp_path / "o"), "--fps", "999"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "fps" in proc.stderr


def test_config_errors_name_the_key():
    from dancegen.sdgpip.config import load_sdgpip_config

    with pytest.raises(ConfigError, match="unknown config key 'colour'"):
        load_sdgpip_config(None, {"out": "x", "synthetic_tracks": 1, "colour": "red"})
