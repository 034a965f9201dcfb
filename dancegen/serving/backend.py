"""Glue between the ``model.py`` files and Triton's Python backend (imported only inside the server's stub).

- :func:`load_model_config`: parse ``args["model_config"]`` once, check the declared tensors against the
  interface and read the typed parameters; any mismatch is ``TritonModelException`` naming the model.
- :class:`RequestGuard`: turns what goes wrong with one request into that request's error response
  (``INVALID_ARG`` for a bad request, ``CANCELLED`` when the client gave up, ``INTERNAL`` otherwise), logs it
  with ``pb_utils.Logger`` and counts it in the ``dancegen_rejected_requests`` metric (labels ``model``,
  ``reason``). Nothing escapes ``execute``.
- :func:`read_input`, :func:`output`: tensors in and out, checked by :mod:`dancegen.serving.requests`.
- :func:`call_model`: a BLS request to another served model; its error becomes this request's error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils

from dancegen.errors import DancegenError
from dancegen.serving.errors import RequestCancelled, RequestError
from dancegen.serving.interfaces import ModelInterface, TensorSpec
from dancegen.serving.model_config import check_declared, read_parameters
from dancegen.serving.requests import check_array

REJECTED_METRIC = "dancegen_rejected_requests"


def load_model_config(args: Mapping[str, str], interface: ModelInterface) -> tuple[dict, dict[str, Any]]:
    """``(config, parameters)`` of this model; ``TritonModelException`` naming the model on any mismatch."""
    config = json.loads(args["model_config"])
    try:
        check_declared(config, interface)
        parameters = read_parameters(config, interface)
    except DancegenError as exc:
        raise fail(args["model_name"], str(exc)) from None
    return config, parameters


def version_dir(args: Mapping[str, str]) -> Path:
    """``<repo>/<model>/<version>``: where export put this model's weights."""
    return Path(args["model_repository"]) / args["model_version"]


def torch_device(args: Mapping[str, str]):
    """``cuda:<id>`` for a KIND_GPU instance, else ``cpu``."""
    import torch

    if args.get("model_instance_kind") == "GPU":
        return torch.device(f"cuda:{int(args.get('model_instance_device_id', 0))}")
    return torch.device("cpu")


def set_torch_threads(threads: int) -> None:
    """Intra-op threads of this instance's process (0 keeps torch's default)."""
    import torch

    if threads > 0:
        torch.set_num_threads(threads)


def fail(model: str, message: str) -> pb_utils.TritonModelException:
    """The exception ``initialize`` raises: the message names the model."""
    return pb_utils.TritonModelException(f"model {model!r} cannot load: {message}")


class RequestGuard:
    """Answers each request on its own: a handler's exception becomes that request's error response."""

    def __init__(self, model: str):
        self.model = model
        # the family must outlive its metrics (Triton refuses to update a metric of a deleted family)
        self._family = pb_utils.MetricFamily(
            name=REJECTED_METRIC,
            description="requests answered with an error by a dancegen model, by reason",
            kind=pb_utils.MetricFamily.COUNTER,
        )
        self._rejected = {
            reason: self._family.Metric(labels={"model": model, "reason": reason})
            for reason in ("invalid_arg", "cancelled", "internal")
        }

    def error(self, exc: BaseException, request=None) -> pb_utils.InferenceResponse:
        """The error response for ``exc``: ``INVALID_ARG`` with its message for a user error, else ``INTERNAL``."""
        request_id = request.request_id() if request is not None else ""
        where = f" (request {request_id})" if request_id else ""
        if isinstance(exc, DancegenError):
            message = str(exc) if str(exc).startswith(f"{self.model}:") else f"{self.model}: {exc}"
            code, reason = pb_utils.TritonError.INVALID_ARG, "invalid_arg"
            pb_utils.Logger.log_warn(f"rejected{where}: {message}")
        elif isinstance(exc, RequestCancelled):
            message = f"{self.model}: cancelled by the client"
            code, reason = pb_utils.TritonError.CANCELLED, "cancelled"
            pb_utils.Logger.log_info(f"stopped{where}: {message}")
        else:
            message = f"{self.model}: internal error {type(exc).__name__}: {exc}"
            code, reason = pb_utils.TritonError.INTERNAL, "internal"
            pb_utils.Logger.log_error(f"failed{where}: {message}")
        try:
            self._rejected[reason].increment(1)
        except Exception as metric_exc:  # noqa: BLE001 — counting must not cost the client its answer
            pb_utils.Logger.log_error(f"{self.model}: cannot count the rejection: {metric_exc}")
        return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, code))

    def answer(self, request, handler: Callable[[Any], list]) -> pb_utils.InferenceResponse:
        """``InferenceResponse(handler(request))``, or the error response of whatever it raised."""
        try:
            return pb_utils.InferenceResponse(output_tensors=handler(request))
        except Exception as exc:  # noqa: BLE001 — execute never raises; the request gets its error
            return self.error(exc, request)


def read_input(model: str, request, spec: TensorSpec, batched: bool = False) -> np.ndarray | None:
    """The checked numpy array of input ``spec`` (None if an optional input is absent)."""
    tensor = pb_utils.get_input_tensor_by_name(request, spec.name)
    if tensor is None:
        if spec.optional:
            return None
        raise RequestError(f"{model}: input {spec.name} is missing ({spec.dtype}, {spec.description})")
    return check_array(model, spec, tensor.as_numpy(), batched)


def output(spec: TensorSpec, array) -> pb_utils.Tensor:
    """An output tensor with ``spec``'s name and dtype."""
    if spec.dtype == "BYTES":
        return pb_utils.Tensor(spec.name, np.asarray(array, dtype=np.object_))
    return pb_utils.Tensor(spec.name, np.ascontiguousarray(array, dtype=spec.numpy_dtype))


def call_model(model: str, inputs: Mapping[str, np.ndarray], outputs: list[str]) -> dict[str, np.ndarray]:
    """Run a BLS request on another served model; its ``INVALID_ARG`` becomes a :class:`RequestError` with the
    callee's message, any other error a RuntimeError (an internal error of the caller)."""
    request = pb_utils.InferenceRequest(
        model_name=model,
        requested_output_names=list(outputs),
        inputs=[pb_utils.Tensor(name, array) for name, array in inputs.items()],
    )
    response = request.exec()
    if response.has_error():
        error = response.error()
        if error.code() == pb_utils.TritonError.INVALID_ARG:
            raise RequestError(error.message())
        raise RuntimeError(f"{model} failed: {error.message()}")
    return {name: pb_utils.get_output_tensor_by_name(response, name).as_numpy() for name in outputs}
