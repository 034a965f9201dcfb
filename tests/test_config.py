import pytest

from dancegen.config import StrictModel, build_config, parse_overrides, read_yaml
from dancegen.errors import ConfigError


class Inner(StrictModel):
    lr: float = 1e-5
    steps: int = 10


class Outer(StrictModel):
    name: str
    inner: Inner = Inner()


def test_layers_merge_in_order():
    cfg = build_config(Outer, {"name": "a", "inner": {"lr": 1.0}}, {"inner": {"steps": 3}})
    assert cfg.name == "a" and cfg.inner.lr == 1.0 and cfg.inner.steps == 3


def test_unknown_key_missing_key_and_wrong_type_are_config_errors():
    with pytest.raises(ConfigError, match="unknown config key 'inner.lrr'"):
        build_config(Outer, {"name": "a", "inner": {"lrr": 1}})
    with pytest.raises(ConfigError, match="missing required config key 'name'"):
        build_config(Outer, {})
    with pytest.raises(ConfigError, match="'inner.steps' = 'many'"):
        build_config(Outer, {"name": "a", "inner": {"steps": "many"}})


def test_overrides_parse_nested_yaml_scalars():
    assert parse_overrides(["inner.lr=0.5", "name=x"]) == {"inner": {"lr": 0.5}, "name": "x"}
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["nonsense"])


def test_yaml_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_yaml(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        read_yaml(bad)
