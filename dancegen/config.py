"""Layered, strict configuration: defaults → preset → YAML file → command-line overrides.

Every config is a pydantic model with ``extra="forbid"``: an unknown key or a value of the wrong type
is a :class:`~dancegen.errors.ConfigError` naming the key, the value and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from dancegen.errors import ConfigError

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every dancegen config: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Recursively merge ``update`` into a copy of ``base`` (nested dicts merge, other values replace)."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML mapping; a missing file or non-mapping content is a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys, got {type(data).__name__}")
    return data


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """``["train.lr=1e-4", "model.m2penc.heads=2"]`` → nested dict; values are parsed as YAML scalars."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ConfigError(f"override {pair!r} must look like key=value (e.g. train.max_steps=10)")
        dotted, raw = pair.split("=", 1)
        value = yaml.safe_load(raw) if raw else ""
        node = result
        keys = dotted.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return result


def validation_message(exc: ValidationError, what: str) -> str:
    """One line from a pydantic error: the first offending key, its value and the expectation."""
    err = exc.errors()[0]
    key = ".".join(str(part) for part in err["loc"]) or "(root)"
    if err["type"] == "extra_forbidden":
        return f"{what}: unknown config key {key!r}"
    if err["type"] == "missing":
        return f"{what}: missing required config key {key!r}"
    return f"{what}: config key {key!r} = {err.get('input')!r}: {err['msg']}"


def build_config(
    model: type[ConfigT],
    *layers: Mapping[str, Any] | None,
    what: str = "config",
) -> ConfigT:
    """Merge the layers in order (later wins) and validate them into ``model``."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer:
            merged = deep_merge(merged, layer)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, what)) from None
