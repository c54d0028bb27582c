"""The phone layout on a 720-px-wide screen (720x1280, density 2): issue 16's defect (the
tab strip, scrolling, emoji and line wrapping, "Calenda r", a member row spilling over its
section title). Before every screenshot the live widget tree is checked (layout_checks.py):
one opaque screen, nothing spilling out of its layout, no text cut, no button label broken
inside a word. The register's screens are in the pass too. Screenshots in
test-artifacts/ui/layout720_*.png (looked at)."""

from __future__ import annotations

import pytest

from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.test_app_ui import png_size
from tests.ui.kivy.test_household_register_ui import family_phone

pytestmark = pytest.mark.ui


def test_every_screen_fits_a_720_px_wide_phone(run_scenario, tmp_path):
    family_phone(tmp_path)
    # Android "large text" (font scale 1.3) on a 720-px xhdpi phone: where "Calenda r" broke
    env = {"TIANYE_UI_HEIGHT": "1280", "KIVY_METRICS_FONTSCALE": "1.3"}
    run_scenario("layout_720_checked", tmp_path, extra_env=env)
    for lang in ("en", "zh"):
        for name in ("visit_0", "household", "register_split", "register_mark", "household_form"):
            shot = ARTIFACTS / f"layout720_{name}_{lang}.png"
            assert png_size(shot) == (720, 1280), shot
