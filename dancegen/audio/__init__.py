"""Music in, features out: loading and validation, EDGE/Jukebox features, procedural music (paper §3.1, §3.2).

- :mod:`dancegen.audio.io`        ``load_audio``, ``decode_audio_bytes``: validated mono float32
- :mod:`dancegen.audio.features`  ``edge_features`` (N, 35), ``resample_features``, ``music_beat_frames``
- :mod:`dancegen.audio.jukebox`   ``JukeboxExtractor`` (N, 4800) from local Jukebox checkpoints
- :mod:`dancegen.audio.synth`     ``generate_track``: genre-flavoured music on an exact beat grid

librosa's filter banks (the chroma CQT's: ≈ 0.1 s of the 0.17 s of a 5-s track's EDGE features) are kept in
librosa's own disk cache, ``$LIBROSA_CACHE_DIR`` (default ``<dancegen cache>/librosa``, set here before
librosa is imported, and only when that directory can be made; its default level 10 caches filters only).
"""

from dancegen.paths import use_librosa_cache as _use_librosa_cache

_use_librosa_cache()

from dancegen.audio.features import (  # noqa: E402 — librosa reads its cache directory when first imported
    EDGE_DIM,
    FeatureConfig,
    edge_features,
    extract_features,
    feature_sample_rate,
    music_beat_frames,
    resample_features,
)
from dancegen.audio.io import SILENCE_RMS, check_audio, decode_audio_bytes, load_audio  # noqa: E402
from dancegen.audio.synth import BPM_RANGE, Track, beats_path, generate_track, list_genres, write_track  # noqa: E402

__all__ = [
    "BPM_RANGE",
    "EDGE_DIM",
    "SILENCE_RMS",
    "FeatureConfig",
    "JukeboxExtractor",
    "Track",
    "beats_path",
    "check_audio",
    "decode_audio_bytes",
    "edge_features",
    "extract_features",
    "feature_sample_rate",
    "generate_track",
    "list_genres",
    "load_audio",
    "music_beat_frames",
    "resample_features",
    "write_track",
]


def __getattr__(name: str):
    """``JukeboxExtractor`` is imported on first use: it pulls in torch, which the rest of the package does not need."""
    if name == "JukeboxExtractor":
        from dancegen.audio.jukebox import JukeboxExtractor

        return JukeboxExtractor
    raise AttributeError(f"module 'dancegen.audio' has no attribute {name!r}")
