"""Requests to the served generator: music + reference image (+ seconds, seed, steps), validated up front.

The pyfunc model and its clients share this format. A request table has one row per video:

    music    binary (encoded audio file: wav/flac/mp3/ogg) or its base64 text
    image    binary (encoded PNG/JPEG reference photo) or its base64 text
    seconds  optional float > 0: video length (default: the generator's choice)
    seed     optional int ≥ 0 (default 0)
    steps    optional int ≥ 1: denoising steps (default: the generator's choice)

It may be a pandas DataFrame, a dict of columns (scalars or lists) or a list of row dicts. Every problem is
a :class:`~dancegen.errors.DancegenError` naming the column and row.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dancegen.errors import AudioError, DancegenError, ImageError

REQUIRED_COLUMNS = ("music", "image")
OPTIONAL_COLUMNS = ("seconds", "seed", "steps")
OUTPUT_COLUMN = "video_mp4"  # base64 text of the mp4 file


@dataclass(frozen=True)
class GenerationRequest:
    music: bytes
    image: bytes
    seconds: float | None = None
    seed: int = 0
    steps: int | None = None


def _rows(model_input: Any) -> list[Mapping[str, Any]]:
    import pandas as pd

    if isinstance(model_input, pd.DataFrame):
        return model_input.to_dict(orient="records")
    if isinstance(model_input, Mapping):
        columns = {k: v if isinstance(v, list | tuple) else [v] for k, v in model_input.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise DancegenError(f"request columns have different lengths {sorted(lengths)}; give one value per row")
        count = lengths.pop() if lengths else 0
        return [{k: v[i] for k, v in columns.items()} for i in range(count)]
    if isinstance(model_input, list | tuple) and all(isinstance(row, Mapping) for row in model_input):
        return list(model_input)
    raise DancegenError(
        f"request must be a DataFrame, a dict of columns or a list of rows, got {type(model_input).__name__}"
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _payload(value: Any, column: str, row: int, error: type[DancegenError]) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
    elif isinstance(value, str):
        text = value.split(",", 1)[1] if value.startswith("data:") else value  # data:audio/wav;base64,…
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise error(
                f"column {column!r} row {row} is not valid base64; send the file's bytes base64-encoded"
            ) from None
    elif _missing(value):
        raise error(f"column {column!r} row {row} is empty; send the {column} file's bytes")
    else:
        raise error(f"column {column!r} row {row} must be bytes or base64 text, got {type(value).__name__}")
    if not data:
        raise error(f"column {column!r} row {row} is empty; send the {column} file's bytes")
    return data


def _number(value: Any, column: str, row: int, kind: type, minimum: float, strict: bool) -> Any:
    try:
        number = kind(value)
        if kind is int and number != float(value):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise DancegenError(f"column {column!r} row {row} must be {kind.__name__}, got {value!r}") from None
    if (number <= minimum) if strict else (number < minimum):
        bound = f"> {minimum:g}" if strict else f"≥ {minimum:g}"
        raise DancegenError(f"column {column!r} row {row} must be {bound}, got {value!r}")
    return number


def parse_requests(model_input: Any) -> list[GenerationRequest]:
    """Validate a request table and decode its payloads; raise a DancegenError on the first bad value."""
    import cv2
    import numpy as np

    rows = _rows(model_input)
    if not rows:
        raise DancegenError("request has no rows; send at least one (music, image) pair")
    requests = []
    for index, row in enumerate(rows):
        missing = [c for c in REQUIRED_COLUMNS if c not in row]
        unknown = sorted(set(row) - set(REQUIRED_COLUMNS) - set(OPTIONAL_COLUMNS))
        if missing or unknown:
            raise DancegenError(
                f"request row {index}: missing columns {missing} / unknown columns {unknown}; "
                f"columns are {list(REQUIRED_COLUMNS)} + optional {list(OPTIONAL_COLUMNS)}"
            )
        music = _payload(row["music"], "music", index, AudioError)
        image = _payload(row["image"], "image", index, ImageError)
        if cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR) is None:
            raise ImageError(f"column 'image' row {index} does not decode as an image; send a PNG or JPEG file")
        seconds = None if _missing(row.get("seconds")) else _number(row["seconds"], "seconds", index, float, 0, True)
        seed = 0 if _missing(row.get("seed")) else _number(row["seed"], "seed", index, int, 0, False)
        steps = None if _missing(row.get("steps")) else _number(row["steps"], "steps", index, int, 1, False)
        requests.append(GenerationRequest(music, image, seconds, seed, steps))
    return requests


def encode_video(data: bytes) -> str:
    """The response value of one generated mp4 (base64 text, JSON-safe)."""
    return base64.b64encode(data).decode("ascii")


def decode_video(value: str | bytes) -> bytes:
    """Inverse of :func:`encode_video`: the mp4 file's bytes."""
    return base64.b64decode(value)
