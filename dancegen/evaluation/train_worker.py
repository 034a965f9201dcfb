"""The ablation's training runs, one after another in ONE process (imports and DeepSpeed's start-up paid once).

Usage (``dancegen ablate`` starts it)::

    python -m dancegen.evaluation.train_worker PLAN.json RESULTS.json

``PLAN.json`` is :func:`~dancegen.evaluation.ablation_plan.plan_training`'s run list. Each run goes through the
trainer's library entry point (:func:`dancegen.train.config.load_train_config` + :func:`dancegen.train.trainer.train`,
what ``dancegen train`` calls). ``RESULTS.json`` is rewritten after every run: ``{run: {"status": "ok", "model_dir",
"step", "seconds", "reused", "losses"}}``, or ``{"status": "failed" | "skipped", "reason"}`` when the trainer
refused the run (a user error, e.g. a motion filter that leaves no clip) or the run it starts from failed.

A run whose exported model exists and whose marker (``<out>/ablation-run.json``: the run's config layers, the
dataset digest and the marker of the run it starts from) is unchanged is reused, so re-running ``dancegen
ablate`` with the same settings only trains what changed or what did not finish.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from dancegen.errors import DancegenError
from dancegen.storage import atomic_write_bytes

MARKER = "ablation-run.json"


def _marker(run: dict[str, Any], digest: str, init_marker: dict | None) -> dict[str, Any]:
    keys = ("preset", "stage", "cli", "overrides")
    return {**{key: run[key] for key in keys}, "dataset": digest, "init": init_marker}


def _finished(out: Path, marker: dict[str, Any]) -> dict[str, Any] | None:
    """The exported model's training info when the run at ``out`` finished with this exact ``marker``."""
    info_path, marker_path = out / "model" / "training.json", out / MARKER
    if not (info_path.is_file() and marker_path.is_file()):
        return None
    if json.loads(marker_path.read_text()) != json.loads(json.dumps(marker)):
        return None
    return json.loads(info_path.read_text())


def run_plan(plan: list[dict[str, Any]], results_path: str | Path) -> dict[str, dict[str, Any]]:
    """Train every run of ``plan`` in order (see the module docstring); return and write the results."""
    from dancegen.sdgpip.generate import load_manifest, manifest_digest
    from dancegen.train.config import load_train_config
    from dancegen.train.trainer import train

    results: dict[str, dict[str, Any]] = {}
    markers: dict[str, dict[str, Any]] = {}
    digests: dict[str, str] = {}
    for index, run in enumerate(plan, start=1):
        name, init, vae = run["name"], run.get("init_run"), run.get("vae_run")
        missing = [needed for needed in (init, vae) if needed and results.get(needed, {}).get("status") != "ok"]
        if missing:
            results[name] = {"status": "skipped", "reason": f"it starts from {missing[0]}, which has no model"}
            continue
        data = run["cli"]["data"]["path"]
        digests.setdefault(data, manifest_digest(load_manifest(data)))
        marker = _marker(run, digests[data], markers.get(init) if init else None)
        if vae:
            marker["vae"] = markers.get(vae)
        out = Path(run["cli"]["out"])
        cli = dict(run["cli"])
        if init:
            cli["init_from"] = results[init]["model_dir"]
        if vae:
            cli["weights"] = {**cli.get("weights", {}), "vae": results[vae]["model_dir"]}
        print(f"[train {index}/{len(plan)}] {name} (stage {run['stage']})", flush=True)
        info = _finished(out, marker)
        if info is not None:
            results[name] = {"status": "ok", "model_dir": str(out / "model"), "step": info["step"], "reused": True}
            markers[name] = marker
            print(f"  reused {out / 'model'} (step {info['step']})", flush=True)
        else:
            shutil.rmtree(out, ignore_errors=True)  # an unfinished or differently configured earlier run
            start = time.perf_counter()
            try:
                cfg = load_train_config(stage=run["stage"], preset=run["preset"], cli=cli, overrides=run["overrides"])
                result = train(cfg)
            except DancegenError as exc:
                results[name] = {"status": "failed", "reason": str(exc)}
                print(f"  failed: {exc}", flush=True)
            else:
                atomic_write_bytes(out / MARKER, json.dumps(marker, indent=2).encode())
                markers[name] = marker
                losses = {k: v for k, v in result.metrics.items() if k in ("loss", "pix", "guid", "heat")}
                seconds = round(time.perf_counter() - start, 1)
                results[name] = {
                    "status": "ok",
                    "model_dir": str(result.model_dir),
                    "step": result.step,
                    "seconds": seconds,
                    "reused": False,
                    "losses": losses,
                }
        atomic_write_bytes(Path(results_path), json.dumps(results, indent=2).encode())
    atomic_write_bytes(Path(results_path), json.dumps(results, indent=2).encode())
    return results


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m dancegen.evaluation.train_worker PLAN.json RESULTS.json", file=sys.stderr)
        sys.exit(2)
    run_plan(json.loads(Path(args[0]).read_text()), args[1])


if __name__ == "__main__":
    main()
