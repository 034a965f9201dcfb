"""The SDGPip sample format: one WebDataset sample per 5-second clip, in tar shards.

A sample (key ``t00012-c003``: track 12, clip 3) holds these members::

    meta.json       track, clip, split, genre, bpm, start_seconds, fps, frames, size, beat_frames, motion
    audio.wav       the raw music slice, mono PCM16
    features.npy    (F, 35) float32 EDGE features (or (F, 4800) Jukebox) at the video fps
    smpl.npz        poses (F, 72) float32 axis-angle, trans (F, 3) float32 metres
    joints2d.npy    (F, 24, 2) float32 projected SMPL joints in pixels
    heatmaps.npz    heatmaps (F, J, h, w) uint8 (Gaussian peak = 255), h = w = size/8 by default
    rgb.mp4         target frames (F, H, W, 3): the textured avatar (or AIST video frames)
    depth.mp4       depth map images, near = bright (CHAMP's convention), background black
    normal.mp4      camera-space normals as RGB, (n + 1) / 2
    semantic.npz    SMPL 24-part map: labels (F, H, W) uint8 (0 = background, 1 + SMPL part) and
                    palette (K, 3) uint8, the fixed part colours (the image is palette[labels])
    skeleton.npz    DWPose/OpenPose-style coloured limbs, as labels + palette like semantic.npz
    reference.png   the same person in another pose of the same track (the reference image)

The avatar, depth and normal images are H.264 (``dancegen.video``). The part and skeleton maps are palette
images, stored losslessly as their labels (deflate): exact part boundaries and thin limbs, 4× less CPU
than H.264 and smaller files. Arrays are ``.npy``/``.npz``. Tar members have fixed mtime/owner so that the
same clips give byte-identical shards. Decoding gives every map as (F, H, W, 3) uint8 RGB; format-1 shards
(``semantic.mp4``, ``skeleton.mp4``) still decode.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from dancegen.video import PlanarVideo, decode_mp4, encode_mp4

VIDEO_STREAMS = ("rgb", "depth", "normal")  # H.264
LABEL_STREAMS = ("semantic", "skeleton")  # palette images, lossless
MAP_STREAMS = VIDEO_STREAMS + LABEL_STREAMS
# yuv444p keeps the normal image's colour crisp at the silhouette; the avatar and the grey depth image (no
# chroma to lose) are yuv420p
PIX_FMTS = {"rgb": "yuv420p", "depth": "yuv420p", "normal": "yuv444p"}
FORMAT_VERSION = 2


@dataclass
class LabelFrames:
    """F palette images: ``labels`` (F, H, W) uint8 rows of ``palette`` (K, 3) uint8 RGB, K ≤ 256."""

    labels: np.ndarray
    palette: np.ndarray

    def __post_init__(self):
        if self.labels.dtype != np.uint8 or self.labels.ndim != 3:
            raise ValueError(f"labels must be (F, H, W) uint8, got {self.labels.shape} {self.labels.dtype}")
        if self.palette.dtype != np.uint8 or self.palette.ndim != 2 or self.palette.shape[1] != 3:
            raise ValueError(f"palette must be (K, 3) uint8, got {self.palette.shape} {self.palette.dtype}")

    def rgb(self) -> np.ndarray:
        """(F, H, W, 3) uint8 the images."""
        if self.labels.size and int(self.labels.max()) >= len(self.palette):
            raise ValueError(f"labels reach {int(self.labels.max())} but the palette has {len(self.palette)} colours")
        return np.take(self.palette, self.labels, axis=0)

    @classmethod
    def from_rgb(cls, frames: np.ndarray) -> LabelFrames:
        """(F, H, W, 3) uint8 images of at most 256 colours → labels into their sorted colours."""
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"frames must be (F, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
        packed = (frames[..., 0].astype(np.uint32) << 16) | (frames[..., 1].astype(np.uint32) << 8) | frames[..., 2]
        colours, labels = np.unique(packed, return_inverse=True)
        if len(colours) > 256:
            raise ValueError(f"a palette image has at most 256 colours, got {len(colours)}")
        palette = np.stack([colours >> 16, colours >> 8, colours], axis=1).astype(np.uint8)  # keeps the low byte
        return cls(labels.reshape(packed.shape).astype(np.uint8), palette)


@dataclass
class ClipSample:
    """One decoded clip. F frames of H×W pixels; J heatmap joints of h×w."""

    key: str
    meta: dict
    audio: np.ndarray  # (T,) float32 mono
    sample_rate: int
    features: np.ndarray  # (F, D) float32
    poses: np.ndarray  # (F, 72) float32
    trans: np.ndarray  # (F, 3) float32
    joints2d: np.ndarray  # (F, 24, 2) float32
    heatmaps: np.ndarray  # (F, J, h, w) uint8
    maps: dict[str, np.ndarray | PlanarVideo | LabelFrames] = field(default_factory=dict)  # stream -> (F, H, W, 3)
    # uint8 RGB (or, to encode, a video stream already in its PIX_FMTS layout or a label stream as LabelFrames;
    # decoding always gives RGB)
    reference: np.ndarray | None = None  # (H, W, 3) uint8


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _npz(**arrays: np.ndarray) -> bytes:
    """``np.savez_compressed``'s format at deflate level 3 (numpy's is 6): for the heatmaps ≈ 3× faster,
    ≈ 20 % larger. Entries carry zipfile's fixed 1980 timestamp, so the bytes are deterministic."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return buf.getvalue()


def _wav(audio: np.ndarray, sample_rate: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.asarray(audio, np.float32), sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    assert ok, "PNG encoding failed"
    return data.tobytes()


def encode_sample(sample: ClipSample, fps: float, crf: int = 18) -> dict[str, bytes]:
    """ClipSample → {member extension: bytes} (deterministic)."""
    members = {
        "meta.json": json.dumps(sample.meta, sort_keys=True).encode(),
        "audio.wav": _wav(sample.audio, sample.sample_rate),
        "features.npy": _npy(sample.features.astype(np.float32)),
        "smpl.npz": _npz(poses=sample.poses.astype(np.float32), trans=sample.trans.astype(np.float32)),
        "joints2d.npy": _npy(sample.joints2d.astype(np.float32)),
        "heatmaps.npz": _npz(heatmaps=sample.heatmaps.astype(np.uint8)),
    }
    for name, pix_fmt in PIX_FMTS.items():
        video = sample.maps[name]
        if isinstance(video, PlanarVideo) and video.pix_fmt != pix_fmt:
            raise ValueError(f"the {name} stream is stored as {pix_fmt}, got frames in {video.pix_fmt}")
        members[f"{name}.mp4"] = encode_mp4(video, fps, crf=crf, pix_fmt=pix_fmt)
    for name in LABEL_STREAMS:
        frames = sample.maps[name]
        frames = frames if isinstance(frames, LabelFrames) else LabelFrames.from_rgb(frames)
        members[f"{name}.npz"] = _npz(labels=frames.labels, palette=frames.palette)
    if sample.reference is not None:
        members["reference.png"] = _png(sample.reference)
    return members


def decode_sample(key: str, members: dict[str, bytes], streams: tuple[str, ...] = MAP_STREAMS) -> ClipSample:
    """{member extension: bytes} → ClipSample (only the requested map streams are decoded)."""
    import soundfile as sf

    audio, sample_rate = sf.read(io.BytesIO(members["audio.wav"]), dtype="float32")
    smpl = np.load(io.BytesIO(members["smpl.npz"]))
    maps = {name: _decode_map(members, name) for name in streams}
    reference = None
    if "reference.png" in members:
        bgr = cv2.imdecode(np.frombuffer(members["reference.png"], np.uint8), cv2.IMREAD_COLOR)
        reference = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return ClipSample(
        key=key,
        meta=json.loads(members["meta.json"]),
        audio=audio,
        sample_rate=int(sample_rate),
        features=np.load(io.BytesIO(members["features.npy"])),
        poses=smpl["poses"],
        trans=smpl["trans"],
        joints2d=np.load(io.BytesIO(members["joints2d.npy"])),
        heatmaps=np.load(io.BytesIO(members["heatmaps.npz"]))["heatmaps"],
        maps=maps,
        reference=reference,
    )


def _decode_map(members: dict[str, bytes], name: str) -> np.ndarray:
    """One map stream of a sample as (F, H, W, 3) uint8 RGB (labels + palette, or H.264)."""
    if f"{name}.npz" in members:
        with np.load(io.BytesIO(members[f"{name}.npz"])) as arrays:
            return LabelFrames(arrays["labels"], arrays["palette"]).rgb()
    return decode_mp4(members[f"{name}.mp4"])[0]


def write_shard(path: str | Path, samples: list[tuple[str, dict[str, bytes]]]) -> None:
    """Write ``[(key, members)]`` as a WebDataset tar with deterministic headers."""
    import webdataset as wds

    with open(path, "wb") as handle:
        writer = wds.TarWriter(handle, user="dancegen", group="dancegen", mtime=0.0, encoder=False)
        for key, members in samples:
            writer.write({"__key__": key, **members})
        writer.close()


def read_shard(data: bytes | str | Path) -> list[tuple[str, dict[str, bytes]]]:
    """Read a shard's samples as ``[(key, {extension: bytes})]`` in tar order."""
    source = {"fileobj": io.BytesIO(data)} if isinstance(data, bytes | bytearray) else {"name": str(data)}
    grouped: dict[str, dict[str, bytes]] = {}
    with tarfile.open(mode="r", **source) as tar:
        for member in tar:
            if not member.isfile():
                continue
            key, _, ext = member.name.partition(".")
            grouped.setdefault(key, {})[ext] = tar.extractfile(member).read()
    return list(grouped.items())
