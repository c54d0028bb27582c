"""End-to-end in headless Chromium: an admin deactivates, edits and resets a user on the
console's user page, the worker's phone token stops at once, and the audit page lists each
action in local time; a supervisor reopens an approved visit. Screenshots of the users page,
a user's page and the audit page in both languages land in test-artifacts/console/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.console.conftest import shoot, sign_in
from tests.ui.console.world import api

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_admin_manages_a_user_and_reads_the_audit_log(new_page, world, seed, live_server, lang):
    phone = seed.login(live_server, "wang")
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
    sign_in(page, "boss", lang=lang)
    assert page.goto("/console/admin/users").status == 200
    row = page.locator('tr[data-user="wang"]')
    assert row.locator('[data-state="active"]').count() == 1
    assert "wang's phone" in row.inner_text()
    shoot(page, f"admin-users-{lang}")
    row.locator("a").click()
    page.wait_for_url("**/console/admin/users/wang")
    page.fill("#e-name", "王伟" if lang == "zh" else "Wang Wei")
    page.locator("#edit-user button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".flash.ok").count() == 1
    page.locator("form[action$='/active'] button").click()
    page.wait_for_load_state()
    assert page.locator('h2 [data-state="inactive"]').count() == 1
    status, _body = api(live_server, "GET", "/api/v1/me", phone.headers)
    assert status == 401  # the phone's token ended with the click
    page.locator("form[action$='/active'] button").click()
    page.wait_for_load_state()
    page.fill("#p-new", "browser-set-1")
    page.fill("#p-again", "browser-set-1")
    page.locator("form[action$='/password'] button").click()
    page.wait_for_load_state()
    assert page.locator(".flash.ok").count() == 1
    seed.login(live_server, "wang", "browser-set-1")  # the new password works
    shoot(page, f"admin-user-{lang}")
    assert page.goto("/console/admin/audit").status == 200
    actions = page.locator("#audit tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    assert actions[:4] == ["user.password", "user.activate", "user.deactivate", "user.update"]
    text = page.locator("#audit").inner_text()
    assert "browser-set-1" not in text
    assert ("时间（UTC+8）" if lang == "zh" else "When (UTC+8)") in text
    shoot(page, f"admin-audit-{lang}")


def test_supervisor_reopens_an_approved_visit(new_page, world: Any):
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, "sup")
    page.goto(f"/console/visits/{world.v2}")
    assert page.locator("#reopen").count() == 0
    page.locator("button[value=approve]").click()
    page.wait_for_load_state()
    assert page.locator(".badge.approved").count() >= 1
    page.locator("#reopen button").click()
    page.wait_for_load_state()
    assert page.locator(".badge.submitted").count() >= 1
    assert page.locator("#reopen").count() == 0
    shoot(page, "visit-reopened-zh")
