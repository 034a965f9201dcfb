"""Avatar appearance: seeded randomness, clothing per part, validation and the backdrop."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.render import MATERIALS, Appearance, RenderError, random_appearance, render_background


def test_random_appearance_is_seeded():
    first = random_appearance(np.random.default_rng(7))
    assert first == random_appearance(np.random.default_rng(7))
    looks = {random_appearance(np.random.default_rng(seed)) for seed in range(8)}
    assert len(looks) == 8


def test_sleeves_and_legs_decide_which_parts_are_skin():
    skin = MATERIALS.index("skin")
    long_clothes = Appearance(sleeves="long", legs="long").part_materials()
    short_clothes = Appearance(sleeves="none", legs="shorts").part_materials()
    assert long_clothes.shape == (24,)
    for part in (16, 17, 18, 19, 4, 5):  # upper arms, forearms, shins
        assert long_clothes[part] != skin and short_clothes[part] == skin
    assert long_clothes[15] == skin and long_clothes[7] == MATERIALS.index("shoes")


def test_background_gradient_and_image():
    wall = render_background(Appearance(wall=(200, 0, 0), floor=(0, 0, 200)), 32, floor_row=20.0)
    assert wall.shape == (32, 32, 3) and wall.dtype == np.uint8
    assert wall[5, 0, 0] > 100 and wall[5, 0, 2] == 0 and wall[25, 0, 2] > 100 and wall[25, 0, 0] == 0
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, 30:] = 255
    backdrop = render_background(Appearance(background_image=image), 16, floor_row=8.0)
    assert backdrop.shape == (16, 16, 3) and backdrop[:, :6].max() == 0 and backdrop[:, 10:].min() == 255


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top": (300, 0, 0)}, "top"),
        ({"pattern": "dots"}, "pattern"),
        ({"sleeves": "capes"}, "sleeves"),
        ({"background_image": np.zeros((4, 4), np.uint8)}, "background_image"),
        ({"light": (0.0, 0.0, 0.0)}, "light"),
    ],
)
def test_bad_appearance_is_a_render_error(kwargs, message):
    with pytest.raises(RenderError, match=message):
        Appearance(**kwargs)
