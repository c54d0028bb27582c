"""Issue 16 in the browser: a household registered in the field shows 新登记 on the list and
its page; the supervisor confirms it with the button (zh and en screenshots)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.console.conftest import shoot, sign_in

pytestmark = pytest.mark.ui


def test_confirm_a_field_household(new_page, world, live_server: Any):
    page = new_page()
    sign_in(page, "sup", lang="zh")
    page.goto("/console/households?registration=field_new")
    assert page.locator("[data-registration=field_new]").count() == 2
    shoot(page, "households-field-new-zh")
    page.goto(f"/console/households/{world.h1}?lang=en")
    assert "New from the field" in page.locator("h1").inner_text()
    assert page.locator("#move-member").is_visible()
    shoot(page, "household-register-en")
    page.click("#confirm-registration")
    page.wait_for_selector(".flash.ok")
    assert page.locator("#confirm-registration").count() == 0
    page.goto("/console/households?registration=field_new")
    assert page.locator("[data-registration=field_new]").count() == 1
    page.goto(f"/console/households/{world.h2}/edit")
    shoot(page, "household-edit-en")
