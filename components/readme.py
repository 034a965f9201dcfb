"""Generate each component's README.md from its component.py (docstring, typed inputs and outputs) and
metadata.yaml, as kubeflow/pipelines-components does. ``python -m components.readme`` rewrites them all;
``components/test_layout.py`` fails when one is out of date.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import yaml

ROOT = Path(__file__).parent


def component_names() -> list[str]:
    """Directories of ``components/`` that hold a component.py."""
    return sorted(p.parent.name for p in ROOT.glob("*/component.py"))


def load_component(name: str):
    """The component object ``components.<name>.<name>``."""
    return getattr(importlib.import_module(f"components.{name}"), name)


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _type(spec) -> str:
    kind = spec.type
    return kind.split("@")[0] if isinstance(kind, str) else str(kind)


def described(component) -> dict[str, str]:
    """Descriptions of the component's inputs and outputs: its docstring's ``Args`` (artifact outputs too,
    which KFP leaves undescribed) and ``Returns`` (parameter outputs, as KFP parses them)."""
    from docstring_parser import parse

    spec = component.component_spec
    found = {key: item.description for key, item in {**spec.inputs, **(spec.outputs or {})}.items() if item.description}
    doc = parse(inspect.getdoc(component.python_func) or "")
    for param in doc.params:
        found.setdefault(param.arg_name, " ".join(param.description.split()))
    if "Output" in (spec.outputs or {}) and doc.returns and doc.returns.description:
        found.setdefault("Output", " ".join(doc.returns.description.split()))  # a single return value
    return found


def render_readme(name: str) -> str:
    """The README text of component ``name``."""
    component = load_component(name)
    metadata = yaml.safe_load((ROOT / name / "metadata.yaml").read_text())
    doc = inspect.getdoc(component.python_func) or ""
    descriptions = described(component)
    summary = doc.split("\n\nArgs:")[0].strip()
    lines = [f"# `{name}`", "", f"> {metadata['description']}", "", summary, ""]
    lines += [
        f"Stability: **{metadata['stability']}** · image: `{component.component_spec.implementation.container.image}`"
        f" · last verified {metadata['lastVerified'][:10]}",
        "",
        "## Inputs",
        "",
        "| name | type | default | description |",
        "|---|---|---|---|",
    ]
    for key, spec in (component.component_spec.inputs or {}).items():
        default = "required" if spec.default is None and not spec.optional else repr(spec.default)
        lines.append(f"| `{key}` | {_type(spec)} | {_cell(default)} | {_cell(descriptions.get(key, ''))} |")
    lines += ["", "## Outputs", "", "| name | type | description |", "|---|---|---|"]
    for key, spec in (component.component_spec.outputs or {}).items():
        lines.append(f"| `{key}` | {_type(spec)} | {_cell(descriptions.get(key, ''))} |")
    lines += [
        "",
        "## Use",
        "",
        "```python",
        f"from components.{name} import {name}",
        "```",
        "",
        "Retries and resources are set on the task in `pipelines/`, never here.",
        "",
    ]
    return "\n".join(lines)


def write_readmes() -> list[Path]:
    """Rewrite every component's README.md; return the paths."""
    written = []
    for name in component_names():
        path = ROOT / name / "README.md"
        path.write_text(render_readme(name))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_readmes():
        print(f"wrote {path}")
