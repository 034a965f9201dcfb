"""Per-request checks of the served models: dtype, shape and value of each input tensor.

Triton already refuses a tensor whose dtype or fixed dims disagree with ``config.pbtxt``; these checks repeat
that cheaply (a model must not trust its caller, and BLS requests skip some of Triton's checks) and add what
the config cannot say (one element per BYTES input, finite numbers, ranges). Every failure is a
:class:`~dancegen.serving.errors.RequestError` whose message names the model, the tensor and the fix.
"""

from __future__ import annotations

import numpy as np

from dancegen.serving.errors import RequestError
from dancegen.serving.interfaces import GUIDANCE_SCALE, SECONDS, SEED, STEPS, TensorSpec

# generation's messages name the CLI options; a Triton client sets the tensors of the same meaning
_FLAG_TENSORS = {"--seconds": SECONDS, "--steps": STEPS, "--seed": SEED, "--guidance-scale": GUIDANCE_SCALE}


def _dims_text(spec: TensorSpec, batched: bool) -> str:
    dims = (["B"] if batched else []) + ["any" if d == -1 else str(d) for d in spec.dims]
    return "[" + ", ".join(dims) + "]"


def check_array(model: str, spec: TensorSpec, array: np.ndarray, batched: bool = False) -> np.ndarray:
    """``array`` with ``spec``'s dtype and dims (plus a leading batch dim when ``batched``), else RequestError."""
    expected = spec.numpy_dtype
    if expected is np.object_:
        dtype_ok = array.dtype == np.object_ or array.dtype.kind == "S"
    else:
        dtype_ok = array.dtype == expected
    if not dtype_ok:
        raise RequestError(f"{model}: input {spec.name} must be {spec.dtype}, got {array.dtype}")
    dims = ((-1,) if batched else ()) + spec.dims
    shape_ok = array.ndim == len(dims) and all(d == -1 or d == s for d, s in zip(dims, array.shape, strict=True))
    if not shape_ok:
        raise RequestError(
            f"{model}: input {spec.name} must have shape {_dims_text(spec, batched)}, got {list(array.shape)}"
        )
    if expected is not np.object_ and np.issubdtype(expected, np.floating) and not np.isfinite(array).all():
        raise RequestError(f"{model}: input {spec.name} holds NaN or infinity; send finite numbers")
    return array


def single_bytes(model: str, spec: TensorSpec, array: np.ndarray) -> bytes:
    """The one element of a BYTES input of shape [1] as ``bytes``; RequestError if it is empty."""
    check_array(model, spec, array)
    value = array.reshape(-1)[0]
    data = value.encode() if isinstance(value, str) else bytes(value)
    if not data:
        raise RequestError(f"{model}: input {spec.name} is empty (0 bytes); send the whole file")
    return data


def single_number(model: str, spec: TensorSpec, array: np.ndarray) -> float | int:
    """The one element of a numeric input of shape [1] as a Python number."""
    check_array(model, spec, array)
    return array.reshape(-1)[0].item()


def check_at_most(model: str, name: str, value: float, limit: float, fix: str) -> None:
    """RequestError naming ``name`` when ``value`` exceeds the configured ``limit``."""
    if value > limit:
        raise RequestError(f"{model}: {name} {value:g} exceeds the limit {limit:g}; {fix}")


def flags_to_tensors(message: str) -> str:
    """``message`` with the CLI option names of in-process generation replaced by the served tensor names."""
    for flag, tensor in _FLAG_TENSORS.items():
        message = message.replace(flag, tensor)
    return message
