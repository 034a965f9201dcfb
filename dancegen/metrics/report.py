"""The one result type every metric returns, and its JSON form.

A metric either has a number (``status="ok"``) or it cannot be computed here (``status="unavailable"``,
``value=None``, with the reason — typically a pretrained weight file that is not configured). A made-up
or placeholder number is never reported.

Example::

    >>> print(to_json(MetricResult.ok("psnr", 21.1, frames=150)))
    {"name": "psnr", "value": 21.1, "status": "ok", "reason": "", "details": {"frames": 150}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["ok", "unavailable"]


@dataclass(frozen=True)
class MetricResult:
    """One metric's outcome.

    name: metric name ("ssim", "psnr", "lpips", "fvd", "beat_align", "av_align").
    value: the score, or None when unavailable. PSNR of identical frames is ``inf`` (as in scikit-image).
    status: "ok" or "unavailable".
    reason: why it is unavailable ("" when ok).
    details: JSON-able extras naming how the number was made (convention, keypoint source, counts).
    """

    name: str
    value: float | None
    status: Status
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status == "ok":
            if self.value is None or math.isnan(self.value):
                raise ValueError(f"metric {self.name!r}: an 'ok' result needs a number, got {self.value!r}")
        elif self.status == "unavailable":
            if self.value is not None or not self.reason:
                raise ValueError(f"metric {self.name!r}: an 'unavailable' result has value None and a reason")
        else:
            raise ValueError(f"metric {self.name!r}: status must be 'ok' or 'unavailable', got {self.status!r}")

    @classmethod
    def ok(cls, name: str, value: float, **details: Any) -> MetricResult:
        """A computed score; ``details`` say how it was computed."""
        return cls(name=name, value=float(value), status="ok", details=details)

    @classmethod
    def unavailable(cls, name: str, reason: str, **details: Any) -> MetricResult:
        """A score that cannot be computed here, with the reason (e.g. the missing weights' config key)."""
        return cls(name=name, value=None, status="unavailable", reason=reason, details=details)

    @property
    def available(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; non-finite floats become the strings "inf"/"-inf"."""
        return _jsonable(asdict(self))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(key): _jsonable(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(value) for value in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(value) for value in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def to_json(results: MetricResult | Iterable[MetricResult], indent: int | None = None) -> str:
    """Strict JSON for one result (an object) or several (a list of objects)."""
    if isinstance(results, MetricResult):
        payload: Any = results.to_dict()
    else:
        payload = [result.to_dict() for result in results]
    return json.dumps(payload, indent=indent, allow_nan=False)
