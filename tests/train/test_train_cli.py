"""``dancegen train`` user errors: one line ``error: …`` and exit code 2, raised before any training starts."""

import json

import pytest

from dancegen.train.commands import main


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--stage", "1", "--set", "weights.champ_dir=/nonexistent/champ"], "weights.champ_dir"),
        (["--stage", "2", "--init", "/nonexistent/model"], "init_from: /nonexistent/model has no model_index.json"),
        (["--stage", "1"], "stage 1 starts from a trained model: give --init DIR"),
        (["--stage", "0", "--set", "model.overrides.m2penc.feature_dim=4800"], "35-d music features"),
        (["--stage", "0", "--set", "model.overrides.m2penc.heatmap_channels=17"], "24 heatmap joints"),
        (["--stage", "0", "--set", "data.motion_sources=[edge]"], "data.motion_sources"),
        (["--stage", "0", "--set", "stages.stage0.bogus=1"], "unknown config key 'stages.stage0.bogus'"),
        (["--stage", "0", "--zero-stage", "4"], "'deepspeed.zero_stage' = 4"),
        (["--stage", "0", "--resume", "yes"], "--resume auto"),
        (["--stage", "5"], "--stage 5 does not exist"),
    ],
)
def test_user_errors_exit_2_with_one_line(tiny_dataset, tmp_path, capsys, extra, message):
    base = ["--preset", "tiny", "--data", str(tiny_dataset), "--out", str(tmp_path / "run")]
    code, _, err = run_cli([*base, *extra], capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_estimate_memory_prints_paper_counts_and_zero_estimates(capsys):
    code, out, _ = run_cli(["--preset", "paper", "--estimate-memory"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["gpus"] == 8 and report["parameters"]["unet"] > 1e9  # SD-1.5 U-Net + AnimateDiff modules
    stage2 = report["stages"]["stage2"]["model_states_gib_per_gpu"]
    assert stage2["zero3"] < stage2["zero2"] < stage2["zero1"]
    assert report["stages"]["stage1"]["trainable_groups"] == ["music_encoder"]
