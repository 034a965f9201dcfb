"""``dancegen pipeline``: parameters, compiling, the local-run guard and submitting to an unreachable API."""

import pytest
import yaml

from dancegen.lifecycle.commands import main
from dancegen.lifecycle.errors import PipelineError
from dancegen.lifecycle.runner import compile_pipelines, load_pipeline, parse_params
from dancegen.process import free_port


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exited:
        main(args)
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


def test_params_are_converted_to_the_declared_types():
    training = load_pipeline("training")
    params = parse_params(training, ["tracks=3", "fps=7.5", "gates=fvd=lower", "train_overrides=a=1;b=2"])
    assert params == {"tracks": 3, "fps": 7.5, "gates": "fvd=lower", "train_overrides": "a=1;b=2"}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["tracks=three"], "--param tracks='three': not a valid integer"),
        (["no_such=1"], "has no such parameter; it has preset, executor"),
        (["tracks"], "must look like key=value"),
    ],
)
def test_bad_params_are_one_line_errors(pairs, message):
    with pytest.raises(PipelineError, match=message):
        parse_params(load_pipeline("training"), pairs)


def test_required_params_must_be_given():
    with pytest.raises(PipelineError, match="dancegen-evaluation needs --param dataset_uri="):
        parse_params(load_pipeline("evaluation"), [])
    with pytest.raises(PipelineError, match="pipeline 'nightly' does not exist; choose one of training, evaluation"):
        load_pipeline("nightly")


def test_compile_writes_yaml_that_loads_back(tmp_path, capsys):
    code, out, _ = run_cli(["compile", "--out", str(tmp_path)], capsys)
    assert code == 0 and out.count("wrote ") == 2
    spec = yaml.safe_load((tmp_path / "training_pipeline.yaml").read_text())
    assert spec["pipelineInfo"]["name"] == "dancegen-training"
    assert compile_pipelines(tmp_path / "again", ["evaluation"]) == [tmp_path / "again" / "evaluation_pipeline.yaml"]


def test_run_without_local_is_refused(capsys):
    code, _, err = run_cli(["run", "--param", "tracks=3"], capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert "add --local" in err


def test_submit_to_an_unreachable_host_is_one_line_naming_it(capsys):
    host = f"http://127.0.0.1:{free_port()}"
    code, _, err = run_cli(["submit", "--host", host, "--param", "preset=tiny"], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"error: Kubeflow Pipelines API at {host} is unreachable (")


def test_local_run_checks_the_tracking_server_before_any_step(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code, _, err = run_cli(["run", "--local", "--root", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "no MLflow tracking server: set MLFLOW_TRACKING_URI or start the local stack" in err
    nowhere = f"http://127.0.0.1:{free_port()}"
    code, _, err = run_cli(["run", "--local", "--root", str(tmp_path), "--param", f"tracking_uri={nowhere}"], capsys)
    assert code == 2 and f"MLflow tracking server {nowhere} is unreachable" in err
    assert not (tmp_path / "outputs").exists()


def test_local_run_rejects_unknown_params(tmp_path, capsys):
    code, _, err = run_cli(["run", "--local", "--root", str(tmp_path), "--param", "stages=4"], capsys)
    assert code == 2 and "--param stages: dancegen-training has no such parameter" in err


def test_executor_input_dumps_are_dropped_and_step_logs_kept():
    import io

    from dancegen.lifecycle.runner import ExecutorLogFilter

    sink = io.StringIO()
    stream = ExecutorLogFilter(sink)
    stream.write("    [KFP Executor 1 INFO]: Looking for component `x`\n")
    stream.write("    [KFP Executor 1 INFO]: Got executor_input:\n")
    stream.write('    {\n        "inputs": {\n            "a": 1\n        }\n    }\n')
    stream.write("    stage 0: step 3/10 loss 0.41\n08:00 - INFO - Task 'x' finished")
    assert sink.getvalue() == "    stage 0: step 3/10 loss 0.41\n"
    stream.write(" with status SUCCESS\n")
    assert sink.getvalue().endswith("Task 'x' finished with status SUCCESS\n")
