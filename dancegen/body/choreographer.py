"""A procedural, beat-synchronised choreographer: music beat times → SMPL motion (the AIST++ stand-in).

1. Timeline: one key pose per music beat. Beats closer than max(2.5 frames, 0.2 s) to the previous one are
   dropped; gaps longer than 1.5 beat intervals (the median) get evenly spaced extra keys; keys continue at
   the median interval before the first and after the last beat so the whole clip moves (0.5 s when fewer
   than two beats are given).
2. Keys: 4-beat phrases drawn per genre from ``moves.py`` (a leg pattern + an arm pattern, mirrored at
   random), plus a per-beat torso/head accent, clipped to the joint limits of ``limits.py``.
3. Interpolation: between consecutive keys every Euler channel follows the ease
   s(u) = 15u⁴ − 24u⁵ + 10u⁶, whose speed 60u³(1 − u)² is zero at both ends. All joints therefore stop
   together on every key, and the mean joint speed has its local minima on the music beats (the "motion
   beats" of the BeatAlign metric). The speed profile is deliberately asymmetric (a gentle start, a sharp
   arrival that "hits" the beat): with a symmetric ease, a beat falling exactly on a frame between two
   mirror-image segments would give two equal speeds and no strict minimum. Euler boxes are convex, so
   interpolated poses stay inside the limits.
4. Feet: each ankle is computed per frame so the foot stays flat (plus the key's rise onto the toes), and
   the root translation comes from foot contact (``contact.plant_feet``): the lowest foot touches y = 0 and
   the stance foot's ball keeps its world position while it is planted.

Everything random comes from ``seed``: the same arguments give the same motion.
"""

from __future__ import annotations

import functools

import numpy as np

from dancegen.body.contact import BOTH, LEFT, RIGHT, contact_from_stance, plant_feet, plant_feet_posed
from dancegen.body.limits import EULER_ORDER, clip_to_limits, euler_to_rotvec
from dancegen.body.motion import Motion, PosedBody
from dancegen.body.moves import (
    ARM_PATTERNS,
    LEG_JOINTS,
    LEG_MOVES,
    STYLES,
    Style,
    base_pose,
    genre_names,
    mirror_pose,
    resolve_genre,
)
from dancegen.errors import ConfigError, MotionError

DEFAULT_INTERVAL = 0.5  # seconds between keys when the music gives fewer than two beats (120 BPM)


def key_times(beat_times: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    """(K,) times of the key poses: the music beats, gap fillers, and keys extending past both ends.

    The first key is at or before 0 and the last at or after ``seconds``.
    """
    min_gap = max(2.5 / fps, 0.2)
    kept: list[float] = []
    for beat in np.sort(beat_times[(beat_times >= 0) & (beat_times <= seconds)]):
        if not kept or beat - kept[-1] >= min_gap:
            kept.append(float(beat))
    interval = float(np.median(np.diff(kept))) if len(kept) >= 2 else DEFAULT_INTERVAL
    times: list[float] = []
    for a, b in zip(kept[:-1], kept[1:], strict=True):
        extra = int(round((b - a) / interval)) - 1
        times += [a + (b - a) * i / (extra + 1) for i in range(max(extra, 0) + 1)]
    times += kept[-1:] or [0.0]
    while times[0] > 0.0:
        times.insert(0, times[0] - interval)
    while times[-1] < seconds:
        times.append(times[-1] + interval)
    return np.asarray(times)


def _weighted_choice(rng, weights: dict[str, float], avoid: str | None = None) -> str:
    names = [n for n in weights if n != avoid] or list(weights)
    p = np.array([weights[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def plan_keys(count: int, style: Style, rng) -> tuple[np.ndarray, np.ndarray]:
    """(count, 24, 3) key poses in Euler degrees and (count,) stance codes of the segment ending at each key.

    Key 0 is the relaxed standing pose; phrases of 4 beats follow.
    """
    base = base_pose()
    keys, stances = [base], [BOTH]
    yaw, beat, leg_name, step_side = 0.0, 0, None, bool(rng.integers(2))
    while len(keys) < count:
        leg_name = _weighted_choice(rng, style.legs, avoid=leg_name)
        arm_name = _weighted_choice(rng, style.arms)
        energy = style.energy * rng.uniform(0.85, 1.15)
        if leg_name == "step_touch":  # alternate directions so the dancer stays in place
            step_side = not step_side
            mirror = step_side
        else:
            mirror = bool(rng.integers(2))
        leg_beats = LEG_MOVES[leg_name](energy, rng)
        arms = ARM_PATTERNS[arm_name]
        arm_mirror = bool(rng.integers(2))
        for i, leg_beat in enumerate(leg_beats):
            pose = base.copy()
            arm_pose = base.copy()
            for joint, angles in arms[i % len(arms)].items():
                arm_pose[joint] = angles
            if arm_mirror:
                arm_pose = mirror_pose(arm_pose)
            pose += min(energy, 1.2) * (arm_pose - base)
            for joint, angles in leg_beat.legs.items():
                pose[joint] = angles
            stance = leg_beat.stance
            if mirror:
                pose = mirror_pose(pose)
                stance = {LEFT: RIGHT, RIGHT: LEFT}.get(stance, stance)
            sign = 1.0 if beat % 2 == 0 else -1.0
            pose[[3, 9], 0] += 0.5 * style.groove * sign
            pose[15, 0] -= style.groove * sign
            pose[6, 2] += style.twist * sign
            pose[0] = (0.0, 0.0, yaw + (-leg_beat.yaw if mirror else leg_beat.yaw))
            keys.append(clip_to_limits(pose))
            stances.append(stance)
            beat += 1
        yaw = keys[-1][0, 2]
    return np.stack(keys[:count]), np.asarray(stances[:count])


def interpolate_keys(
    times: np.ndarray, keys: np.ndarray, stances: np.ndarray, frame_times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Eased key interpolation (see the module docstring) → (N, 24, 3) Euler degrees and (N,) stance codes."""
    seg = np.clip(np.searchsorted(times, frame_times, side="right"), 1, len(times) - 1)
    u = np.clip((frame_times - times[seg - 1]) / (times[seg] - times[seg - 1]), 0.0, 1.0)
    s = u**4 * (15.0 - 24.0 * u + 10.0 * u**2)  # speed 60 u³ (1 - u)²: zero at both keys
    euler = keys[seg - 1] + s[:, None, None] * (keys[seg] - keys[seg - 1])
    return euler, stances[seg]


def flatten_feet(euler: np.ndarray) -> np.ndarray:
    """Set each ankle so the foot's sole stays parallel to the floor, then tilt it by the ankle's x accent.

    euler: (N, 24, 3) degrees; the ankle rows' x holds the accent (rise onto the toes). Returns a copy.
    """
    from scipy.spatial.transform import Rotation

    out = euler.copy()
    root_tilt = Rotation.from_euler("XZ", euler[:, 0, :2], degrees=True)  # pitch then roll, no yaw
    for hip, knee, ankle, _ in LEG_JOINTS.values():
        chain = (
            root_tilt
            * Rotation.from_euler(EULER_ORDER, euler[:, hip], degrees=True)
            * Rotation.from_euler(EULER_ORDER, euler[:, knee], degrees=True)
        )
        quat = chain.as_quat()  # (N, 4) x, y, z, w
        twist = np.zeros_like(quat)
        twist[:, 1], twist[:, 3] = quat[:, 1], quat[:, 3]  # the chain's heading about the vertical axis
        accent = Rotation.from_euler("X", euler[:, ankle, :1], degrees=True)
        ankle_rot = chain.inv() * Rotation.from_quat(twist) * accent
        out[:, ankle] = ankle_rot.as_euler(EULER_ORDER, degrees=True)
    return out


@functools.lru_cache(maxsize=1)
def _procedural_body():
    from dancegen.body.smpl_model import load_smpl

    return load_smpl()


def choreograph(beat_times: np.ndarray, seconds: float, fps: float, genre: str, seed: int, model=None) -> Motion:
    """A beat-synchronised dance: (round(seconds·fps), 72) poses, root translation on the floor, foot contact.

    beat_times: (B,) music beat times in seconds; genre: a style or alias of ``moves.genre_names()``
    (AIST's ten genres, their codes, common music genres); model: the smplx body used to place the feet
    (default: the procedural body).
    """
    poses, stance = _dance(beat_times, seconds, fps, genre, seed)
    trans = plant_feet(model if model is not None else _procedural_body(), poses, stance, fps)
    return Motion(poses, trans, fps, contact_from_stance(stance))


def choreograph_posed(
    beat_times: np.ndarray, seconds: float, fps: float, genre: str, seed: int, model=None
) -> tuple[Motion, PosedBody]:
    """:func:`choreograph`'s motion and the body posed on every frame (placing the feet poses it anyway;
    N · 83 kB of vertices for SMPL): equal to ``pose_body(model, motion)``."""
    poses, stance = _dance(beat_times, seconds, fps, genre, seed)
    trans, posed = plant_feet_posed(model if model is not None else _procedural_body(), poses, stance, fps)
    return Motion(poses, trans, fps, contact_from_stance(stance)), posed


def _dance(beat_times: np.ndarray, seconds: float, fps: float, genre: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 72) float32 poses and (N,) stance codes of the dance (checked arguments)."""
    style_name = resolve_genre(str(genre))
    if style_name is None:
        raise ConfigError(f"genre {genre!r} is unknown to the choreographer; use one of {', '.join(genre_names())}")
    if not (np.isfinite(fps) and fps > 0):
        raise MotionError(f"fps must be positive, got {fps}")
    frames = int(round(seconds * fps)) if np.isfinite(seconds) else 0
    if frames < 2:
        raise MotionError(f"seconds={seconds} at fps={fps} gives {frames} frames; need at least 2")
    beats = np.asarray(beat_times, dtype=np.float64).reshape(-1)
    if not np.isfinite(beats).all():
        raise MotionError("beat_times must be finite seconds (found NaN or inf)")
    rng = np.random.default_rng(seed)
    times = key_times(beats, frames / fps, fps)
    keys, stances = plan_keys(len(times), STYLES[style_name], rng)
    euler, stance = interpolate_keys(times, keys, stances, np.arange(frames) / fps)
    euler = clip_to_limits(flatten_feet(euler))
    return euler_to_rotvec(euler).reshape(frames, 72).astype(np.float32), stance
