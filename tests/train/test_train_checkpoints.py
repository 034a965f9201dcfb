import json

import pytest

from dancegen.errors import ConfigError
from dancegen.paths import cache_dir
from dancegen.train.checkpoints import (
    check_resume_config,
    checkpoint_steps,
    local_run_dir,
    prune_checkpoints,
    run_paths,
    write_train_state,
)
from dancegen.train.config import load_train_config


def test_run_paths_name_every_file_of_a_run():
    paths = run_paths(500)
    assert (paths.tag, paths.checkpoint, paths.train_state) == (
        "step-00000500",
        "checkpoints/step-00000500",
        "checkpoints/step-00000500/train_state.json",
    )
    assert (run_paths().model, run_paths().checkpoints, run_paths().tag) == ("model", "checkpoints", None)


def test_s3_runs_stage_locally_under_the_cache(tmp_path):
    assert local_run_dir(str(tmp_path / "run")) == tmp_path / "run"
    staging = local_run_dir("s3://bucket/runs/a")
    assert staging.parent == cache_dir() / "train-staging" and staging != local_run_dir("s3://bucket/runs/b")


def test_only_finished_checkpoints_count_and_pruning_keeps_the_newest(tmp_path):
    for step in (2, 4, 6):
        (tmp_path / run_paths(step).checkpoint).mkdir(parents=True)
        (tmp_path / run_paths(step).checkpoint / "mp_rank_00_model_states.pt").write_bytes(b"x")
    for step in (2, 4):  # step 6 has DeepSpeed files but no train_state.json: a save that was cut short
        write_train_state(str(tmp_path), tmp_path, step, {"step": step})
    assert checkpoint_steps(str(tmp_path)) == [2, 4]
    assert json.loads((tmp_path / run_paths(4).train_state).read_text()) == {"step": 4}
    assert prune_checkpoints(str(tmp_path), tmp_path, keep=1) == [2]
    assert checkpoint_steps(str(tmp_path)) == [4] and not (tmp_path / run_paths(2).checkpoint).exists()


def test_resume_accepts_new_step_counts_but_not_new_training_settings():
    saved = load_train_config(stage=2, preset="tiny").model_dump(mode="json")
    more = load_train_config(stage=2, preset="tiny", overrides=["stages.stage2.max_steps=999", "log.every=3"])
    check_resume_config(saved, more.model_dump(mode="json"))
    for override, key in (("optim.lr=0.1", "optim.lr"), ("stages.stage2.micro_batch_size=5", "micro_batch_size")):
        changed = load_train_config(stage=2, preset="tiny", overrides=[override]).model_dump(mode="json")
        with pytest.raises(ConfigError, match=key):
            check_resume_config(saved, changed)
