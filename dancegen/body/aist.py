"""AIST++ motion files: read and write the ``motions/<sequence>.pkl`` layout.

An AIST++ motion pickle is a dict of numpy arrays at 60 fps:

- ``smpl_poses``   (N, 72) SMPL axis-angle poses (root orientation first);
- ``smpl_trans``   (N, 3) root translation in the AIST world, i.e. SMPL metres times ``smpl_scaling``;
- ``smpl_scaling`` (1,) the fitted body scale (≈ 90-100 in the released files);
- ``smpl_loss``    (optional) the fitting loss, ignored.

As in the AIST++ API and its users (``transl = smpl_trans / smpl_scaling``), the loader divides the
translation by the scaling, which gives the root translation of a standard-size SMPL body in metres with y
up. The floor of the AIST world is not guaranteed to be y = 0 for a given body: ``contact.place_on_floor``
shifts a loaded motion onto the floor when that matters. Files are read through ``dancegen.storage`` (local
path or ``s3://``) with a restricted unpickler that only rebuilds numpy arrays.
"""

from __future__ import annotations

import io
import pickle
from pathlib import PurePosixPath

import numpy as np

from dancegen.body.motion import NUM_JOINTS, Motion
from dancegen.errors import MotionError, StorageError
from dancegen.storage import Location

AIST_FPS = 60.0
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),  # protocol 5
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts of numpy arrays and refuses anything else (pickles can run arbitrary code)."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _split(path: str) -> tuple[Location, str]:
    text = str(path)
    if text.startswith("s3://"):
        parent, _, name = text.rpartition("/")
        return Location.parse(parent), name
    local = PurePosixPath(text)
    return Location.parse(str(local.parent)), local.name


def load_aist_motion(path: str) -> Motion:
    """An AIST++ motion pickle → Motion at 60 fps with trans = smpl_trans / smpl_scaling (metres)."""
    location, name = _split(str(path))
    try:
        data = _NumpyOnlyUnpickler(io.BytesIO(location.read_bytes(name)), encoding="latin1").load()
    except StorageError as exc:
        raise MotionError(f"cannot read AIST++ motion {path}: {exc}; check the motion path") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise MotionError(f"{path} is not an AIST++ motion pickle ({exc})") from None
    if not isinstance(data, dict):
        raise MotionError(f"{path} holds a {type(data).__name__}, expected a dict with smpl_poses/smpl_trans")
    missing = [key for key in ("smpl_poses", "smpl_trans", "smpl_scaling") if key not in data]
    if missing:
        raise MotionError(f"{path} lacks {', '.join(missing)} (found keys: {', '.join(map(str, data))})")
    poses = np.asarray(data["smpl_poses"], dtype=np.float64)
    if poses.ndim == 3 and poses.shape[1:] == (NUM_JOINTS, 3):
        poses = poses.reshape(len(poses), 3 * NUM_JOINTS)
    if poses.ndim != 2 or poses.shape[1] != 3 * NUM_JOINTS or len(poses) == 0:
        raise MotionError(f"{path}: smpl_poses must have shape (N, 72), found {poses.shape}")
    trans = np.asarray(data["smpl_trans"], dtype=np.float64)
    if trans.shape != (len(poses), 3):
        raise MotionError(
            f"{path}: smpl_trans must have shape ({len(poses)}, 3) to match smpl_poses, found {trans.shape}"
        )
    scaling = np.asarray(data["smpl_scaling"], dtype=np.float64).reshape(-1)
    if scaling.shape != (1,) or not np.isfinite(scaling[0]) or scaling[0] <= 0:
        raise MotionError(
            f"{path}: smpl_scaling must be one positive number of shape (1,), found shape "
            f"{np.shape(data['smpl_scaling'])} value {scaling[:3].tolist()}"
        )
    if not (np.isfinite(poses).all() and np.isfinite(trans).all()):
        raise MotionError(f"{path}: smpl_poses / smpl_trans contain NaN or inf")
    return Motion(poses.astype(np.float32), (trans / scaling[0]).astype(np.float32), AIST_FPS)


def aist_motion_bytes(motion: Motion, scaling: float = 1.0) -> bytes:
    """The AIST++ pickle of ``motion`` (slerp-resampled to 60 fps, the layout's fixed rate)."""
    if not (np.isfinite(scaling) and scaling > 0):
        raise MotionError(f"scaling must be a positive number, got {scaling}")
    at60 = motion if motion.fps == AIST_FPS else motion.resample(AIST_FPS)
    data = {
        "smpl_poses": at60.poses.astype(np.float32),
        "smpl_trans": (at60.trans.astype(np.float64) * scaling).astype(np.float32),
        "smpl_scaling": np.array([scaling], dtype=np.float32),
    }
    return pickle.dumps(data, protocol=4)


def save_aist_motion(motion: Motion, path: str, scaling: float = 1.0) -> str:
    """Write ``motion`` as an AIST++ motion pickle (atomically; local path or s3://); returns the URI.

    The layout has no fps field and is 60 fps by definition, so other rates are slerp-resampled to 60 fps.
    """
    location, name = _split(str(path))
    if not location.is_s3:
        location.ensure_writable()
    return location.write_bytes(name, aist_motion_bytes(motion, scaling))
