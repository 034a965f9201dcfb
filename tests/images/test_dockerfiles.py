"""The Dockerfiles' structure (no container engine here): pinned bases, the package installed from the
tested constraints, a non-root final user, and no credentials baked in. Parsed with the `dockerfile`
package (Docker's own Go parser)."""

import re
from pathlib import Path

import dockerfile
import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGES = {
    "package": ROOT / "Dockerfile",
    "trainer": ROOT / "images" / "trainer" / "Dockerfile",
    "serving": ROOT / "images" / "serving" / "Dockerfile",
}
SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL)", re.IGNORECASE)


def parse(name):
    return dockerfile.parse_file(str(IMAGES[name]))


def stages(commands):
    """[(image, alias, [commands of the stage])] in order."""
    result = []
    for cmd in commands:
        if cmd.cmd == "FROM":
            image, alias = cmd.value[0], cmd.value[2] if len(cmd.value) == 3 else None
            result.append((image, alias, []))
        elif result:
            result[-1][2].append(cmd)
    return result


def run_text(commands):
    return "\n".join(" ".join(c.value) for c in commands if c.cmd == "RUN")


@pytest.mark.parametrize("name", list(IMAGES))
def test_every_base_image_is_pinned_to_a_version(name):
    aliases = set()
    for image, alias, _ in stages(parse(name)):
        if image not in aliases:
            repo, _, tag = image.rpartition(":")
            assert repo and re.search(r"\d+\.\d+", tag) and tag != "latest", f"{name}: {image} is not pinned"
        aliases.add(alias)


@pytest.mark.parametrize("name", list(IMAGES))
def test_final_stage_installs_the_package_and_runs_as_non_root(name):
    all_stages = stages(parse(name))
    _, _, final = all_stages[-1]
    users = [c for c in final if c.cmd == "USER"]
    assert users, f"{name}: the final stage sets no USER"
    user = users[-1].value[0].split(":")[0]
    assert user not in ("root", "0") and user.isdigit(), f"{name}: USER {user} (numeric non-root for runAsNonRoot)"
    last_run = max((i for i, c in enumerate(final) if c.cmd == "RUN"), default=-1)
    assert final.index(users[-1]) > last_run, f"{name}: a RUN after USER would run as the final user"
    runs = "\n".join(run_text(cmds) for _, _, cmds in all_stages)
    assert re.search(r"pip install (-c /tmp/constraints\.txt )?[^\n]*(\.whl|/src|\s\.)", runs), name
    assert "torch==2.13.0" in runs and "-c /tmp/constraints.txt" in runs


@pytest.mark.parametrize("name", list(IMAGES))
def test_no_credentials_are_baked_in(name):
    for cmd in parse(name):
        if cmd.cmd in ("ENV", "ARG"):
            names = cmd.value[::2] if cmd.cmd == "ENV" else [v.split("=")[0] for v in cmd.value]
            assert not [n for n in names if SECRET_NAME.search(n)], f"{name}: {cmd.original}"
        if cmd.cmd in ("COPY", "ADD"):
            assert not [v for v in cmd.value if re.search(r"\.env$|credentials|kubeconfig|\.pem$", v)], cmd.original
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {"**/.env", ".venv", "**/kubeconfig*"} <= set(ignored)


def test_trainer_prebuilds_deepspeed_ops_for_a100_and_serving_uses_the_py311_stub():
    trainer = parse("trainer")
    env = dict(zip(*[iter(v for c in trainer if c.cmd == "ENV" for v in c.value)] * 2, strict=True))
    assert env["DS_BUILD_OPS"] == "1" and "8.0" in env["TORCH_CUDA_ARCH_LIST"]
    assert "deepspeed==0.19.8" in run_text(trainer) and "ds_report" in run_text(trainer)
    assert stages(trainer)[0][0].startswith("nvidia/cuda:") and "devel" in stages(trainer)[0][0]
    assert "runtime" in stages(trainer)[-1][0]  # ops compiled in the build stage, shipped without the toolchain
    serving = parse("serving")
    assert stages(serving)[0][0].startswith("nvcr.io/nvidia/tritonserver:")
    assert "python_backend_stubs/3.11/triton_python_backend_stub" in run_text(serving)


def test_constraints_pin_every_package_exactly():
    lines = [ln for ln in (ROOT / "images" / "constraints.txt").read_text().splitlines() if ln and ln[0] != "#"]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^\s=+]+", ln) for ln in lines), lines[:3]
    pins = dict(ln.split("==") for ln in lines)
    assert pins["torch"] == "2.13.0" and pins["deepspeed"] == "0.19.8" and pins["kfp"] == "2.17.0"
    assert "dancegen" not in pins
