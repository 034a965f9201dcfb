"""SMPL model files: the licensed SMPL directory from config, or the procedural stand-in, loaded through smplx.

``smpl_model_dir`` (config key) is a directory laid out the way ``smplx.create(dir, model_type="smpl")``
reads it: ``<dir>/smpl/SMPL_NEUTRAL.pkl`` (and ``SMPL_MALE.pkl`` / ``SMPL_FEMALE.pkl``), i.e. the numpy
pickles of SMPL v1.1.0 renamed as smplx documents. When it is not configured, the procedural neutral body of
``procedural.py`` is generated once, written atomically to
``dancegen.paths.cache_dir()/smpl/procedural-<hash>/smpl/SMPL_NEUTRAL.pkl`` and loaded the same way; the
hash covers the generator's source, so a changed generator never reuses a stale file. An ``s3://`` prefix
with the same layout is copied to ``cache_dir()/smpl/s3-<hash of the URI>/`` on every call (fresh, atomic).

Placement convention ("AIST-like"): like SMPL's template, the procedural rest pose has its pelvis near the
origin and its soles at y = -1.17 m; the motion's root translation stands the body on the floor y = 0
(rest pose: ``trans = (0, REST_FLOOR_OFFSET, 0)``; the choreographer computes it from foot contact).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import re
from pathlib import Path

import numpy as np

from dancegen.body.skeleton import REST_FLOOR_OFFSET, SMPL_JOINT_NAMES, SMPL_PARENTS
from dancegen.errors import ConfigError, WeightsError
from dancegen.paths import cache_dir
from dancegen.storage import Location, atomic_write_bytes, is_s3

__all__ = [
    "SMPL_JOINT_NAMES",
    "SMPL_PARENTS",
    "REST_FLOOR_OFFSET",
    "ensure_smpl_model_dir",
    "load_smpl",
    "procedural_model_dir",
    "vertex_part_labels",
]

GENDERS = ("neutral", "male", "female")
_GENERATOR_SOURCES = ("procedural.py", "procedural_mesh.py", "skeleton.py")


def _generator_hash() -> str:
    """12 hex digits identifying the procedural body generator (its source files)."""
    digest = hashlib.sha256()
    for name in _GENERATOR_SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


def procedural_model_dir() -> Path:
    """Where the procedural body of this code version lives (it may not exist yet)."""
    return cache_dir() / "smpl" / f"procedural-{_generator_hash()}"


def _model_file(model_dir: Path, gender: str) -> Path:
    return model_dir / "smpl" / f"SMPL_{gender.upper()}.pkl"


def ensure_smpl_model_dir(smpl_model_dir: str | Path | None = None) -> Path:
    """A directory smplx can load SMPL from (``<dir>/smpl/SMPL_<GENDER>.pkl``).

    None: the procedural neutral body, generated on first use (≈ 0.1 s) and cached. A configured directory
    (the licensed SMPL files) is checked and returned unchanged; a missing one raises WeightsError naming
    the config key ``smpl_model_dir``.
    """
    if smpl_model_dir is not None and str(smpl_model_dir) != "":
        if is_s3(smpl_model_dir):
            return _mirror_s3_dir(str(smpl_model_dir))
        return _check_configured_dir(Path(smpl_model_dir).expanduser())
    model_dir = procedural_model_dir()
    target = _model_file(model_dir, "neutral")
    if not target.exists():
        from dancegen.body.procedural import build_procedural_smpl

        atomic_write_bytes(target, pickle.dumps(build_procedural_smpl(), protocol=4))
    return model_dir


_LAYOUT = "a directory holding smpl/SMPL_NEUTRAL.pkl (SMPL v1.1.0 numpy pickles, named as smplx expects)"


def _mirror_s3_dir(uri: str) -> Path:
    """Copy ``<uri>/smpl/SMPL_*.pkl`` to a local cache directory with the same layout; return it."""
    source = Location.parse(uri)
    names = [name for name in source.list("smpl/") if re.fullmatch(r"smpl/SMPL_[A-Z]+\.pkl", name)]
    if not names:
        raise WeightsError(f"smpl_model_dir {uri!r} has no smpl/SMPL_*.pkl; set it to {_LAYOUT}")
    local = cache_dir() / "smpl" / f"s3-{hashlib.sha256(uri.encode()).hexdigest()[:12]}"
    for name in names:
        target = local / name
        partial = target.with_name(f".tmp-{os.getpid()}-{target.name}")
        source.download_file(name, partial)
        os.replace(partial, target)
    return local


def _check_configured_dir(path: Path) -> Path:
    layout = _LAYOUT
    if not path.is_dir():
        raise WeightsError(
            f"smpl_model_dir {str(path)!r} does not exist; set smpl_model_dir to {layout}, "
            "or leave it unset to use the procedural body"
        )
    found = sorted((path / "smpl").glob("SMPL_*.pkl")) if (path / "smpl").is_dir() else []
    if not found:
        hint = ""
        if list(path.glob("SMPL_*.pkl")):
            hint = f" (it holds SMPL_*.pkl itself: point smpl_model_dir at its parent {str(path.parent)!r})"
        raise WeightsError(f"smpl_model_dir {str(path)!r} has no smpl/SMPL_*.pkl{hint}; set it to {layout}")
    return path


def load_smpl(smpl_model_dir: str | Path | None = None, gender: str = "neutral"):
    """A ``smplx.SMPL`` module (batch size 1, 10 betas), always created through ``smplx.create``.

    The procedural body exists only as ``gender="neutral"``; licensed directories may hold all three.
    """
    if gender not in GENDERS:
        raise ConfigError(f"gender {gender!r} is not one of {', '.join(GENDERS)}")
    model_dir = ensure_smpl_model_dir(smpl_model_dir)
    model_file = _model_file(model_dir, gender)
    if not model_file.exists():
        where = "the procedural body is gender-neutral" if smpl_model_dir is None else f"{model_dir} lacks it"
        raise WeightsError(
            f"no SMPL_{gender.upper()}.pkl for gender {gender!r} ({where}); use gender='neutral' "
            "or set smpl_model_dir to a directory holding that file"
        )
    import smplx

    try:  # smplx prints a warning when a file has only 10 shape components, as SMPL's do
        with contextlib.redirect_stdout(io.StringIO()):
            return smplx.create(str(model_dir), model_type="smpl", gender=gender, batch_size=1)
    except ModuleNotFoundError as exc:  # SMPL v1.0.0 pickles hold chumpy objects
        raise WeightsError(
            f"{model_file} needs the module {exc.name!r} to unpickle; use the SMPL v1.1.0 numpy files in smpl_model_dir"
        ) from None
    except (pickle.UnpicklingError, EOFError, KeyError, AttributeError, ValueError) as exc:
        raise WeightsError(
            f"{model_file} is not a SMPL model file ({type(exc).__name__}: {exc}); fix smpl_model_dir"
        ) from None


def vertex_part_labels(model) -> np.ndarray:
    """(V,) int64 in [0, 24): each vertex's SMPL part, the joint with the largest skinning weight."""
    return model.lbs_weights.detach().cpu().numpy().argmax(axis=1).astype(np.int64)
