"""End-to-end: the console in headless Chromium against a live server subprocess, with the
worker's phone played by HTTP calls to the same server."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from sync_server.models import MonitoringCase
from tests.ui.console.conftest import shoot, sign_in
from tests.ui.console.world import Phone

pytestmark = pytest.mark.ui


def test_return_a_visit_and_the_phone_pulls_the_comment(new_page, world):
    world.wang.pull()
    page = new_page()
    sign_in(page, "sup")
    page.click("nav >> text=审核队列")
    page.click(f"tr[data-visit='{world.v1}'] >> text=查看")
    # the low income is highlighted (waited for: a click starts the navigation, it does not
    # wait for the visit page, and a count taken at once raced it on a loaded machine)
    page.wait_for_selector("#comment")
    assert page.locator("tr.flagged").count() >= 1
    page.fill("#comment", "工资性收入偏低，请核实后重新提交")
    page.click("button[value=return]")
    page.wait_for_selector(".flash.ok")
    change = world.wang.pull()[world.v1]
    assert change["data"]["review_status"] == "returned"
    assert change["data"]["review_comment"] == "工资性收入偏低，请核实后重新提交"


def test_resolve_a_conflict_from_two_pushes(new_page, world, seed, live_server):
    other = Phone(live_server, seed.login(live_server, "wang"))
    other.pull()
    base = world.wang.versions[world.h2]
    world.wang.push(("household", world.h2, {"phone": "13911111111"}, base))
    [result] = other.push(("household", world.h2, {"phone": "13922222222"}, base))
    assert result["status"] == "conflict"
    world.wang.pull()
    page = new_page()
    sign_in(page, "sup")
    page.click("nav >> text=冲突处理")
    card = page.locator("[data-conflict]")
    assert card.locator("[data-side=server]").inner_text() == "13911111111"
    assert card.locator("[data-side=client]").inner_text() == "13922222222"
    # a phone field is a text input now: the number as typed, no JSON quoting
    card.locator("input[name=value]").fill("13933333333")
    card.locator("text=采用填写的值").click()
    page.wait_for_selector(".flash.ok")
    assert world.wang.pull()[world.h2]["data"]["phone"] == "13933333333"
    assert other.pull()[world.h2]["data"]["phone"] == "13933333333"


def _case_step(page: Any, action: str, reason: str, mode: str | None = None) -> str:
    page.select_option("#action", action)
    if mode:
        page.select_option("#mode", mode)
    page.fill("#reason", reason)
    page.click("text=执行")
    page.wait_for_selector(".flash")
    return page.locator(".flash").first.inner_text()


def test_case_from_lead_to_elimination_with_a_refusal(new_page, world, database):
    page = new_page()
    sign_in(page, "boss")
    page.goto(f"/console/households/{world.h1}")
    page.select_option("#source", "grid_visit")
    page.fill("#reason", "走访发现收入低于监测标准")
    page.click("text=建立监测案件")
    page.wait_for_url("**/console/cases/*")
    case_id = page.url.rsplit("/", 1)[1]
    for action in ("verify_home", "open_notice"):
        assert "已办理" in _case_step(page, action, "核实无误")
    assert "村级公示不少于 5 天" in _case_step(page, "township_review", "公示期满")
    _travel(database, case_id, notice_started=date.today() - timedelta(days=5))
    for action in ("township_review", "county_approve", "start_monitoring"):
        assert "已办理" in _case_step(page, action, "同意")
    _travel(database, case_id, monitoring_started=date.today() - timedelta(days=200))
    page.select_option("#measure", "employment")
    page.fill("#note", "推荐到县内企业务工")
    page.click("text=登记帮扶措施")
    page.wait_for_selector(".flash.ok")
    refused = _case_step(page, "propose_elimination", "收入已稳定")
    assert "未能办理" in refused and "低于监测标准" in refused
    assert page.locator("[data-state]").get_attribute("data-state") == "monitoring"
    # the worker corrects the visit: the wage was mis-typed
    world.wang.pull()
    world.wang.push(("visit", world.v1, {"income": {"wage": 56000}}, world.wang.versions[world.v1]))
    page.reload()
    assert page.locator("text=满足风险消除条件").count() == 1
    for action in ("propose_elimination", "verify_elimination", "approve_elimination"):
        assert "已办理" in _case_step(page, action, "收入稳定超过监测标准")
    assert "已办理" in _case_step(page, "eliminate", "帮扶后收入稳定", mode="assistance")
    assert page.locator("[data-state]").get_attribute("data-state") == "eliminated"
    shoot(page, "case-eliminated-zh")
    assert page.locator(".steps li").count() == 11  # open + 9 steps + 1 measure


def _travel(database: Any, case_id: str, **values: Any) -> None:
    """Time travel: the notice (or monitoring) started long enough ago."""
    with database.write() as s:
        s.execute(update(MonitoringCase).where(MonitoringCase.id == case_id).values(**values))
        assert s.scalar(select(MonitoringCase.id).where(MonitoringCase.id == case_id))


def test_download_an_xlsx_export(new_page, world):
    page = new_page()
    sign_in(page, "sup", lang="en")
    page.goto("/console/exports?grid=g1")
    with page.expect_download() as info:
        page.click("[data-export=visits-xlsx]")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    book.close()
    assert rows[0][:3] == ["ID", "Household ID", "Household number"]
    assert "Visit date" in rows[0] and "Wage income" in rows[0] and "Review status" in rows[0]
    assert sorted(r[0] for r in rows[1:]) == sorted([world.v1, world.v2])
    wage = rows[0].index("Wage income")
    assert sorted(r[wage] for r in rows[1:]) == [3000, 36000]


def test_a_post_without_the_csrf_token_is_refused(new_page, world):
    world.wang.pull()
    page = new_page()
    sign_in(page, "sup")
    response = page.request.post(
        f"/console/visits/{world.v1}/review", form={"action": "approve", "comment": ""}
    )
    assert response.status in (400, 403)
    assert world.v1 not in world.wang.pull()  # nothing was written


def test_a_supervisor_of_another_township_is_refused(new_page, world):
    page = new_page()
    sign_in(page, "sup2")
    response = page.goto(f"/console/households/{world.h1}")
    assert response.status in (403, 404)
    assert page.locator("h1").inner_text().startswith(str(response.status))
    shoot(page, "error-403-zh")
    assert page.goto(f"/console/households/{world.h9}").status == 200


def _open_conflict(seed: Any, live_server: str, world: Any) -> None:
    other = Phone(live_server, seed.login(live_server, "wang"))
    other.pull()
    base = world.wang.versions[world.h2]
    world.wang.push(("household", world.h2, {"address": "石门村 3 组 15 号"}, base))
    other.push(("household", world.h2, {"address": "石门村 3 组 16 号"}, base))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshots_of_every_page(new_page, world, seed, live_server, database, lang):
    _open_conflict(seed, live_server, world)
    page = new_page()
    shoot_login = page.goto(f"/console/login?lang={lang}")
    assert shoot_login.status == 200
    shoot(page, f"login-{lang}")
    sign_in(page, "sup", lang=lang)
    page.goto(f"/console/households/{world.h1}")
    page.select_option("#source", "grid_visit")
    page.fill("#reason", "收入低" if lang == "zh" else "Low income")
    page.locator("form[action$='/cases'] button").click()
    page.wait_for_url("**/console/cases/*")
    case_url = page.url
    # a second, older case elsewhere shows how an overdue case stands out
    page.goto(f"/console/households/{world.h2}")
    page.select_option("#source", "self_declaration")
    page.fill("#reason", "农户申报" if lang == "zh" else "Declared by the household")
    page.locator("form[action$='/cases'] button").click()
    page.wait_for_url("**/console/cases/*")
    _travel(database, page.url.rsplit("/", 1)[1], opened_on=date.today() - timedelta(days=40))
    pages = {
        "dashboard": "/console/",
        "queue": "/console/queue",
        "visit": f"/console/visits/{world.v1}",
        "households": "/console/households",
        "household": f"/console/households/{world.h1}",
        "conflicts": "/console/conflicts",
        "cases": "/console/cases",
        "case": case_url,
        "devices": "/console/devices",
        "exports": "/console/exports",
    }
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, name
        text = page.locator("body").inner_text()
        if lang == "en":
            assert not re.search(r"工作概览|审核队列|冲突处理", text), name
        else:
            assert "工作概览" in text, name
        shoot(page, f"{name}-{lang}")
    admin = new_page()
    sign_in(admin, "boss", lang=lang)
    for name in ("users", "grids", "assignments", "thresholds", "calendar"):
        assert admin.goto(f"/console/admin/{name}").status == 200
        shoot(admin, f"admin-{name}-{lang}")
    admin.goto("/console/devices")
    shoot(admin, f"devices-admin-{lang}")
    tablet = new_page(width=820, height=1180)
    sign_in(tablet, "sup", lang=lang)
    shoot(tablet, f"dashboard-tablet-{lang}")
    tablet.goto(f"/console/visits/{world.v1}")
    shoot(tablet, f"visit-tablet-{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screenshots_of_the_demo_county(new_page, database, live_server, lang):
    """The generated demo county (a year of visits, conflicts, devices): pages with real volume."""
    from sync_server.seed.generator import DEMO_PASSWORD
    from sync_server.seed.loader import seed_demo

    report = seed_demo(database, today=date.today(), households_per_grid=10)
    assert report.households >= 50 and report.conflicts >= 1
    page = new_page()
    sign_in(page, "zhangjun", DEMO_PASSWORD, lang=lang)
    assert int(page.locator("[data-stat=households]").inner_text()) == report.households
    awaiting = int(page.locator("[data-stat=awaiting]").inner_text())
    shoot(page, f"demo-dashboard-{lang}")
    page.goto("/console/queue")
    assert page.locator("tr[data-visit]").count() == awaiting > 0
    for name, url in (
        ("queue", "/console/queue"),
        ("households", "/console/households?flag=INCOME_LOW"),
        ("conflicts", "/console/conflicts"),
        ("devices", "/console/devices"),
    ):
        assert page.goto(url).status == 200
        shoot(page, f"demo-{name}-{lang}")
    page.goto("/console/households")
    page.locator("table a[href*='/console/households/']").first.click()
    page.wait_for_selector("#history")
    shoot(page, f"demo-household-{lang}")
