"""Every component is thin and self-describing: its own directory with component.py, metadata.yaml, a README
generated from the docstring and tests; the package image without pip installs; every input documented."""

import datetime

import pytest
import yaml

from components import BASE_IMAGE
from components.readme import ROOT, component_names, described, load_component, render_readme

EXPECTED = {
    "compare_models",
    "evaluate",
    "export_triton_repository",
    "fetch_model",
    "promote_model",
    "register_model",
    "sdgpip_generate",
    "train_stage",
}


def test_every_pipeline_step_has_a_component_directory():
    assert set(component_names()) == EXPECTED
    for name in EXPECTED:
        files = {path.name for path in (ROOT / name).iterdir()}
        assert {"__init__.py", "component.py", "metadata.yaml", "README.md", "tests"} <= files, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_names_the_component_and_when_it_was_verified(name):
    metadata = yaml.safe_load((ROOT / name / "metadata.yaml").read_text())
    assert metadata["name"] == name == load_component(name).name.replace("-", "_")
    assert metadata["stability"] in ("alpha", "beta", "stable")
    assert datetime.datetime.fromisoformat(metadata["lastVerified"]) <= datetime.datetime.now(datetime.UTC)
    assert {d["name"] for d in metadata["dependencies"]["kubeflow"]} >= {"Pipelines"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_readme_is_generated_from_the_current_component(name):
    assert (ROOT / name / "README.md").read_text() == render_readme(name), (
        f"components/{name}/README.md is stale: run `python -m components.readme`"
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_component_runs_on_the_package_image_and_documents_every_input(name):
    component = load_component(name)
    spec = component.component_spec
    container = spec.implementation.container
    assert container.image == BASE_IMAGE
    assert "pip install" not in " ".join(container.command + container.args)  # kfp is in the image
    undocumented = sorted((set(spec.inputs) | set(spec.outputs or {})) - set(described(component)))
    assert not undocumented, f"{name}: document {undocumented} in the docstring's Args"
