"""The choreographer's move vocabulary: 4-beat leg patterns, 4-beat arm patterns and the genre styles.

A key pose is a (24, 3) array of (x, z, y) Euler degrees (``limits.py`` convention; root row = (pitch,
roll, yaw)). Ankle rows hold only an x "accent" (rising on the toes); the choreographer computes the rest
of the ankle rotation per frame so that feet stay flat. Leg patterns say, for each beat, which foot carries
the weight while moving into that beat (``contact.LEFT``/``RIGHT``/``BOTH``). Rules every leg pattern keeps,
so that planted feet never slide: it starts and ends standing on both feet; while both feet carry weight,
the legs are mirror images and change only their x (sagittal) angles and the root does not turn; a turn
pivots on one foot with the other one lifted; the weight changes feet only in a mirror-symmetric pose.

Values are written for the left side; ``_side`` mirrors them for the right (z and y change sign).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dancegen.body.contact import BOTH, LEFT, RIGHT
from dancegen.body.skeleton import MIRROR_JOINT

Overrides = dict[int, tuple[float, float, float]]
LEG_JOINTS = {LEFT: (1, 4, 7, 10), RIGHT: (2, 5, 8, 11)}  # hip, knee, ankle, ball
ARM_JOINTS = {LEFT: (13, 16, 18, 20), RIGHT: (14, 17, 19, 21)}  # collar, shoulder, elbow, wrist


def _side(side: int, angles: tuple[float, float, float]) -> tuple[float, float, float]:
    sign = 1.0 if side == LEFT else -1.0
    return (angles[0], sign * angles[1], sign * angles[2])


def base_pose() -> np.ndarray:
    """(24, 3) the relaxed standing pose every move starts from: arms down, knees soft."""
    pose = np.zeros((24, 3))
    pose[[16, 17], 1] = (-68.0, 68.0)
    pose[[16, 17], 2] = (-5.0, 5.0)
    pose[[18, 19], 2] = (-15.0, 15.0)
    pose[[1, 2], 0] = -4.0
    pose[[4, 5], 0] = 8.0
    return pose


def mirror_pose(pose: np.ndarray) -> np.ndarray:
    """(..., 24, 3) the left-right mirror image (root: roll and yaw flip)."""
    out = pose[..., list(MIRROR_JOINT), :].copy()
    out[..., 1:] *= -1.0
    return out


# -- legs -------------------------------------------------------------------------------------------


def _leg(side: int, hip: tuple[float, float, float] = (-4.0, 0.0, 0.0), knee: float = 8.0, releve: float = 0.0):
    hip_j, knee_j, ankle_j, ball_j = LEG_JOINTS[side]
    return {hip_j: _side(side, hip), knee_j: (knee, 0.0, 0.0), ankle_j: (releve, 0.0, 0.0), ball_j: (-releve, 0, 0)}


def _bend(depth: float, releve: float = 0.0) -> Overrides:
    """Both legs bent symmetrically (shin and thigh tilted by ``depth`` degrees), torso leaning to balance."""
    legs = {**_leg(LEFT, (-depth, 0, 0), 2 * depth, releve), **_leg(RIGHT, (-depth, 0, 0), 2 * depth, releve)}
    return {**legs, 3: (0.35 * depth, 0.0, 0.0)}


@dataclass(frozen=True)
class LegBeat:
    legs: Overrides
    stance: int
    yaw: float = 0.0  # root yaw reached on this beat, relative to the pattern's start


def _stand() -> Overrides:
    return _bend(4.0)


def bounce(e: float, rng) -> list[LegBeat]:
    down = _bend(8 + 10 * e)
    return [LegBeat(down, BOTH), LegBeat(_bend(3), BOTH), LegBeat(down, BOTH), LegBeat(_stand(), BOTH)]


def squat(e: float, rng) -> list[LegBeat]:
    half, full = _bend(15 + 8 * e), _bend(25 + 18 * e)
    return [LegBeat(half, BOTH), LegBeat(full, BOTH), LegBeat(half, BOTH), LegBeat(_stand(), BOTH)]


def heel_rock(e: float, rng) -> list[LegBeat]:
    up = _bend(1.0, releve=15 + 12 * e)
    return [LegBeat(up, BOTH), LegBeat(_bend(10 + 6 * e), BOTH), LegBeat(up, BOTH), LegBeat(_stand(), BOTH)]


def march(e: float, rng) -> list[LegBeat]:
    lift = 30 + 25 * e
    up_r = {**_leg(LEFT), **_leg(RIGHT, (-lift, 0, 0), min(1.8 * lift, 120))}
    up_l = {**_leg(RIGHT), **_leg(LEFT, (-lift, 0, 0), min(1.8 * lift, 120))}
    return [LegBeat(up_r, LEFT), LegBeat(_stand(), LEFT), LegBeat(up_l, RIGHT), LegBeat(_stand(), RIGHT)]


def kick(e: float, rng) -> list[LegBeat]:
    height = 35 + 35 * e
    kick_r = {**_leg(LEFT), **_leg(RIGHT, (-height, 0, 0), 6)}
    kick_l = {**_leg(RIGHT), **_leg(LEFT, (-height, 0, 0), 6)}
    return [LegBeat(kick_r, LEFT), LegBeat(_stand(), LEFT), LegBeat(kick_l, RIGHT), LegBeat(_stand(), RIGHT)]


def step_touch(e: float, rng) -> list[LegBeat]:
    """Step to the right with the right foot, close the left foot to it (mirrored: to the left)."""
    width = 8 + 5 * e
    out_r = {**_leg(LEFT), **_leg(RIGHT, (-20, width + 8, 0), 40)}
    wide = {**_leg(LEFT, (-4, width, 0)), **_leg(RIGHT, (-4, width, 0))}
    in_l = {**_leg(RIGHT), **_leg(LEFT, (-20, 0, 0), 40)}
    return [LegBeat(out_r, LEFT), LegBeat(wide, LEFT), LegBeat(in_l, RIGHT), LegBeat(_stand(), RIGHT)]


def tap(e: float, rng) -> list[LegBeat]:
    """Tap the free foot to the side, front, back or across, then the other foot."""
    kind = int(rng.integers(4))
    hip, knee = [((-6, 12 + 6 * e, 0), 10), ((-28 - 10 * e, 0, 0), 8), ((18, 0, 0), 20), ((-22, -8, 0), 30)][kind]
    tap_r = {**_leg(LEFT), **_leg(RIGHT, hip, knee)}
    tap_l = {**_leg(RIGHT), **_leg(LEFT, hip, knee)}
    return [LegBeat(tap_r, LEFT), LegBeat(_stand(), LEFT), LegBeat(tap_l, RIGHT), LegBeat(_stand(), RIGHT)]


def turn(e: float, rng) -> list[LegBeat]:
    """A full pivot turn on the ball of the left foot, right knee lifted (mirrored: on the right foot)."""
    passe = {**_leg(LEFT, releve=10 + 10 * e), **_leg(RIGHT, (-45, 15, 0), 100)}
    return [
        LegBeat(passe, LEFT),
        LegBeat(passe, LEFT, 180.0),
        LegBeat(passe, LEFT, 360.0),
        LegBeat(_stand(), LEFT, 360),
    ]


LEG_MOVES: dict[str, Callable] = {
    f.__name__: f for f in (bounce, squat, heel_rock, march, kick, step_touch, tap, turn)
}  # fmt: skip

# -- arms -------------------------------------------------------------------------------------------


def _arm(side: int, shoulder=(0.0, -68.0, -5.0), elbow: float = -15.0, wrist=(0.0, 0.0, 0.0), collar=(0, 0, 0)):
    collar_j, shoulder_j, elbow_j, wrist_j = ARM_JOINTS[side]
    return {
        collar_j: _side(side, collar),
        shoulder_j: _side(side, shoulder),
        elbow_j: _side(side, (0.0, 0.0, elbow)),
        wrist_j: _side(side, wrist),
    }


def _arms(left: dict, right: dict) -> Overrides:
    return {**_arm(LEFT, **left), **_arm(RIGHT, **right)}


DOWN: dict = {}
ARM_PATTERNS: dict[str, list[Overrides]] = {
    "swing": [
        _arms({"shoulder": (0, -66, -35), "elbow": -35}, {"shoulder": (0, -66, 25), "elbow": -10}),
        _arms(DOWN, DOWN),
        _arms({"shoulder": (0, -66, 25), "elbow": -10}, {"shoulder": (0, -66, -35), "elbow": -35}),
        _arms(DOWN, DOWN),
    ],
    "wave_up": [
        _arms({"shoulder": (0, 55, -10), "elbow": -25, "wrist": (0, 25, 0)}, DOWN),
        _arms(DOWN, {"shoulder": (0, 55, -10), "elbow": -25, "wrist": (0, 25, 0)}),
        _arms({"shoulder": (0, 40, -15), "elbow": -10}, {"shoulder": (0, 40, -15), "elbow": -10}),
        _arms(DOWN, DOWN),
    ],
    "punch": [
        _arms({"shoulder": (0, -8, -82), "elbow": -5}, {"shoulder": (0, -75, 20), "elbow": -115}),
        _arms({"shoulder": (0, -75, 20), "elbow": -115}, {"shoulder": (0, -8, -82), "elbow": -5}),
        _arms({"shoulder": (0, 70, -20), "elbow": -5}, {"shoulder": (0, -75, 20), "elbow": -115}),
        _arms({"shoulder": (0, -75, 20), "elbow": -115}, {"shoulder": (0, 70, -20), "elbow": -5}),
    ],
    "clap": [
        _arms({"shoulder": (0, -15, -75), "elbow": -50}, {"shoulder": (0, -15, -75), "elbow": -50}),
        _arms({"shoulder": (0, -30, -15), "elbow": -20}, {"shoulder": (0, -30, -15), "elbow": -20}),
        _arms({"shoulder": (0, 25, -70), "elbow": -50}, {"shoulder": (0, 25, -70), "elbow": -50}),
        _arms({"shoulder": (0, -30, -15), "elbow": -20}, {"shoulder": (0, -30, -15), "elbow": -20}),
    ],
    "robot": [
        _arms({"shoulder": (-80, -5, -5), "elbow": -90}, DOWN),
        _arms({"shoulder": (-80, -5, -5), "elbow": -90}, {"shoulder": (-80, -5, -5), "elbow": -90}),
        _arms({"shoulder": (70, -5, -5), "elbow": -90}, {"shoulder": (70, -5, -5), "elbow": -90}),
        _arms({"shoulder": (0, -60, -60), "elbow": -100}, {"shoulder": (0, -60, -60), "elbow": -100}),
    ],
    "port_de_bras": [
        _arms({"shoulder": (0, -60, -20), "elbow": -30}, {"shoulder": (0, -60, -20), "elbow": -30}),
        _arms({"shoulder": (0, -25, -65), "elbow": -35}, {"shoulder": (0, -25, -65), "elbow": -35}),
        _arms({"shoulder": (0, 75, -25), "elbow": -30}, {"shoulder": (0, 75, -25), "elbow": -30}),
        _arms({"shoulder": (0, 0, -10), "elbow": -15}, {"shoulder": (0, 0, -10), "elbow": -15}),
    ],
}

# -- genres -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a genre dances: which leg moves and arm patterns (with weights), how big, how much groove."""

    legs: dict[str, float]
    arms: dict[str, float]
    energy: float  # scales every move's amplitude, about 0.6 (calm) to 1.2 (explosive)
    groove: float  # degrees of the per-beat torso and head accent
    twist: float = 0.0  # degrees of per-beat torso twist


STYLES: dict[str, Style] = {
    "breaking": Style(
        {"tap": 3, "bounce": 2, "step_touch": 2, "turn": 1, "squat": 2, "kick": 1},
        {"swing": 2, "punch": 2, "robot": 1}, energy=1.0, groove=5.0, twist=6.0,
    ),
    "pop": Style(
        {"bounce": 3, "step_touch": 2, "heel_rock": 2, "tap": 2},
        {"robot": 3, "wave_up": 2, "punch": 1}, energy=0.8, groove=6.0,
    ),
    "lock": Style(
        {"bounce": 2, "kick": 2, "step_touch": 2, "tap": 2, "squat": 1},
        {"punch": 3, "clap": 2, "wave_up": 2}, energy=1.0, groove=5.0,
    ),
    "middle_hiphop": Style(
        {"bounce": 3, "step_touch": 3, "march": 1, "tap": 2},
        {"swing": 3, "punch": 1, "clap": 1}, energy=0.9, groove=5.0, twist=5.0,
    ),
    "hiphop": Style(
        {"bounce": 3, "step_touch": 2, "squat": 1, "kick": 1, "tap": 2},
        {"swing": 2, "punch": 2, "wave_up": 1}, energy=1.0, groove=6.0, twist=6.0,
    ),
    "house": Style(
        {"bounce": 3, "step_touch": 3, "heel_rock": 2, "march": 2, "tap": 1},
        {"swing": 3, "wave_up": 1}, energy=0.9, groove=4.0, twist=3.0,
    ),
    "waack": Style(
        {"step_touch": 2, "bounce": 2, "tap": 2},
        {"wave_up": 3, "robot": 2, "punch": 2, "port_de_bras": 1}, energy=1.1, groove=3.0,
    ),
    "krump": Style(
        {"squat": 3, "bounce": 2, "march": 2, "kick": 1},
        {"punch": 3, "wave_up": 1}, energy=1.2, groove=7.0, twist=4.0,
    ),
    "jazz": Style(
        {"turn": 2, "kick": 2, "step_touch": 2, "heel_rock": 1, "tap": 2},
        {"port_de_bras": 2, "wave_up": 2, "clap": 1}, energy=1.0, groove=3.0,
    ),
    "ballet": Style(
        {"turn": 2, "heel_rock": 3, "tap": 2, "kick": 1},
        {"port_de_bras": 1}, energy=0.8, groove=2.0,
    ),
}  # fmt: skip

# AIST's genre codes and common names (music genres map to the dance style usually danced to them)
GENRE_ALIASES: dict[str, str] = {
    "br": "breaking", "break": "breaking", "breakdance": "breaking", "bboy": "breaking",
    "po": "pop", "popping": "pop", "kpop": "pop",
    "lo": "lock", "locking": "lock", "funk": "lock", "disco": "house",
    "mh": "middle_hiphop", "middle_hip_hop": "middle_hiphop", "rnb": "middle_hiphop",
    "lh": "hiphop", "la_hiphop": "hiphop", "hip_hop": "hiphop", "rap": "hiphop", "trap": "hiphop",
    "ho": "house", "edm": "house", "electronic": "house", "techno": "house", "dance": "house",
    "wa": "waack", "waacking": "waack", "kr": "krump", "krumping": "krump", "rock": "krump", "metal": "krump",
    "js": "jazz", "latin": "jazz", "swing": "jazz", "jb": "ballet", "ballet_jazz": "ballet",
    "classical": "ballet",
}  # fmt: skip


def genre_names() -> tuple[str, ...]:
    """Every genre name ``choreograph`` accepts (styles and aliases)."""
    return tuple(sorted({*STYLES, *GENRE_ALIASES}))


def resolve_genre(genre: str) -> str | None:
    """The style name for a genre (case, dashes, spaces and AIST's 'g' prefix ignored), or None."""
    key = genre.strip().lower().replace("-", "_").replace(" ", "_")
    if key in STYLES:
        return key
    if key in GENRE_ALIASES:
        return GENRE_ALIASES[key]
    if len(key) == 3 and key.startswith(("g", "m")) and key[1:] in GENRE_ALIASES:  # gBR, mBR
        return GENRE_ALIASES[key[1:]]
    return None
