"""Bad inputs are refused up front with one-line DancegenErrors (the CLI prints them and exits 2)."""

import warnings

import cv2
import numpy as np
import pytest

from dancegen.errors import AudioError, ConfigError, DancegenError, ImageError, WeightsError
from dancegen.infer import generate
from dancegen.infer.reference_image import ReferenceImageWarning, fit_square, read_image

SR = 22050


def refuse(error, match, music, image, model, **kwargs):
    with pytest.raises(error, match=match) as caught:
        generate(music, image, model, **{"steps": 1, "fps": 2.0, "progress": False, **kwargs})
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 2
    return message


@pytest.fixture(scope="module")
def music(make_song):
    return make_song(3.0), SR


@pytest.fixture(scope="module")
def image(make_photo):
    return make_photo()


def test_music_shorter_than_one_frame(tiny_model, image, make_song):
    refuse(AudioError, "shorter than one video frame", (make_song(0.2), SR), image, tiny_model)


def test_missing_or_empty_music(tiny_model, image, tmp_path):
    refuse(AudioError, "does not exist", tmp_path / "nope.mp3", image, tiny_model)
    refuse(AudioError, "no samples", (np.zeros(0, np.float32), SR), image, tiny_model)


def test_not_an_image(tiny_model, music, tmp_path):
    text = tmp_path / "me.jpg"
    text.write_text("this is not a photo")
    refuse(ImageError, "not an image", music, text, tiny_model)
    refuse(ImageError, "not an image", music, b"\x89PNG but broken", tiny_model)
    refuse(ImageError, "does not exist", music, tmp_path / "missing.png", tiny_model)


def test_tiny_image(tiny_model, music, make_photo):
    refuse(ImageError, "at least 32 px", music, make_photo(31, 64), tiny_model)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seconds": 0}, "--seconds 0 must be a number > 0"),
        ({"seconds": -1.0}, "--seconds"),
        ({"steps": 0}, r"--steps 0 must be an integer ≥ 1"),
        ({"guidance_scale": 0.5}, "--guidance-scale"),
        ({"overlap": -1}, "--overlap"),
    ],
)
def test_bad_settings(tiny_model, music, image, kwargs, match):
    refuse(ConfigError, match, music, image, tiny_model, **kwargs)


def test_seconds_longer_than_the_music(tiny_model, music, image):
    refuse(ConfigError, "longer than the music", music, image, tiny_model, seconds=4.0)


def test_overlap_not_shorter_than_a_segment(tiny_model, music, image):
    refuse(ConfigError, "less than the segment length 10", music, image, tiny_model, overlap=10)


def test_missing_model_dir_names_the_option(music, image, tmp_path):
    message = refuse(WeightsError, "--model", music, image, tmp_path / "no-such-model")
    assert str(tmp_path / "no-such-model") in message
    refuse(WeightsError, "--model.*model_index.json", music, image, tmp_path)  # a directory, but no model


def test_inputs_are_checked_before_the_model_is_loaded(music, tmp_path):
    refuse(ImageError, "not an image", music, b"garbage", tmp_path / "no-such-model")
    refuse(ConfigError, "--steps", music, b"garbage", tmp_path / "no-such-model", steps=0)


def test_preview_needs_m2penc_heatmaps(music, image):
    from dancegen.models import DanceModel

    simple = DanceModel.from_preset("tiny", {"music_encoder": "simple_audio_encoder"})
    refuse(ConfigError, "simple audio encoder", music, image, simple, preview=True)


def test_non_square_and_huge_photos_are_cropped_and_resized_with_a_warning(make_photo):
    wide = make_photo(64, 96)
    with pytest.warns(ReferenceImageWarning, match="not square; using its centre 64×64 crop"):
        square = fit_square(wide, 64)
    assert np.array_equal(square, wide[:, 16:80])
    huge = cv2.resize(make_photo(), (4200, 4200), interpolation=cv2.INTER_NEAREST)
    with pytest.warns(ReferenceImageWarning, match="huge"):
        assert fit_square(huge, 64).shape == (64, 64, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_square(make_photo(128, 128), 64).shape == (64, 64, 3)  # plain resizing is not a warning


def test_image_arrays_and_bytes_decode_to_rgb(make_photo):
    rgb = make_photo()
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert np.array_equal(read_image(png.tobytes()), rgb)
    assert np.array_equal(read_image(rgb.astype(np.float32) / 255), rgb)
    assert read_image(rgb[..., 0]).shape == (64, 64, 3)
    with pytest.raises(DancegenError, match=r"\[0, 1\]"):
        read_image(rgb.astype(np.float32))
