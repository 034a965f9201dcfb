"""librosa's filter-bank cache: pointed into dancegen's cache, never an import failure."""

from __future__ import annotations

import os

from dancegen.paths import use_librosa_cache


def test_cache_goes_under_dancegen_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("LIBROSA_CACHE_DIR", raising=False)
    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path / "cache"))
    use_librosa_cache()
    assert os.environ["LIBROSA_CACHE_DIR"] == str(tmp_path / "cache" / "librosa")
    assert (tmp_path / "cache" / "librosa").is_dir()


def test_a_set_directory_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("LIBROSA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path / "cache"))
    use_librosa_cache()
    assert os.environ["LIBROSA_CACHE_DIR"] == str(tmp_path / "mine")


def test_an_unwritable_cache_leaves_librosa_uncached(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.delenv("LIBROSA_CACHE_DIR", raising=False)
    monkeypatch.setenv("DANCEGEN_CACHE", str(blocker / "cache"))
    use_librosa_cache()
    assert "LIBROSA_CACHE_DIR" not in os.environ
