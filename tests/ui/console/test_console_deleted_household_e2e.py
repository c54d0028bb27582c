"""Issue 6 in the browser: the conflicts page tells the story of a visit saved offline for a
household another phone deleted (zh and en screenshots), and restoring it from the page brings
the household back for both phones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sync_server.test_console_deleted_household import visit_on_deleted_household
from tests.ui.console.conftest import shoot, sign_in

pytestmark = pytest.mark.ui


def test_household_deleted_conflict_page_and_restore(new_page, world, seed, live_server: Any):
    other, vid = visit_on_deleted_household(seed, live_server, world)
    page = new_page()
    sign_in(page, "sup", lang="en")
    page.goto("/console/conflicts")
    card = page.locator("[data-conflict]")
    assert "was deleted by wang" in card.locator("[data-story]").inner_text()
    shoot(page, "conflicts-household-deleted-en")
    page.goto("/console/conflicts?lang=zh")
    card = page.locator("[data-conflict]")
    assert "已于" in card.locator("[data-story]").inner_text()
    assert "离线补录" in card.locator("[data-side=submitted]").inner_text()
    shoot(page, "conflicts-household-deleted-zh")
    card.locator("text=恢复该农户及此记录").click()
    page.wait_for_selector(".flash.ok")
    for phone in (world.wang, other):
        changes = phone.pull()
        assert not changes[world.h2]["deleted"] and not changes[vid]["deleted"]
