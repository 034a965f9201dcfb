"""``config.pbtxt``: written from a :class:`~dancegen.serving.interfaces.ModelInterface` at export, checked at load.

Export builds Triton's own ``ModelConfig`` protobuf (``tritonclient.grpc.model_config_pb2``) and prints it in
text format, so a config that Triton would reject cannot be written. Inside the server, each model's
``initialize`` gets the config back as JSON (``args["model_config"]``) and calls :func:`check_declared` and
:func:`read_parameters`; a mismatch is a :class:`~dancegen.errors.ConfigError` that the model turns into
``TritonModelException`` naming itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dancegen.errors import ConfigError
from dancegen.serving.interfaces import DANCE_VIDEO, ModelInterface, ParameterSpec, TensorSpec

INSTANCE_KINDS = {"cpu": "KIND_CPU", "gpu": "KIND_GPU"}


def build_model_config(
    interface: ModelInterface,
    *,
    kind: str = "cpu",
    instances: int = 1,
    max_batch_size: int = 32,
    dynamic_batching: bool = True,
    max_queue_delay_us: int = 500,
    preferred_batch_sizes: Sequence[int] = (),
    stream_progress: bool = False,
    parameters: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> str:
    """The ``config.pbtxt`` text of one model (Python backend, ``latest: 1`` version policy).

    ``max_batch_size``/``dynamic_batching``/``max_queue_delay_us``/``preferred_batch_sizes`` apply to batched
    models only; ``stream_progress`` makes ``dance_video`` decoupled. ``parameters`` override the interface's
    defaults (unknown names are errors).
    ``name`` serves the model under another name (the directory must be called the same).
    """
    from google.protobuf import json_format, text_format
    from tritonclient.grpc import model_config_pb2

    if kind not in INSTANCE_KINDS:
        raise ConfigError(f"instance kind {kind!r} must be one of {sorted(INSTANCE_KINDS)}")
    values = {spec.name: spec.default for spec in interface.parameters}
    for key, value in (parameters or {}).items():
        if key not in values:
            raise ConfigError(f"{interface.name} has no parameter {key!r}; known: {sorted(values)}")
        values[key] = _parse_parameter(interface.name, _spec(interface, key), str(value))

    def tensor(spec: TensorSpec) -> dict[str, Any]:
        entry = {"name": spec.name, "data_type": spec.config_dtype, "dims": list(spec.dims)}
        return {**entry, "optional": True} if spec.optional else entry

    config: dict[str, Any] = {
        "name": name or interface.name,
        "backend": "python",
        "max_batch_size": max_batch_size if interface.batched else 0,
        "input": [tensor(spec) for spec in interface.inputs],
        "output": [tensor(spec) for spec in interface.outputs],
        "instance_group": [{"kind": INSTANCE_KINDS[kind], "count": instances}],
        "version_policy": {"latest": {"num_versions": 1}},
        "parameters": {key: {"string_value": str(value)} for key, value in values.items()},
    }
    if interface.batched and dynamic_batching:
        config["dynamic_batching"] = {"max_queue_delay_microseconds": max_queue_delay_us}
        if preferred_batch_sizes:
            config["dynamic_batching"]["preferred_batch_size"] = list(preferred_batch_sizes)
    if interface.name == DANCE_VIDEO and stream_progress:
        config["model_transaction_policy"] = {"decoupled": True}
    message = json_format.ParseDict(config, model_config_pb2.ModelConfig())
    return text_format.MessageToString(message)


def _spec(interface: ModelInterface, name: str) -> ParameterSpec:
    return next(spec for spec in interface.parameters if spec.name == name)


def _parse_parameter(model: str, spec: ParameterSpec, text: str) -> Any:
    try:
        value = spec.kind(text)
    except ValueError:
        raise ConfigError(
            f"{model}: parameter {spec.name!r} = {text!r} is not a {spec.kind.__name__} ({spec.description})"
        ) from None
    if isinstance(value, int | float) and value < 0:
        raise ConfigError(f"{model}: parameter {spec.name!r} = {text!r} must be ≥ 0 ({spec.description})")
    return value


def read_parameters(config: Mapping[str, Any], interface: ModelInterface) -> dict[str, Any]:
    """The typed ``parameters`` of a loaded config (JSON form), defaults filled in; ConfigError on unknown or
    ill-typed ones."""
    given = {key: entry.get("string_value", "") for key, entry in (config.get("parameters") or {}).items()}
    known = {spec.name: spec for spec in interface.parameters}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ConfigError(f"{interface.name}: unknown parameter(s) {unknown} in config.pbtxt; known: {sorted(known)}")
    return {
        name: _parse_parameter(interface.name, spec, given[name]) if name in given else spec.default
        for name, spec in known.items()
    }


def _declared(entries: list[Mapping[str, Any]]) -> dict[str, tuple[str, tuple[int, ...], bool]]:
    return {
        entry["name"]: (
            entry.get("data_type", ""),
            tuple(int(d) for d in entry.get("dims", [])),
            bool(entry.get("optional")),
        )
        for entry in entries
    }


def check_declared(config: Mapping[str, Any], interface: ModelInterface) -> None:
    """Raise ConfigError unless the config declares exactly the interface's tensors (names, dtypes, dims,
    optional flags) and batches iff the interface is batched."""
    name = interface.name
    batch = int(config.get("max_batch_size", 0))
    if interface.batched and batch < 1:
        raise ConfigError(f"{name}: config.pbtxt max_batch_size is {batch}; this model needs ≥ 1 (it is batched)")
    if not interface.batched and batch != 0:
        raise ConfigError(f"{name}: config.pbtxt max_batch_size is {batch}; this model takes no batch dimension (0)")
    for direction, specs, entries in (
        ("input", interface.inputs, config.get("input", [])),
        ("output", interface.outputs, config.get("output", [])),
    ):
        declared = _declared(entries)
        expected = {spec.name: (spec.config_dtype, spec.dims, spec.optional) for spec in specs}
        extra = sorted(set(declared) - set(expected))
        if extra:
            raise ConfigError(
                f"{name}: config.pbtxt declares unknown {direction}(s) {extra}; expected {sorted(expected)}"
            )
        for tensor, (dtype, dims, optional) in expected.items():
            got = declared.get(tensor)
            if got is None:
                raise ConfigError(f"{name}: config.pbtxt lacks {direction} {tensor!r} ({dtype}, dims {list(dims)})")
            if got[0] != dtype or got[1] != dims:
                raise ConfigError(
                    f"{name}: config.pbtxt declares {direction} {tensor!r} as {got[0]} dims {list(got[1])}, but the "
                    f"weights need {dtype} dims {list(dims)}; re-export the repository"
                )
            if direction == "input" and got[2] != optional:
                raise ConfigError(f"{name}: config.pbtxt input {tensor!r} must have optional: {str(optional).lower()}")
