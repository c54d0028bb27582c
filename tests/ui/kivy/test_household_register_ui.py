"""Issue 16 on the phone by touch under Xvfb: register a household with a provisional number
(`scenarios.household_register`); the screenshots are in test-artifacts/ui/."""

from __future__ import annotations

import pytest

from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.test_app_ui import png_size, seeded_phone

pytestmark = pytest.mark.ui

SHOTS = ("household_register_form_zh", "household_register_saved_zh")


def test_register_a_household_by_touch(run_scenario, tmp_path):
    for name in SHOTS:
        (ARTIFACTS / f"{name}.png").unlink(missing_ok=True)
    seeded_phone(tmp_path)
    run_scenario("household_register", tmp_path)
    for name in SHOTS:
        assert png_size(ARTIFACTS / f"{name}.png") == (720, 1440), name
