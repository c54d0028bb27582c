"""The working-calendar admin page in Chromium: a wrong date is named under its box, a good
calendar saves (zh and en)."""

from __future__ import annotations

import pytest

from tests.ui.console.conftest import shoot, sign_in

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_admin_enters_holidays_and_makeup_days(new_page, world, lang):
    page = new_page()
    sign_in(page, "boss", lang=lang)
    page.goto("/console/admin/calendar")
    page.fill("#cal-holidays", "2026-10-01..2026-10-07\n2026-10-32")
    page.fill("#cal-workdays", "2026-09-20, 2026-10-10")
    page.click("#calendar-form button[type=submit]")
    error = page.locator("#cal-holidays-err")
    assert error.is_visible() and "2026-10-32" in error.inner_text()
    assert page.locator("#cal-holidays").get_attribute("aria-invalid") == "true"
    assert page.locator("#cal-workdays-err").count() == 0
    # what the admin typed is still there to correct
    assert "2026-10-01..2026-10-07" in page.input_value("#cal-holidays")
    shoot(page, f"admin-calendar-error-{lang}")
    page.fill("#cal-holidays", "2026-10-01..2026-10-07")
    page.click("#calendar-form button[type=submit]")
    page.wait_for_selector(".flash.ok")  # a click does not wait for the page it leads to
    assert page.locator(".flash.ok").count() == 1
    assert "7" in page.locator(".flash.ok").inner_text()
    saved = page.input_value("#cal-holidays").split()
    assert saved[0] == "2026-10-01" and saved[-1] == "2026-10-07" and len(saved) == 7
    assert page.input_value("#cal-workdays").split() == ["2026-09-20", "2026-10-10"]
    shoot(page, f"admin-calendar-{lang}")
