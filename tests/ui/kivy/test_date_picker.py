"""The calendar date picker in the real app under Xvfb (zh and en)."""

from __future__ import annotations

import pytest

from tests.ui.kivy.conftest import ARTIFACTS
from tests.ui.kivy.test_app_ui import seeded_phone

pytestmark = pytest.mark.ui


def test_dates_are_picked_from_a_calendar_and_still_validated(run_scenario, tmp_path):
    seeded_phone(tmp_path)
    run_scenario("date_picker", tmp_path)
    for lang in ("zh", "en"):
        assert (ARTIFACTS / f"visit_date_picker_{lang}.png").exists()
        assert (ARTIFACTS / f"member_birth_date_future_{lang}.png").exists()
