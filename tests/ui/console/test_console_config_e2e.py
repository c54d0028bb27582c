"""The configuration page in Chromium against a live server: an admin shortens a visit
frequency and relabels an option, each save publishes a version listed with who and what
changed, and the worker's next pull names the new version (zh and en)."""

from __future__ import annotations

import pytest

from tests.ui.console.conftest import shoot, sign_in
from tests.ui.console.world import api

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_admin_publishes_frequencies_and_labels(new_page, world, live_server, lang):
    page = new_page()
    sign_in(page, "boss", lang=lang)
    page.goto("/console/admin/config")
    page.fill("#iv-unstable_lifted", "0")
    page.click("#intervals button[type=submit]")  # the browser holds it: min is 1
    assert page.locator("#iv-unstable_lifted").evaluate("e => e.validity.rangeUnderflow")
    assert page.locator(".flash").count() == 0
    page.fill("#iv-unstable_lifted", "14")
    page.click("#intervals button[type=submit]")
    page.wait_for_selector(".flash.ok")
    page.select_option("#enum-pick", "visit_type")
    page.click("#enums form[method=get] button")
    page.wait_for_url("**enum=visit_type**")
    page.fill("input[name=zh-0]", "日常走访（月度）")
    page.fill("input[name=en-0]", "Routine (monthly)")
    page.fill("input[name=new-code]", "flood_check")
    page.fill("input[name=new-zh]", "汛期排查")
    page.fill("input[name=new-en]", "Flood check")
    page.click("#enums form[method=post] button[type=submit]")
    page.wait_for_selector("#versions tbody tr:nth-child(3)")
    assert page.locator(".flash.ok").count() == 1
    rows = page.locator("#versions tbody tr")
    assert rows.count() == 3
    first = rows.first.inner_text()
    assert "3" in first and "boss" in first and "flood_check" in first
    assert "visit_interval_days.unstable_lifted" in rows.nth(1).inner_text()
    shoot(page, f"admin-config-{lang}")
    status, body = api(live_server, "GET", "/api/v1/sync/pull", world.wang.session.headers)
    assert status == 200 and body["config_version"] == 3
    status, config = api(live_server, "GET", "/api/v1/config", world.wang.session.headers)
    assert config["rules"]["visit_interval_days"]["unstable_lifted"] == 14
    assert config["enums"]["visit_type"][0]["zh"] == "日常走访（月度）"
