"""Test helper: run several training configs one after another inside ONE torchrun job.

Imports, DeepSpeed's start-up and the process group are paid once for all the runs of the test session
(``conftest.py`` writes the plan). Usage: ``torchrun --nproc_per_node=2 run_configs.py plan.json results.json``.
Each plan entry: ``{"name", "stage", "cli": {...}, "overrides": [...], "init_run": name | null}`` and optionally
``"resume": true`` (``--resume auto``).
"""

import dataclasses
import json
import os
import sys
import time

from dancegen.train.config import load_train_config
from dancegen.train.trainer import train


def main(plan_path: str, results_path: str) -> None:
    plan = json.loads(open(plan_path).read())
    results = {}
    for run in plan:
        cli = dict(run.get("cli", {}))
        if run.get("init_run"):
            cli["init_from"] = results[run["init_run"]]["model_dir"]
        cfg = load_train_config(stage=run["stage"], preset="tiny", cli=cli, overrides=run.get("overrides", []))
        start = time.perf_counter()
        result = train(cfg, resume=run.get("resume", False))
        results[run["name"]] = {**dataclasses.asdict(result), "seconds": round(time.perf_counter() - start, 1)}
    if os.environ.get("RANK", "0") == "0":
        with open(results_path, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
