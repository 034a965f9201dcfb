"""Making one SDGPip clip: music → features + motion → SMPL body → guidance renders (paper Fig. 1a).

Track-level work (music, beat times, features, whole-track motion, appearance) is cached per process,
so the clips of one track share it. Everything is seeded from the track's seed: the same plan gives the
same bytes in any process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dancegen.sdgpip.config import SDGPipConfig
from dancegen.sdgpip.plan import ClipPlan, TrackPlan
from dancegen.sdgpip.shards import FORMAT_VERSION, ClipSample, LabelFrames

AUDIO_SAMPLE_RATE = 22050
POSED_TRACK_FRAMES = 1200  # choreographed tracks up to this long keep their posed body (≤ 100 MB): clips reuse it


@dataclass
class TrackData:
    """Everything about one track that its clips share."""

    audio: np.ndarray  # (T,) float32 mono at AUDIO_SAMPLE_RATE
    sample_rate: int
    bpm: float | None
    genre: str
    beat_times: np.ndarray  # (B,) seconds
    features: np.ndarray  # (N, 35) float32 at the video fps
    motion: object  # dancegen.body.Motion at the video fps
    appearance: object  # dancegen.render appearance of the avatar
    motion_source: str
    posed: object | None = None  # dancegen.body.PosedBody of every frame, or None (clips pose their frames)


_TRACK_CACHE: dict[tuple[str, str], TrackData] = {}
_RENDER_CACHE: dict[str, tuple] = {}
_BUFFERS: dict[tuple[int, int], object] = {}


def _track_data(track: TrackPlan, cfg: SDGPipConfig) -> TrackData:
    """The track's shared data, computed once per process (the last few tracks are kept)."""
    key = (track.track_id, cfg.model_dump_json())
    if key not in _TRACK_CACHE:
        if len(_TRACK_CACHE) >= 4:
            _TRACK_CACHE.pop(next(iter(_TRACK_CACHE)))
        _TRACK_CACHE[key] = _compute_track_data(track, cfg)
    return _TRACK_CACHE[key]


def _compute_track_data(track: TrackPlan, cfg: SDGPipConfig) -> TrackData:
    from dancegen.audio import edge_features, generate_track, load_audio, music_beat_frames, resample_features
    from dancegen.body import choreograph, choreograph_posed, load_aist_motion, place_on_floor
    from dancegen.render import random_appearance

    if track.genre is not None:
        synth = generate_track(track.genre, track.seconds, seed=track.seed, sr=AUDIO_SAMPLE_RATE)
        audio, sr, bpm, genre, beat_times = synth.audio, synth.sr, synth.bpm, track.genre, synth.beat_times
    else:
        audio, sr = load_audio(track.music_path, sr=AUDIO_SAMPLE_RATE, min_seconds=cfg.clip_seconds)
        beat_times = music_beat_frames(audio, sr, cfg.fps) / cfg.fps
        bpm, genre = None, _genre_from_name(track.music_path)
    features = resample_features(edge_features(audio, sr, fps=cfg.feature_fps), cfg.feature_fps, cfg.fps)
    body, _ = _body_and_renderer(cfg)
    posed, dance = None, (beat_times, track.seconds, cfg.fps, genre, track.seed, body)
    if track.motion_path:  # AIST's world floor need not be y = 0: stand the motion on it
        motion = place_on_floor(body, load_aist_motion(track.motion_path).resample(cfg.fps))
    elif track.seconds * cfg.fps <= POSED_TRACK_FRAMES:  # placing the feet poses every frame: keep it
        motion, posed = choreograph_posed(*dance)
    else:
        motion = choreograph(*dance)
    source = "aist" if track.motion_path else "choreographer"
    appearance = random_appearance(np.random.default_rng(track.seed))
    return TrackData(audio, sr, bpm, genre, np.asarray(beat_times), features, motion, appearance, source, posed)


def _genre_from_name(path: str) -> str:
    """AIST music ids start with the genre code (mBR0 → breaking); other files get 'pop'."""
    from dancegen.audio import list_genres

    codes = {"BR": "breaking", "PO": "pop", "LO": "lock", "MH": "middle_hiphop", "LH": "hiphop",
             "HO": "house", "WA": "waack", "KR": "krump", "JS": "jazz", "JB": "ballet"}  # fmt: skip
    name = path.rsplit("/", 1)[-1]
    genre = codes.get(name[1:3], "pop") if name.startswith("m") else "pop"
    return genre if genre in list_genres() else list(list_genres())[0]


def _body_and_renderer(cfg: SDGPipConfig):
    """The SMPL model and the GL renderer of this process (one GL context per process)."""
    from dancegen.body import load_smpl
    from dancegen.render import GuidanceRenderer

    key = f"{cfg.smpl_model_dir}|{cfg.size}|{cfg.resolved_heatmap_size}|{cfg.heatmap_sigma}"
    if key not in _RENDER_CACHE:
        body = load_smpl(cfg.smpl_model_dir)
        renderer = GuidanceRenderer(
            size=cfg.size, heatmap_size=cfg.resolved_heatmap_size, heatmap_sigma=cfg.heatmap_sigma, body=body
        )
        _RENDER_CACHE.clear()
        _RENDER_CACHE[key] = (body, renderer)
    return _RENDER_CACHE[key]


def _render_buffers(renderer, frames: int):
    """Reusable output streams for ``frames`` frames (fresh 512² buffers cost ~6 MB of page faults per frame)."""
    key = (id(renderer), frames)
    if key not in _BUFFERS:
        _BUFFERS.clear()
        _BUFFERS[key] = renderer.allocate_streams(frames)
    return _BUFFERS[key]


def make_clip(clip: ClipPlan, cfg: SDGPipConfig) -> ClipSample:
    """Compute one clip's sample from its plan: arrays, and the map streams as encoder-ready video.

    The map streams, heatmaps and 2-D joints share this process's render buffers: they are valid until the
    next ``make_clip`` call here (encode them first, as ``generate`` does; copy them to keep them).
    """
    from dancegen.body import PosedBody, pose_body
    from dancegen.render import SEMANTIC_COLORS, SKELETON_PALETTE

    track = _track_data(clip.track, cfg)
    body, renderer = _body_and_renderer(cfg)
    lo, hi = clip.start_frame, clip.start_frame + clip.frames
    motion = track.motion
    # the reference frame: the same person in another pose of the same track
    rng = np.random.default_rng([clip.track.seed, clip.clip_index])
    ref_frame = int(rng.integers(0, len(motion)))
    frame_ids = np.r_[np.arange(lo, hi), ref_frame]
    if track.posed is not None:
        posed = PosedBody(track.posed.vertices[frame_ids], track.posed.joints[frame_ids], track.posed.faces)
    else:
        posed = pose_body(body, motion.subset(frame_ids))
    rendered = renderer.render_streams(posed, track.appearance, out=_render_buffers(renderer, len(frame_ids)))
    streams = rendered.head(clip.frames)  # the clip's frames; the last rendered frame is the reference
    a0 = int(round(lo / cfg.fps * track.sample_rate))
    a1 = a0 + int(round(clip.frames / cfg.fps * track.sample_rate))
    beats = track.beat_times * cfg.fps - lo
    meta = {
        "key": clip.key,
        "track": clip.track.track_id,
        "clip": clip.clip_index,
        "split": clip.track.split,
        "genre": track.genre,
        "bpm": track.bpm,
        "start_seconds": lo / cfg.fps,
        "fps": cfg.fps,
        "frames": clip.frames,
        "size": cfg.size,
        "heatmap_size": cfg.resolved_heatmap_size,
        "beat_frames": [round(float(b), 3) for b in beats if 0 <= b < clip.frames],
        "motion": track.motion_source,
        "reference_frame": ref_frame,
        "format_version": FORMAT_VERSION,
    }
    return ClipSample(
        key=clip.key,
        meta=meta,
        audio=track.audio[a0:a1],
        sample_rate=track.sample_rate,
        features=track.features[lo:hi],
        poses=motion.poses[lo:hi],
        trans=motion.trans[lo:hi],
        joints2d=streams.joints2d,
        heatmaps=streams.heatmaps,
        maps={
            **streams.streams,
            "semantic": LabelFrames(streams.semantic, SEMANTIC_COLORS),
            "skeleton": LabelFrames(streams.skeleton, SKELETON_PALETTE),
        },
        reference=rendered.rgba[-1, ..., :3].copy(),
    )
