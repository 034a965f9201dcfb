"""promote_model.python_func: a malformed gate fails before any tracking server is contacted
(promotion against a real MLflow registry: tests/pipelines)."""

import pytest

from components.promote_model import promote_model
from dancegen.process import free_port
from dancegen.tracking.errors import RegistryError


def test_malformed_gate_fails_without_a_server():
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RegistryError, match="gate 'fvd' must look like METRIC=lower or METRIC=higher"):
        promote_model.python_func(model_name="dancegen", version="1", gates="fvd", tracking_uri=nowhere)
