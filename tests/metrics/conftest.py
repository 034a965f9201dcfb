"""Fixtures: weight-file stand-ins written once per session (see metric_standins.py)."""

from __future__ import annotations

import pytest
from metric_standins import save_dwpose_stand_in, save_i3d_stand_in


@pytest.fixture(scope="session")
def i3d_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("i3d") / "i3d_torchscript.pt"
    save_i3d_stand_in(path)
    return str(path)


@pytest.fixture(scope="session")
def dwpose_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("dwpose") / "dw-ll_ucoco_384.onnx"
    save_dwpose_stand_in(path)
    return str(path)
