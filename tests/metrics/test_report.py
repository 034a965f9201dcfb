import json
import math

import pytest

from dancegen.metrics import MetricResult, to_json


def test_ok_and_unavailable_results_serialise_to_strict_json():
    results = [
        MetricResult.ok("psnr", math.inf, frames=3),
        MetricResult.unavailable("fvd", "metrics.i3d_torchscript is not set", convention="stylegan-v"),
    ]
    decoded = json.loads(to_json(results))
    assert decoded[0] == {"name": "psnr", "value": "inf", "status": "ok", "reason": "", "details": {"frames": 3}}
    assert decoded[1]["value"] is None and decoded[1]["status"] == "unavailable"
    assert "i3d_torchscript" in decoded[1]["reason"]
    assert json.loads(to_json(results[0]))["name"] == "psnr"


def test_results_refuse_made_up_or_missing_numbers():
    with pytest.raises(ValueError):
        MetricResult("lpips", None, "ok")
    with pytest.raises(ValueError):
        MetricResult("lpips", math.nan, "ok")
    with pytest.raises(ValueError):
        MetricResult("lpips", 0.1, "unavailable", reason="no weights")
    with pytest.raises(ValueError):
        MetricResult("lpips", None, "unavailable", reason="")
    with pytest.raises(ValueError):
        MetricResult("lpips", 0.1, "maybe")
