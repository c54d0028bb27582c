"""Issue 16 "Done when": a scripted field month, end to end (the `month` driver scenario).

The real app under Xvfb talks to the real server (gunicorn) through `NetworkProxy`, the
phone's network; the supervisor and the admin work in the console in headless Chromium
(Playwright's sync API in a thread of its own, `ConsoleBrowser`); the phone's wall clock
(`DeviceClock`, the app's one clock) walks through four weeks. Nobody taps "sync":

1. day 0, online: sign in; the app syncs by itself (30 households);
2. offline: day 3 a household is registered by touch (and its head added), day 9 two
   members are split off another household, day 16 a visit puts a household's per-capita
   income just above the monitoring threshold, day 23 one more visit; the home screen
   shows what waits to go up;
3. day 28, online: the app notices by its own reachability check and syncs; the server
   holds the new household (new from the field), the split and the visits;
4. console: the supervisor confirms the new household and returns a visit with a comment;
   the admin raises the monitoring threshold above the visited household's income;
5. phone, no tap on sync: home names the returned visit, the household shows the income
   flag computed with the new threshold, the returned visit shows the comment; the worker
   fixes it, it goes up by itself, the supervisor approves it, the phone shows it approved.

Screenshots: test-artifacts/ui/month_*.png and test-artifacts/console/month-*.png.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mobile_app.i18n import translate
from shared_schema.enums import ENUMS
from tests.ui.kivy.backend import GRID
from tests.ui.kivy.driver import Driver, Step
from tests.ui.kivy.proxy import NetworkProxy
from tests.ui.kivy.seed import head_name, hid, id_number, mid

MONTH_DAYS = 28
SPLIT = 7  # the household two members leave (a son marries and sets up his own household)
NEAR = 12  # the household whose income ends just above the threshold, then below it
RETURNED = 3  # the household whose visit the supervisor returns
ABOVE = 150  # yuan of per-capita income above the threshold in force
RAISE = 500  # yuan the admin raises the threshold by
COMMENT = "务工收入与上月出入较大，请核实后重新提交"
APPROVAL = "已电话核实务工收入，通过"
NEW_HEAD = "吴新民"


class DeviceClock:
    """The phone's wall clock, `behind` the real one (the app reads it through `app.now`)."""

    def __init__(self, behind: timedelta) -> None:
        self.behind = behind

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.behind

    def day(self, n: int) -> None:
        """Day `n` of the month (the last day is today on the server)."""
        self.behind = timedelta(days=MONTH_DAYS - n)


class ConsoleBrowser:
    """Headless Chromium in a thread of its own: the Kivy clock keeps running (and the app
    keeps syncing by itself) while the supervisor clicks. `submit(job)` runs `job(console)`
    there and returns a Future; a job opens signed-in pages with `console.page(user, lang)`
    (a failing job leaves `month-failure.png` of its last page)."""

    def __init__(self, url: str, password: str) -> None:
        self.url = url
        self.password = password
        self.browser: Any = None
        self.last_page: Any = None
        self.jobs: queue.Queue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.Queue()
        self.ready: Future[None] = Future()
        self.thread = threading.Thread(target=self._run, name="console-browser", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        from tests.ui.console.conftest import ARGS, CHROMIUM, shoot

        try:
            with sync_playwright() as p:
                self.browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                self.ready.set_result(None)
                try:
                    while (job := self.jobs.get()) is not None:
                        work, future = job
                        try:
                            future.set_result(work(self))
                        except BaseException as exc:  # re-raised in the scenario
                            if self.last_page is not None:
                                shoot(self.last_page, "month-failure")
                            future.set_exception(exc)
                        finally:
                            if self.last_page is not None:
                                self.last_page.context.close()
                                self.last_page = None
                finally:
                    self.browser.close()
        except BaseException as exc:
            if not self.ready.done():
                self.ready.set_exception(exc)
            raise

    def page(self, username: str, lang: str) -> Any:
        """A fresh context signed in to the console as `username`."""
        from tests.ui.console.conftest import sign_in

        if self.last_page is not None:
            self.last_page.context.close()
        context = self.browser.new_context(
            viewport={"width": 1366, "height": 900}, base_url=self.url, locale="zh-CN"
        )
        context.set_default_timeout(30_000)
        self.last_page = context.new_page()
        sign_in(self.last_page, username, password=self.password, lang=lang)
        return self.last_page

    def submit(self, work: Callable[[Any], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self.jobs.put((work, future))
        return future

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(60)


def in_console(d: Driver, console: ConsoleBrowser, work: Callable[[Any], Any]) -> Step:
    """Run a console job and wait for it, frames passing meanwhile."""
    future = console.submit(work)
    yield from d.wait(future.done, timeout=120)
    future.result()


class Server:
    """The records on the real server, read through its API as the supervisor."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers

    def record(self, entity: str, record_id: str) -> dict[str, Any] | None:
        import requests

        answer = requests.get(
            f"{self.url}/api/v1/records/{entity}/{record_id}/history",
            headers=self.headers,
            timeout=30,
        )
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()["versions"][-1]["data"]
        return data


# -- the phone ------------------------------------------------------------------------------
def month(d: Driver) -> Step:
    app, backend = d.app, d.backend
    lang = app.lang
    clock = DeviceClock(timedelta(days=MONTH_DAYS))
    app.now = clock  # before the store opens: every view-model and sync reads this clock
    proxy = NetworkProxy(backend.url).start()
    console = ConsoleBrowser(backend.url, os.environ["TIANYE_UI_CONSOLE_PASSWORD"])
    server = Server(backend.url, backend.headers)
    try:
        yield from d.wait(console.ready.done, timeout=60)
        console.ready.result()
        yield from _month(d, clock, proxy, console, server, lang)
    finally:
        console.close()
        proxy.close()


def _month(
    d: Driver,
    clock: DeviceClock,
    proxy: NetworkProxy,
    console: ConsoleBrowser,
    server: Server,
    lang: str,
) -> Step:
    from tests.ui.kivy.scenarios import sign_in_online

    app = d.app

    # -- day 0, online: sign in; the first sync is the app's own --------------------------
    clock.day(0)
    yield from sign_in_online(d, proxy.url)
    sync_vm, grid = app.vms["sync"], app.vms["grid"]
    yield from d.wait(lambda: sync_vm.finished_runs >= 1 and grid.total == 30, 60)
    assert sync_vm.error == "", sync_vm.error
    yield from d.wait(lambda: translate("home.all_clear", lang) in grid.status_text, 30)
    threshold = app.store.config.rules_config().monitoring_threshold
    yield 0.5
    d.shot(f"month_01_day0_synced_{lang}")

    # -- offline: the phone leaves the mast's reach ----------------------------------------
    yield from d.wait(lambda: not sync_vm.running, 30)
    proxy.go_offline()
    yield from d.wait(lambda: app.autosync.state.online is False, 30)
    started = app.autosync.started

    # day 3: a household registered by touch, then its head
    clock.day(3)
    new_id = yield from register_household(d, lang)
    yield from add_head(d, new_id, lang)

    # day 9: two members split off into a household of their own
    clock.day(9)
    split_id = yield from split_household(d, lang)

    # day 16: a visit leaves household NEAR just above the threshold
    clock.day(16)
    near_date = clock_today(app).isoformat()  # the phone's day 16: 12 days before the server's
    near_visit = yield from fill_visit(d, NEAR, wage=threshold + ABOVE, lang=lang, shot="near")
    near = app.vms["household"]
    assert [f["code"] for f in near.flags if f["code"].startswith("INCOME")] == ["INCOME_NEAR"]
    yield from d.wait(lambda: app.sm.current == "household")
    yield 0.4
    d.shot(f"month_06_household_near_{lang}")

    # day 23: one more visit (the one the supervisor will return)
    clock.day(23)
    returned_visit = yield from fill_visit(d, RETURNED, wage=30000, lang=lang, shot="second")

    # the home screen: what waits to go up, and nothing went (offline all along)
    app.show("grid", reset=True)
    yield from d.settle()
    waiting = app.store.outbox.count()
    assert waiting >= 7, waiting  # household, head, split (household + 2 moves), 2 visits
    assert translate("home.waiting", lang, n=waiting) in grid.status_text, grid.status_text
    assert app.autosync.started == started, "a sync was started while offline"
    assert server.record("household", new_id) is None
    # ... and it says the phone is offline (the reachability check failed)
    yield from d.wait(lambda: translate("home.offline", lang) in grid.status_text, 30)
    yield 0.5
    d.shot(f"month_08_home_offline_waiting_{lang}")

    # -- day 28, online again: the app notices by itself and syncs -------------------------
    clock.day(MONTH_DAYS)
    runs = sync_vm.finished_runs
    proxy.go_online()
    yield from d.wait(lambda: sync_vm.finished_runs > runs and app.store.outbox.count() == 0, 60)
    assert sync_vm.error == "", sync_vm.error
    assert app.autosync.started > started
    registered = server.record("household", new_id)
    assert registered is not None and registered["registration"] == "field_new", registered
    assert registered["head_name"] == "李新户"
    split = server.record("household", split_id)
    assert split is not None and split["head_name"] == NEW_HEAD, split
    for k, relation in ((3, "head"), (4, "spouse")):
        member = server.record("member", mid(SPLIT, k))
        assert member is not None and member["household_id"] == split_id, member
        assert member["relation"] == relation, member
    assert server.record("member", mid(SPLIT, 1))["household_id"] == hid(SPLIT)  # type: ignore[index]
    visit = server.record("visit", near_visit)
    assert visit is not None and visit["income"]["wage"] == threshold + ABOVE, visit
    assert visit["visit_date"] == near_date, visit
    assert server.record("visit", returned_visit) is not None
    grid.refresh()
    yield from d.wait(lambda: translate("home.all_clear", lang) in grid.status_text, 30)
    assert translate("home.offline", lang) not in grid.status_text
    yield 0.5
    d.shot(f"month_09_home_back_online_{lang}")

    # -- the console: confirm, return, raise the threshold ---------------------------------
    raised = threshold + RAISE
    yield from in_console(d, console, lambda c: supervise(c, new_id, returned_visit))
    yield from in_console(d, console, lambda c: raise_threshold(c, raised))
    assert server.record("household", new_id)["registration"] == "confirmed"  # type: ignore[index]

    # -- the phone, no tap on sync: the return and the new threshold arrive ----------------
    def arrived() -> bool:
        """the returned visit and the new threshold pulled"""
        return (
            app.store.config.rules_config().monitoring_threshold == raised
            and translate("attention.returned", lang, n=1) in grid.status_text
        )

    app.show("grid", reset=True)
    yield from d.wait(arrived, 60)
    yield from d.wait(lambda: not sync_vm.running, 30)
    grid.refresh()
    named = f"5226010010{RETURNED:03d} {head_name(RETURNED)}"
    assert translate("attention.returned_named", lang, n=1, names=named) in grid.status_text
    yield 0.5
    d.shot(f"month_10_home_returned_{lang}")
    yield from open_household(d, NEAR)
    household = app.vms["household"]
    low = [f for f in household.flags if f["code"] == "INCOME_LOW"]
    assert low, household.flags
    limit = f"{raised:,}"
    assert f"低于监测线 {limit} 元" in low[0]["text"], low[0]["text"]
    assert f"{threshold + ABOVE:,.2f}" in low[0]["text"], low[0]["text"]
    assert not [f for f in household.flags if f["code"] == "INCOME_NEAR"]
    yield 0.5
    d.shot(f"month_11_household_new_threshold_{lang}")

    # the returned visit: from the home screen's Returned list, with the comment
    app.show("grid", reset=True)
    yield from d.settle()
    yield from d.tap(d.ids("grid").nav_returned)
    yield from d.wait(lambda: app.sm.current == "returned")
    yield 0.3
    items = app.vms["returned"].items
    assert any(COMMENT in i["text"] for i in items), items
    d.shot(f"month_12_returned_list_{lang}")
    opens = [
        w
        for card in d.ids("returned").item_list.children
        for w in card.children
        if getattr(w, "text", "") == translate("returned.open", lang)
    ]
    assert len(opens) == 1, opens
    yield from d.press(opens[0])
    yield from d.wait(lambda: app.sm.current == "visit")
    visit_vm = app.vms["visit"]
    assert visit_vm.record_id == returned_visit
    assert visit_vm.review_comment == COMMENT
    yield 0.4
    d.shot(f"month_13_returned_visit_{lang}")

    # the worker fixes the wage and saves; it goes up by itself
    from tests.ui.kivy.scenarios import fill

    visit_vm.go_to_section(section_of(visit_vm, "income"))
    yield 0.3
    yield from fill(d, "visit", "income.wage", "26000")
    yield from d.tap(d.ids("visit").save)
    yield from d.wait(lambda: visit_vm.saved)
    assert visit_vm.review_note == translate("visit.resubmitted_comment", lang, text=COMMENT)
    yield 0.3
    d.shot(f"month_14_visit_fixed_{lang}")

    def resubmitted() -> bool:
        """the fixed visit on the server, submitted again"""
        data = server.record("visit", returned_visit) or {}
        return data.get("review_status") == "submitted" and data["income"]["wage"] == 26000

    yield from d.wait(lambda: app.store.outbox.count() == 0, 60)
    yield from d.wait(resubmitted, 30)

    # the supervisor approves it; the phone shows it approved, no tap
    yield from in_console(d, console, lambda c: approve(c, returned_visit))
    approved = ENUMS["review_status"].label("approved", lang)
    app.back()
    yield from d.wait(lambda: app.sm.current != "visit")
    app.show("grid", reset=True)

    def shows_approved() -> bool:
        """the visit approved on the phone, nothing returned any more"""
        record = app.store.visits.get(returned_visit)
        return (
            record is not None
            and record.data.get("review_status") == "approved"
            and translate("home.all_clear", lang) in grid.status_text
        )

    yield from d.wait(shows_approved, 60)
    yield 0.5
    d.shot(f"month_15_home_all_clear_{lang}")
    yield from open_household(d, RETURNED)
    rows = app.vms["household"].visits
    assert rows and approved in rows[0]["title"], rows
    assert APPROVAL in rows[0]["status"], rows
    yield 0.5
    d.shot(f"month_16_household_approved_{lang}")
    visit_button = [w for w in d.ids("household").visits.children if approved in w.text]
    yield from d.press(visit_button[0])
    yield from d.wait(lambda: app.sm.current == "visit")
    assert visit_vm.review_note == translate("visit.approved_comment", lang, text=APPROVAL)
    assert not visit_vm.review_returned
    yield 0.4
    d.shot(f"month_17_visit_approved_{lang}")
    app.back()
    yield from d.wait(lambda: app.sm.current == "household")

    # the same two screens in English
    app.show("settings")
    yield from d.settle()
    yield from d.tap(d.ids("settings").lang_en)
    yield from d.wait(lambda: app.lang == "en")
    yield from open_household(d, NEAR)
    assert "below the monitoring threshold of " + limit in app.vms["household"].flags[0]["text"]
    yield 0.5
    d.shot("month_18_household_new_threshold_en")
    app.show("grid", reset=True)
    yield from d.settle()
    yield 0.5
    d.shot("month_19_home_en")


# -- steps ----------------------------------------------------------------------------------
def section_of(vm: Any, key: str) -> int:
    return [s.key for s in vm.form.sections].index(key)


def open_household(d: Driver, n: int) -> Step:
    """Find household n by its number and open it with a tap on its row."""
    return open_by_number(d, f"5226010010{n:03d}", hid(n))


def open_by_number(d: Driver, number: str, household_id: str) -> Step:
    app = d.app
    app.show("grid", reset=True)
    yield from d.settle()
    grid = d.ids("grid")
    d.type(grid.search, number)
    yield from d.wait(lambda: [r["key"] for r in app.vms["grid"].rows] == [household_id])
    yield 0.3
    rows = [w for w in grid.rv.children[0].children if getattr(w, "key", "") == household_id]
    assert rows, "the household row is not shown"
    yield from d.tap(rows[0])
    yield from d.wait(lambda: app.sm.current == "household")
    d.type(grid.search, "")
    yield from d.settle()


def register_household(d: Driver, lang: str) -> Step:
    """Register a household in the grid by touch; returns its id."""
    from tests.ui.kivy.scenarios import fill, pick

    app = d.app
    app.show("grid", reset=True)
    yield from d.settle()
    grid = d.ids("grid")
    yield from d.press(grid.register_household)  # the worker's one grid: straight to the form
    yield from d.wait(lambda: app.sm.current == "household_form")
    vm = app.vms["household_form"]
    number = vm.values["household_no"]
    assert number == f"{GRID}-P001", number
    yield from fill(d, "household_form", "head_name", "李新户")
    yield from fill(d, "household_form", "address", "南花村 5 组 1 号")
    yield from fill(d, "household_form", "phone", "13912345678")
    yield 0.3
    d.shot(f"month_02_register_household_{lang}")  # the provisional number, pre-filled
    vm.go_to_section(section_of(vm, "classification"))
    yield 0.4
    box = d.field("household_type", "household_form")
    yield from pick(d, box.input, ENUMS["household_type"].label("ordinary", lang))
    vm.go_to_section(section_of(vm, "housing"))
    yield 0.4
    box = d.field("house_grade", "household_form")
    yield from pick(d, box.input, ENUMS["house_grade"].label("b", lang))
    yield from d.tap(d.ids("household_form").save)
    yield from d.wait(lambda: app.sm.current != "household_form")
    saved = app.store.households.get(vm.record_id)
    assert saved is not None and saved.data["household_no"] == number, vm.errors
    assert saved.data.get("registration") is None  # the server's to say
    return str(vm.record_id)


def add_head(d: Driver, household_id: str, lang: str) -> Step:
    """The new household's head, by touch on the member form."""
    from tests.ui.kivy.scenarios import fill, pick, tap_chip

    app = d.app

    def label(enum: str, code: str) -> str:
        return ENUMS[enum].label(code, lang)

    yield from open_by_number(d, f"{GRID}-P001", household_id)
    yield from d.press(d.ids("household").add_member)
    yield from d.wait(lambda: app.sm.current == "member")
    member = app.vms["member"]
    yield from fill(d, "member", "name", "李新户")
    birth = date(1996, 3, 14)
    yield from fill(d, "member", "id_number", id_number(99, 1, birth, "male"))
    yield from d.wait(lambda: member.value("sex") == "male")
    yield from pick(d, d.field("relation", "member").input, label("relation", "head"))
    member.go_to_section(1)
    yield 0.3
    yield from pick(d, d.field("education", "member").input, label("education", "senior"))
    member.go_to_section(2)
    yield 0.3
    yield from tap_chip(d, "member", "health", label("health", "healthy"))
    yield from tap_chip(d, "member", "medical_insurance", label("medical_insurance", "resident"))
    member.go_to_section(3)
    yield 0.3
    yield from pick(d, d.field("labor_ability", "member").input, label("labor_ability", "ordinary"))
    yield from d.tap(d.ids("member").save)
    yield from d.wait(lambda: app.sm.current == "household")
    household = app.vms["household"]
    assert [m["title"] for m in household.members] == ["李新户"], household.members
    yield 0.4
    d.shot(f"month_03_new_household_{lang}")


def split_household(d: Driver, lang: str) -> Step:
    """Split the son and his wife off household SPLIT; returns the new household's id."""
    app = d.app
    yield from open_household(d, SPLIT)
    assert len(app.vms["household"].members) == 4, app.vms["household"].members
    yield 0.4
    d.shot(f"month_04_before_split_{lang}")
    son, wife = mid(SPLIT, 3), mid(SPLIT, 4)
    # the register screen (ids documented in tests/ui/kivy/register_scenarios.py)
    yield from d.press(d.ids("household").register_actions)
    yield from d.wait(lambda: app.sm.current == "register")
    vm, screen, ids = app.vms["register"], d.screen("register"), d.ids("register")
    yield from d.press(screen.member_boxes[son])
    yield from d.press(screen.member_boxes[wife])
    yield from d.press(screen.head_chips[son])
    yield 0.3
    d.shot(f"month_04_split_chosen_{lang}")
    yield from d.press(ids.split_confirm)
    yield from d.wait(lambda: bool(vm.new_household_id))
    new_id = str(vm.new_household_id)
    yield from d.press(ids.open_new_household)
    yield from d.wait(lambda: app.sm.current == "household")
    yield from d.settle()
    household = app.vms["household"]
    assert household.head_name == NEW_HEAD
    rows = {m["title"]: m["status"] for m in household.members}
    assert sorted(rows) == sorted([NEW_HEAD, "罗晓燕"])
    # his wife is his spouse in his own household (no longer the old head's daughter-in-law)
    assert rows["罗晓燕"].startswith(ENUMS["relation"].label("spouse", lang)), rows
    yield 0.4
    d.shot(f"month_05_after_split_{lang}")
    return new_id


def fill_visit(d: Driver, n: int, *, wage: int, lang: str, shot: str) -> Step:
    """A visit to household n filled by touch and saved offline; returns its id."""
    from tests.ui.kivy.scenarios import fill, pick, tap_chip

    app = d.app
    yes = translate("common.yes", lang)
    yield from open_household(d, n)
    yield from d.press(d.ids("household").new_visit)
    yield from d.wait(lambda: app.sm.current == "visit")
    visit = app.vms["visit"]
    visit_id = str(visit.record_id)
    assert str(visit.value("visit_date")) == clock_today(app).isoformat(), visit.value("visit_date")
    visit.go_to_section(section_of(visit, "income"))
    yield 0.3
    for part, amount in (
        ("wage", wage),
        ("operating", 0),
        ("property", 0),
        ("transfer", 0),
        ("costs", 0),
    ):
        yield from fill(d, "visit", f"income.{part}", str(amount))
    members = len([m for m in app.vms["household"].members if m["present"]])
    per_capita = translate("visit.per_capita", lang, value=f"{wage / members:,.2f}")
    yield from d.wait(lambda: visit.per_capita_text == per_capita)
    yield 0.3
    d.shot(f"month_07_visit_{shot}_income_{lang}")
    visit.go_to_section(section_of(visit, "guarantees"))
    yield 0.3
    yield from tap_chip(d, "visit", "food_ok", yes)
    yield from tap_chip(d, "visit", "clothing_ok", yes)
    visit.go_to_section(section_of(visit, "water"))
    yield 0.3
    label = ENUMS["water_source"].label("tap", lang)
    yield from pick(d, d.field("water.source", "visit").input, label)
    yield from fill(d, "visit", "water.quantity_lpd", "60")
    yield from tap_chip(d, "visit", "water.quality_ok", yes)
    yield from fill(d, "visit", "water.reliability_pct", "98")
    visit.go_to_section(section_of(visit, "confirmation"))
    yield 0.3
    yield from tap_chip(d, "visit", "confirmed", yes)
    yield from d.tap(d.ids("visit").save)
    yield from d.wait(lambda: visit.saved)
    app.back()
    yield from d.wait(lambda: app.sm.current == "household")
    return visit_id


def clock_today(app: Any) -> date:
    """The phone's day (on the deployment's clock, as the app dates a visit)."""
    from mobile_app.store.clock import local_day

    return local_day(app.now())


# -- the console ----------------------------------------------------------------------------
def supervise(console: ConsoleBrowser, household_id: str, visit_id: str) -> None:
    """The supervisor confirms the household new from the field and returns a visit."""
    from tests.ui.console.conftest import shoot

    page = console.page("li", "zh")
    page.goto("/console/households?registration=field_new")
    rows = page.locator("[data-registration=field_new]")
    assert rows.count() == 2, rows.count()  # the registered household and the split one
    shoot(page, "month-field-new-households-zh")
    page.goto(f"/console/households/{household_id}")
    assert "新登记" in page.locator("h1").inner_text()
    assert "李新户" in page.locator("h1").inner_text()
    shoot(page, "month-new-household-zh")
    page.click("#confirm-registration")
    page.wait_for_selector(".flash.ok")
    assert page.locator("#confirm-registration").count() == 0
    assert "新登记" not in page.locator("h1").inner_text()
    shoot(page, "month-new-household-confirmed-zh")
    page.goto(f"/console/visits/{visit_id}")
    page.fill("#comment", COMMENT)
    shoot(page, "month-visit-to-return-zh")
    page.click("button[value=return]")
    page.wait_for_selector(".flash.ok")
    shoot(page, "month-visit-returned-zh")


def raise_threshold(console: ConsoleBrowser, raised: int) -> None:
    """The admin raises the monitoring threshold: a new configuration version."""
    from tests.ui.console.conftest import shoot

    page = console.page("admin", "zh")
    page.goto("/console/admin/thresholds")
    page.fill("#c-threshold", str(raised))
    shoot(page, "month-threshold-edit-zh")
    page.click(".card form[method=post] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert page.locator("#c-threshold").input_value() == str(raised)
    shoot(page, "month-threshold-published-zh")


def approve(console: ConsoleBrowser, visit_id: str) -> None:
    """The supervisor approves the fixed visit."""
    from tests.ui.console.conftest import shoot

    page = console.page("li", "en")
    page.goto(f"/console/visits/{visit_id}")
    assert "26,000" in page.inner_text("body") or "26000" in page.inner_text("body")
    page.fill("#comment", APPROVAL)
    page.click("button[value=approve]")
    page.wait_for_selector(".flash.ok")
    shoot(page, "month-visit-approved-en")
