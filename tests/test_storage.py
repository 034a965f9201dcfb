import os

import pytest

from dancegen.errors import StorageError
from dancegen.storage import Location, atomic_write_bytes


def test_local_roundtrip_and_listing(tmp_path):
    loc = Location.parse(tmp_path / "out")
    loc.ensure_writable()
    loc.write_bytes("a/b.bin", b"123")
    loc.write_bytes("c.txt", b"x")
    assert loc.read_bytes("a/b.bin") == b"123"
    assert list(loc.list()) == ["a/b.bin", "c.txt"]
    assert loc.exists("c.txt") and not loc.exists("zzz")
    loc.delete("c.txt")
    assert list(loc.list()) == ["a/b.bin"]


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_unwritable_local_dir_is_a_storage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    with pytest.raises(StorageError, match="not writable"):
        Location.parse(blocker / "sub").ensure_writable()


def test_s3_roundtrip(s3_env, tmp_path):
    loc = Location.parse(f"s3://{s3_env}/prefix")
    loc.ensure_writable()
    loc.write_bytes("x/y.bin", b"abc")
    src = tmp_path / "up.bin"
    src.write_bytes(b"uploaded")
    loc.upload_file("z.bin", src)
    assert sorted(loc.list()) == ["x/y.bin", "z.bin"]
    assert loc.read_bytes("z.bin") == b"uploaded"
    assert loc.exists("x/y.bin") and not loc.exists("nope")
    assert loc.download_file("x/y.bin", tmp_path / "d.bin").read_bytes() == b"abc"


def test_s3_missing_bucket_and_unreachable_endpoint(s3_env, monkeypatch):
    with pytest.raises(StorageError, match="does not exist"):
        Location.parse("s3://no-such-bucket-here/x").ensure_writable()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(StorageError, match="unreachable"):
        Location.parse(f"s3://{s3_env}/x").ensure_writable()


def test_s3_uri_without_bucket():
    with pytest.raises(StorageError, match="no bucket"):
        Location.parse("s3:///x")
