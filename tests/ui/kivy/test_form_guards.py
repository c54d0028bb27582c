"""Issue 16's phone form defects in the real app under Xvfb, by touch
(`scenarios.form_guards`); the screenshots are in test-artifacts/ui/."""

from __future__ import annotations

import pytest

from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.test_app_ui import png_size, seeded_phone

pytestmark = pytest.mark.ui

SHOTS = (
    "visit_date_future_zh",
    "visit_risks_capped_zh",
    "visit_new_no_leftover_income_zh",
    "member_unsaved_dialog_zh",
)


def test_form_guards_by_touch(run_scenario, tmp_path):
    for name in SHOTS:
        (ARTIFACTS / f"{name}.png").unlink(missing_ok=True)
    seeded_phone(tmp_path)
    run_scenario("form_guards", tmp_path)
    for name in SHOTS:
        assert png_size(ARTIFACTS / f"{name}.png") == (720, 1440), name
