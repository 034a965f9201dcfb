import numpy as np
import pytest
import torch

from dancegen.errors import WeightsError
from dancegen.metrics import LPIPS, MetricsConfig, lpips_metric
from dancegen.metrics.weights import resolve_weights
from dancegen.storage import s3_client


def test_unset_and_missing_paths_name_the_config_key(tmp_path):
    with pytest.raises(WeightsError, match=r"metrics\.i3d_torchscript is not set"):
        resolve_weights(None, "metrics.i3d_torchscript", "I3D file")
    with pytest.raises(WeightsError, match=r"metrics\.i3d_torchscript = .*absent\.pt.* does not exist"):
        resolve_weights(tmp_path / "absent.pt", "metrics.i3d_torchscript", "I3D file")
    with pytest.raises(WeightsError, match="does not name a file inside a bucket"):
        resolve_weights("s3://bucket-only/", "metrics.lpips_weights", "LPIPS state dict")
    present = tmp_path / "present.pt"
    present.write_bytes(b"x")
    assert resolve_weights(str(present), "metrics.i3d_torchscript", "I3D file") == present


def test_config_rejects_unknown_keys_and_conventions():
    with pytest.raises(ValueError):
        MetricsConfig(lpips_weight="/typo.pth")
    with pytest.raises(ValueError):
        MetricsConfig(fvd_convention="tf-hub")
    assert MetricsConfig().fvd_convention == "stylegan-v"


@pytest.mark.integration
def test_weights_are_fetched_from_s3(s3_env, tmp_path):
    torch.manual_seed(0)
    torch.save(LPIPS("alex").state_dict(), tmp_path / "lpips.pth")
    s3_client().upload_file(str(tmp_path / "lpips.pth"), s3_env, "weights/lpips.pth")
    frames = np.random.default_rng(0).integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    result = lpips_metric(frames, 255 - frames, f"s3://{s3_env}/weights/lpips.pth")
    assert result.available and result.value != 0.0
    missing = lpips_metric(frames, frames, f"s3://{s3_env}/weights/absent.pth")
    assert missing.value is None and "metrics.lpips_weights" in missing.reason
