"""The phone layout on a 720-px-wide screen (720x1280, density 2): issue 16's defect (the
tab strip, scrolling, emoji and line wrapping, "Calenda r"). Screenshots in
test-artifacts/ui/layout720_*.png (looked at)."""

from __future__ import annotations

import pytest

from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.test_app_ui import png_size, seeded_phone

pytestmark = pytest.mark.ui


def test_every_screen_fits_a_720_px_wide_phone(run_scenario, tmp_path):
    seeded_phone(tmp_path)
    # Android "large text" (font scale 1.3) on a 720-px xhdpi phone: where "Calenda r" broke
    env = {"TIANYE_UI_HEIGHT": "1280", "KIVY_METRICS_FONTSCALE": "1.3"}
    run_scenario("layout_720", tmp_path, extra_env=env)
    for lang in ("en", "zh"):
        shot = ARTIFACTS / f"layout720_visit_0_{lang}.png"
        assert png_size(shot) == (720, 1280)
