"""``dancegen generate`` as a typer command (mounted by the lead in dancegen/cli.py)."""

import cv2
import typer
from typer.testing import CliRunner

from dancegen.errors import ConfigError, WeightsError
from dancegen.infer.commands import generate_command
from dancegen.video import probe_mp4

app = typer.Typer()
app.command("generate")(generate_command)
app.callback()(lambda: None)  # keep "generate" a subcommand, as in the real CLI


def invoke(*args):
    return CliRunner().invoke(app, ["generate", *map(str, args)])


def test_generate_writes_the_video_and_the_preview(model_dir, song_path, photo_path, tmp_path):
    out = tmp_path / "out" / "dance.mp4"
    result = invoke("--music", song_path, "--image", photo_path, "--out", out, "--model", model_dir,
                    "--seconds", 6, "--steps", 1, "--fps", 2, "--guidance-scale", 1, "--preview")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 segments" not in result.output and "2 segments" in result.output  # 12 frames: [0, 10), [9, 12)
    facts = probe_mp4(out)
    assert facts["frames"] == 12 and abs(facts["audio_seconds"] - 6.0) <= 0.5
    preview = probe_mp4(tmp_path / "out" / "dance.preview.mp4")
    assert preview["size"] == (192, 64) and preview["frames"] == 12


def test_bad_options_fail_before_work(model_dir, song_path, photo_path, tmp_path):
    result = invoke("--music", song_path, "--image", photo_path, "--out", tmp_path / "d.mp4", "--model", model_dir,
                    "--steps", 0)  # fmt: skip
    assert isinstance(result.exception, ConfigError) and "--steps" in str(result.exception)
    result = invoke("--music", song_path, "--image", photo_path, "--out", tmp_path / "d.avi", "--model", model_dir)
    assert isinstance(result.exception, ConfigError) and ".mp4" in str(result.exception)
    result = invoke("--music", song_path, "--image", photo_path, "--out", tmp_path / "d.mp4",
                    "--model", tmp_path / "missing")  # fmt: skip
    assert isinstance(result.exception, WeightsError) and "--model" in str(result.exception)
    assert not (tmp_path / "d.mp4").exists()


def test_a_cropped_photo_is_announced_on_stderr(model_dir, song_path, make_photo, tmp_path):
    wide = tmp_path / "wide.png"
    cv2.imwrite(str(wide), make_photo(64, 80))
    result = invoke("--music", song_path, "--image", wide, "--out", tmp_path / "d.mp4", "--model", model_dir,
                    "--seconds", 1, "--steps", 1, "--fps", 2, "--guidance-scale", 1)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: reference image is 80×64, not square; using its centre 64×64 crop" in result.stderr
