"""What a grid worker does, as driver scenarios (see driver.py). Each yields between steps."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from mobile_app.i18n import translate
from shared_schema.enums import ENUMS
from tests.ui.kivy.backend import WORKER
from tests.ui.kivy.driver import Driver, Step
from tests.ui.kivy.seed import hid, id_number, vid

HOUSEHOLD = 1  # the seeded household the scenarios visit
PIN = "2468"
RETURNED_VISIT = vid(HOUSEHOLD)  # a visit on the server that the supervisor returns


def sign_in_offline(d: Driver, pin: str) -> Step:
    """Open the app offline with the device PIN."""
    ids = d.ids("signin")
    yield from d.wait(lambda: d.app.sm.current == "signin")
    d.type(ids.pin, pin)
    yield 0.2
    yield from d.tap(ids.open_offline)
    yield from d.wait(lambda: d.app.sm.current == "grid")


def sign_in_online(d: Driver, url: str | None = None) -> Step:
    """Sign in as the worker by touch (the backend's server, or `url`: a proxy in front of
    it), with the device PIN; returns when the grid screen shows."""
    ids = d.ids("signin")
    yield from d.wait(lambda: d.app.sm.current == "signin")
    d.type(ids.server_url, url or d.backend.url)
    d.type(ids.username, WORKER)
    d.type(ids.password, d.backend.password)
    d.type(ids.pin, PIN)
    yield from d.tap(ids.sign_in)
    yield from d.wait(lambda: d.app.sm.current == "grid")


def shoot_screens(d: Driver, lang: str) -> Step:
    """Visit every screen and save a screenshot of each in `lang`."""
    app = d.app
    app.show("grid", reset=True)
    yield 0.5
    d.shot(f"grid_{lang}")
    app.open_household(hid(HOUSEHOLD))
    yield 0.5
    d.shot(f"household_{lang}")
    app.new_visit(hid(HOUSEHOLD))
    vm = app.vms["visit"]
    for i, section in enumerate(vm.form.sections):
        vm.go_to_section(i)
        yield 0.4
        d.shot(f"visit_{i}_{section.key}_{lang}")
    app.back()
    app.new_member(hid(HOUSEHOLD))
    member = app.vms["member"]
    for i, section in enumerate(member.form.sections):
        member.go_to_section(i)
        yield 0.4
        d.shot(f"member_{i}_{section.key}_{lang}")
    app.back()
    app.show("sync")
    yield 0.5
    d.shot(f"sync_{lang}")
    # the sync the app started by itself at unlock may still be retrying: wait for it
    yield from d.wait(lambda: not app.vms["sync"].running, timeout=120)
    runs = app.vms["sync"].finished_runs
    yield from d.tap(d.ids("sync").sync_now)  # the seeded server address answers nothing
    yield from d.wait(lambda: app.vms["sync"].finished_runs > runs, timeout=90)
    assert app.vms["sync"].can_retry and app.vms["sync"].error
    yield 0.3
    d.shot(f"sync_error_{lang}")
    app.show("returned")
    yield 0.5
    d.shot(f"returned_{lang}")
    app.show("settings")
    yield 0.5
    d.shot(f"settings_{lang}")


def tour(d: Driver) -> Step:
    """Sign in offline, then screenshot every screen in Chinese, switch to English, again."""
    yield 0.5
    d.shot("signin_zh")
    yield from sign_in_offline(d, PIN)
    yield from shoot_screens(d, "zh")
    # lock: the store closes and the sign-in screen asks for the PIN again
    yield from d.tap(d.ids("settings").lock)
    yield from d.wait(lambda: d.app.sm.current == "signin" and d.app.store is None)
    yield 0.5
    d.shot("signin_locked_zh")
    # a wrong PIN (the store is encrypted now, so tries are counted): refused, and the tries
    # left are shown under the PIN field
    vm = d.app.vms["signin"]
    yield from d.wait(lambda: d.app.sm.current == "signin")
    d.type(d.ids("signin").pin, "9999")
    yield from d.wait(lambda: vm.pin == "9999")
    yield from d.tap(d.ids("signin").open_offline)
    yield from d.wait(lambda: bool(vm.error) and not vm.busy)
    yield 0.4
    assert d.app.sm.current == "signin", vm.error
    assert vm.unlock_tries_left == 4 and "4" in vm.pin_note, (vm.error, vm.unlock_tries_left)
    d.shot("signin_wrong_pin_zh")
    yield from sign_in_offline(d, PIN)
    d.app.show("settings")
    yield 0.3
    yield from d.tap(d.ids("settings").lang_en)
    yield from d.wait(lambda: d.app.lang == "en")
    yield from shoot_screens(d, "en")
    d.app.show("settings")
    yield 0.3
    settings = d.ids("settings")
    yield from d.tap(settings.sign_out)  # one local edit is not synced: asks first
    yield from d.wait(lambda: d.app.vms["settings"].confirm_needed)
    yield 0.3
    d.shot("settings_confirm_sign_out_en")
    assert d.app.sm.current == "settings"
    yield from d.tap(settings.confirm_sign_out)
    yield from d.wait(lambda: d.app.sm.current == "signin")
    yield 0.5
    d.shot("signin_en")
    assert d.ids("signin").open_offline.disabled  # signed out: online sign-in needed again


# -- the worker's day, against a server -----------------------------------------------------
def pick(d: Driver, spinner: Any, label: str) -> Step:
    """Open a picker with a tap and tap the option with `label`."""
    yield from d.press(spinner)
    yield 0.3
    if not spinner.is_open:
        d.shot("debug_pick")
    assert spinner.is_open, f"the {label!r} picker did not open"
    options = [w for w in spinner._dropdown.container.children if w.text == label]
    assert options, (
        f"no option {label!r} in {[w.text for w in spinner._dropdown.container.children]}"
    )
    d.scroll_to(options[0])
    yield 0.2
    yield from d.tap(options[0])
    yield 0.2
    assert spinner.text == label


def chip(field: Any, label: str) -> Any:
    """The chip with `label` in a multi-select or yes/no field."""
    for w in field.input.children:
        if w.text == label:
            return w
    raise AssertionError(f"no chip {label!r}")


def fill(d: Driver, screen: str, path: str, text: str) -> Step:
    """Type into a form field (scrolling it into view first)."""
    yield from d.settle()
    box = d.field(path, screen)
    d.scroll_to(box)
    yield 0.1
    d.type(box.input, text)
    yield 0.1


def tap_chip(d: Driver, screen: str, path: str, label: str) -> Step:
    box = d.field(path, screen)
    d.scroll_to(box)
    yield 0.2
    yield from d.tap(chip(box, label))
    yield 0.1


def worker(d: Driver) -> Step:
    """Sign in online, add a member (invalid then valid ID), fill and save a visit offline,
    sync, and see the supervisor's return after the next sync."""
    app, backend = d.app, d.backend
    lang = app.lang  # the test sets the device language before the app starts
    yes = translate("common.yes", lang)

    def label(enum: str, code: str) -> str:
        return ENUMS[enum].label(code, lang)

    ids = d.ids("signin")
    yield from d.wait(lambda: app.sm.current == "signin")
    d.type(ids.server_url, backend.url)
    d.type(ids.username, WORKER)
    d.type(ids.password, "wrong")
    yield from d.tap(ids.sign_in)
    yield from d.wait(lambda: bool(app.vms["signin"].error))
    assert app.vms["signin"].error == translate("signin.err_credentials", lang)
    d.shot(f"worker_signin_error_{lang}")
    d.type(ids.password, backend.password)
    d.type(ids.pin, PIN)
    yield from d.tap(ids.sign_in)
    yield from d.wait(lambda: app.sm.current == "grid")
    yield from d.wait(lambda: app.vms["sync"].finished_runs >= 1 and app.vms["grid"].total == 30)
    assert app.vms["sync"].error == ""
    yield 0.5
    d.shot(f"worker_grid_after_first_sync_{lang}")

    # find the household by its number and open it with a tap on its row
    grid = d.ids("grid")
    d.type(grid.search, "5226010010001")
    yield from d.wait(lambda: len(app.vms["grid"].rows) == 1)
    yield 0.3
    rows = [w for w in grid.rv.children[0].children if getattr(w, "key", "") == hid(HOUSEHOLD)]
    assert rows, "the household row is not shown"
    yield from d.tap(rows[0])
    yield from d.wait(lambda: app.sm.current == "household")

    # add a member: an invalid ID number shows an error under the field, a valid one fills
    yield from d.press(d.ids("household").add_member)
    yield from d.wait(lambda: app.sm.current == "member")
    yield from fill(d, "member", "name", "王小军")
    birth = date(1998, 7, 9)
    good = id_number(HOUSEHOLD, 7, birth, "male")
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    yield from fill(d, "member", "id_number", bad)
    box = d.field("id_number", "member")
    yield from d.wait(lambda: bool(box.error_label.text))
    yield 0.3
    assert box.error_label.top <= box.input.y + 1, "the error sits right under the input"
    assert box.input.y - box.error_label.top < 40
    d.shot(f"worker_member_invalid_id_{lang}")
    yield from fill(d, "member", "id_number", good)
    yield from d.wait(lambda: box.error_label.text == "")
    yield 0.3
    assert d.field("birth_date", "member").input.text == "1998-07-09"
    assert app.vms["member"].value("sex") == "male"
    d.shot(f"worker_member_valid_id_{lang}")
    yield from pick(d, d.field("relation", "member").input, label("relation", "child"))
    member_vm = app.vms["member"]
    member_vm.go_to_section(1)  # education
    yield 0.3
    yield from pick(d, d.field("education", "member").input, label("education", "senior"))
    member_vm.go_to_section(2)  # health
    yield 0.3
    yield from tap_chip(d, "member", "health", label("health", "healthy"))
    yield from tap_chip(d, "member", "medical_insurance", label("medical_insurance", "resident"))
    member_vm.go_to_section(3)  # work
    yield 0.3
    yield from pick(d, d.field("labor_ability", "member").input, label("labor_ability", "ordinary"))
    yield from d.tap(d.ids("member").save)
    yield from d.wait(lambda: app.sm.current == "household")
    assert any(m["title"] == "王小军" for m in app.vms["household"].members)

    # a visit, filled section by section and saved offline
    yield from d.press(d.ids("household").new_visit)
    yield from d.wait(lambda: app.sm.current == "visit")
    visit = app.vms["visit"]
    visit_id = visit.record_id
    visit.go_to_section(2)
    yield 0.3
    for part, amount in (
        ("wage", "30000"),
        ("operating", "2000"),
        ("property", "0"),
        ("transfer", "1200"),
        ("costs", "500"),
    ):
        yield from fill(d, "visit", f"income.{part}", amount)
    per_capita = translate("visit.per_capita", lang, value="16,350.00")
    yield from d.wait(lambda: visit.per_capita_text == per_capita)
    d.shot(f"worker_visit_income_{lang}")
    visit.go_to_section(3)
    yield 0.3
    yield from tap_chip(d, "visit", "food_ok", yes)
    yield from tap_chip(d, "visit", "clothing_ok", yes)
    visit.go_to_section(4)
    yield 0.3
    yield from pick(d, d.field("water.source", "visit").input, label("water_source", "tap"))
    yield from fill(d, "visit", "water.quantity_lpd", "60")
    yield from tap_chip(d, "visit", "water.quality_ok", yes)
    yield from fill(d, "visit", "water.reliability_pct", "98")
    visit.go_to_section(8)
    yield 0.3
    yield from tap_chip(d, "visit", "confirmed", yes)
    yield from d.tap(d.ids("visit").save)
    yield from d.wait(lambda: visit.saved)
    yield 0.3
    d.shot(f"worker_visit_saved_{lang}")
    assert app.store.outbox.count() == 2  # the member and the visit wait to be sent

    # back to the list: the household is marked unsynced; then sync
    app.back()  # (the header's back button is tapped in the tour; here the app's back)
    yield from d.wait(lambda: app.sm.current == "household")
    app.back()
    yield from d.wait(lambda: app.sm.current == "grid")
    d.type(d.ids("grid").search, "")
    yield 0.5
    unsynced = translate("grid.badge.unsynced", lang)
    assert any(unsynced in r["badges"] for r in app.vms["grid"].rows)
    d.shot(f"worker_grid_unsynced_{lang}")
    yield from d.tap(d.ids("grid").nav_sync)
    yield from d.wait(lambda: app.sm.current == "sync")
    runs = app.vms["sync"].finished_runs
    yield from d.tap(d.ids("sync").sync_now)
    yield from d.wait(lambda: app.vms["sync"].finished_runs > runs)
    assert app.vms["sync"].error == "" and app.vms["sync"].pending_count == 0
    assert backend.visit(visit_id)["income"]["wage"] == 30000
    d.shot(f"worker_sync_done_{lang}")

    # the supervisor returns the visit; the next sync brings the comment to the phone
    backend.return_visit(visit_id, "务工收入与上次差别较大，请核实")
    runs = app.vms["sync"].finished_runs
    yield from d.tap(d.ids("sync").sync_now)
    yield from d.wait(lambda: app.vms["sync"].finished_runs > runs)
    app.back()
    yield from d.wait(lambda: app.sm.current == "grid")
    yield from d.tap(d.ids("grid").nav_returned)
    yield from d.wait(lambda: app.sm.current == "returned")
    yield 0.3
    items = app.vms["returned"].items
    assert any("务工收入与上次差别较大，请核实" in i["text"] for i in items), items
    d.shot(f"worker_returned_{lang}")
    opens = [
        w
        for card in d.ids("returned").item_list.children
        for w in card.children
        if getattr(w, "text", "") == translate("returned.open", lang)
    ]
    yield from d.press(opens[0])
    yield from d.wait(lambda: app.sm.current == "visit")
    yield 0.3
    assert visit.review_comment == "务工收入与上次差别较大，请核实"
    d.shot(f"worker_returned_visit_{lang}")


def big_grid(d: Driver) -> Step:
    """2,000 households: the list pages in as it scrolls and recycles a screenful of rows."""
    yield from sign_in_offline(d, PIN)
    app, grid = d.app, d.ids("grid")
    assert app.vms["grid"].total == 2000
    rv = grid.rv
    while len(app.vms["grid"].rows) < 2000:
        loaded = len(app.vms["grid"].rows)
        yield from d.steady(rv.children[0])
        rv.scroll_y = 0  # fling to the end: the next page loads
        yield from d.wait(lambda loaded=loaded: len(app.vms["grid"].rows) > loaded)
        yield 0.3
        # the rows in view stay in view: no jump to the end of the longer list
        assert 0.1 < rv.scroll_y < 0.9, rv.scroll_y
        shown = {w.key for w in rv.children[0].children}
        assert app.vms["grid"].rows[loaded - 1]["key"] in shown
    rv.scroll_y = 0
    yield 0.5
    rows = rv.children[0].children
    assert len(rows) < 40, f"{len(rows)} row widgets for 2,000 households: not recycling"
    keys = {w.key for w in rows}
    # the end of the list is shown (the list's last row, above the floating register button)
    assert app.vms["grid"].rows[-1]["key"] in keys, (len(keys), app.vms["grid"].rows[-1])
    d.shot("grid_2000_end_zh")


# -- the date picker ------------------------------------------------------------------------
def date_picker(d: Driver) -> Step:
    """Dates by thumb: the calendar opens on the typed date, a tapped day is committed like a
    typed one, "today" is the device's date, and a future birth date still gets its error."""
    app = d.app
    yield 0.5
    yield from sign_in_offline(d, PIN)
    yield from pick_dates(d, "zh")
    app.show("settings")
    yield 0.3
    yield from d.tap(d.ids("settings").lang_en)
    yield from d.wait(lambda: app.lang == "en")
    yield from pick_dates(d, "en")


def pick_dates(d: Driver, lang: str) -> Step:
    """One pass of `date_picker` in the current language."""
    app = d.app
    app.open_household(hid(HOUSEHOLD))
    yield 0.3
    app.new_visit(hid(HOUSEHOLD))
    yield from d.wait(lambda: app.sm.current == "visit")
    vm = app.vms["visit"]
    vm.go_to_section(0)
    yield 0.4
    box = d.field("visit_date", "visit")
    yield from fill(d, "visit", "visit_date", "2024-03-20")
    yield from d.wait(lambda: str(vm.value("visit_date")) == "2024-03-20")
    yield from d.press(box.calendar_button)
    yield from d.wait(lambda: box.picker is not None and box.picker.parent is not None)
    picker = box.picker
    yield 0.4
    title = "2024年3月" if lang == "zh" else "Mar 2024"
    assert picker.heading.text == title, picker.heading.text
    d.shot(f"visit_date_picker_{lang}")
    yield from d.tap(picker.prev_month)
    assert picker.heading.text == ("2024年2月" if lang == "zh" else "Feb 2024")
    yield from d.tap(picker.day_buttons[14])
    yield from d.wait(lambda: picker.parent is None)
    assert box.input.text == "2024-02-14"
    yield from d.wait(lambda: str(vm.value("visit_date")) == "2024-02-14")
    yield from d.press(box.calendar_button)
    yield from d.wait(lambda: box.picker is not None and box.picker.parent is not None)
    yield 0.3
    yield from d.tap(box.picker.today_button)
    today = vm.today().isoformat()
    yield from d.wait(lambda: str(vm.value("visit_date")) == today)
    app.back()
    yield 0.3

    # a birth date picked in next year is refused under the field, as if typed
    app.new_member(hid(HOUSEHOLD))
    yield from d.wait(lambda: app.sm.current == "member")
    member = app.vms["member"]
    member.go_to_section(0)
    yield 0.4
    birth = d.field("birth_date", "member")
    yield from d.press(birth.calendar_button)
    yield from d.wait(lambda: birth.picker is not None and birth.picker.parent is not None)
    yield 0.3
    yield from pick_year(d, birth.picker, app.vms["member"].today().year + 1)
    yield from d.tap(birth.picker.day_buttons[1])
    yield from d.wait(lambda: birth.picker.parent is None)
    yield from d.wait(lambda: bool(birth.error_label.text))
    yield 0.3
    d.shot(f"member_birth_date_future_{lang}")
    assert birth.input.text.endswith("-01")
    # decades back through the year list on the heading
    yield from d.press(birth.calendar_button)
    yield from d.wait(lambda: birth.picker is not None and birth.picker.parent is not None)
    yield 0.3
    yield from pick_year(d, birth.picker, 1968)
    d.shot(f"member_birth_date_year_{lang}")
    yield from d.tap(birth.picker.day_buttons[9])
    yield from d.wait(lambda: re.fullmatch(r"1968-\d\d-09", birth.input.text) is not None)
    yield from d.wait(lambda: birth.error_label.text == "")
    yield from leave_member(d, "discard")  # the new member's dates are edits: Back asks


def pick_year(d: Driver, picker: Any, year: int) -> Step:
    """Open the date picker's year list (its heading) and tap `year`."""
    heading = picker.heading
    yield from d.tap(heading)
    yield 0.3
    assert heading.is_open, "the year list did not open"
    wanted = f"{year}年" if picker.lang == "zh" else str(year)
    option = next(w for w in heading._dropdown.container.children if w.text == wanted)
    d.scroll_to(option)
    yield 0.3
    yield from d.tap(option)
    yield 0.2
    assert picker.year == year and str(year) in heading.text


def fresh_start(d: Driver) -> Step:
    """A brand-new account: the app reaches the sign-in screen (its data in ~/.config)."""
    yield from d.wait(lambda: d.app.sm.current == "signin")
    ids = d.ids("signin")
    yield from d.steady(ids.sign_in)
    assert ids.username.get_root_window() is not None and ids.sign_in.get_root_window() is not None
    yield 0.5
    d.shot("fresh_start_signin")
    print("DATA_ROOT", d.app.data_root)


def tap_member_back(d: Driver) -> Step:
    """Tap the Back button in the member form's header."""
    from kivy.uix.button import Button

    header = d.ids("member").header
    [back] = [w for w in header.children if isinstance(w, Button)]
    yield from d.tap(back)


def leave_member(d: Driver, answer: str) -> Step:
    """Back from a member form with unsaved edits: the dialog asks; tap `answer`."""
    screen = d.screen("member")
    yield from tap_member_back(d)
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.3
    yield from d.tap(screen.dialog.buttons[answer])
    yield from d.wait(lambda: screen.dialog is None)
    yield 0.2


def form_guards(d: Driver) -> Step:
    """Issue 16's form defects, tapped for real: a future visit date is refused next to the
    field, the sixth risk cannot be ticked, a new visit shows no income left over from the
    previous one, and Back on a member form with unsaved edits asks save / discard / stay."""
    app = d.app
    yield 0.5
    yield from sign_in_offline(d, PIN)
    app.open_household(hid(HOUSEHOLD))
    yield 0.3
    app.new_visit(hid(HOUSEHOLD))
    yield from d.wait(lambda: app.sm.current == "visit")
    vm = app.vms["visit"]
    keys = [s.key for s in vm.form.sections]

    # a visit dated tomorrow: the message is under the date field
    vm.go_to_section(0)
    yield 0.4
    date_box = d.field("visit_date", "visit")
    yield from fill(d, "visit", "visit_date", (vm.today() + timedelta(days=1)).isoformat())
    yield from d.wait(lambda: "晚于今天" in date_box.error_label.text)
    yield 0.3
    d.shot("visit_date_future_zh")
    yield from fill(d, "visit", "visit_date", vm.today().isoformat())
    yield from d.wait(lambda: date_box.error_label.text == "")

    # income of this visit, then a new visit of another household: none of it shows there
    vm.go_to_section(keys.index("income"))
    yield 0.4
    for part, amount in (("wage", "24000"), ("operating", "6000"), ("property", "0")):
        yield from fill(d, "visit", f"income.{part}", amount)
    yield from fill(d, "visit", "income.transfer", "1200")
    yield from fill(d, "visit", "income.costs", "1200")
    net = d.field("net_income", "visit")
    yield from d.wait(lambda: net.input.text == "30,000.00")

    # five risks: the sixth chip is disabled, a real touch on it ticks nothing, a note says why
    vm.go_to_section(keys.index("risks"))
    yield 0.4
    risks = d.field("risks", "visit")
    codes = list(ENUMS["risk"].codes)
    for code in codes[:5]:
        yield from tap_chip(d, "visit", "risks", ENUMS["risk"].label(code, "zh"))
    yield from d.wait(lambda: vm.value("risks") == codes[:5])
    sixth = chip(risks, ENUMS["risk"].label(codes[5], "zh"))
    assert sixth.disabled and "已选满 5 项" in risks.limit_label.text
    d.scroll_to(risks.limit_label)
    yield 0.4
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(*sixth.to_window(*sixth.center))
    touch.touch_down()
    yield 0.05
    touch.touch_up()
    yield 0.3
    assert sixth.state == "normal" and vm.value("risks") == codes[:5]
    d.shot("visit_risks_capped_zh")

    app.back()
    yield 0.3
    other = hid(HOUSEHOLD + 4)  # never visited
    app.open_household(other)
    yield 0.3
    app.new_visit(other)
    yield from d.wait(lambda: app.sm.current == "visit" and vm.household_id == other)
    vm.go_to_section(keys.index("income"))
    yield 0.4
    assert net.input.text == "—", net.input.text
    assert d.field("per_capita_income", "visit").input.text == "—"
    d.shot("visit_new_no_leftover_income_zh")
    app.back()
    yield 0.3

    # Back on a member form with unsaved edits asks; each answer does what it says
    app.open_household(hid(HOUSEHOLD))
    yield 0.3
    member = app.vms["member"]
    spouse = app.vms["household"].members[-1]["member_id"]
    stored = app.store.members.get(spouse).data.get("phone")
    app.edit_member(spouse)
    yield from d.wait(lambda: app.sm.current == "member")
    member.go_to_section(0)
    yield 0.4
    yield from fill(d, "member", "phone", "13900001111")
    screen = d.screen("member")
    yield from tap_member_back(d)
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.4
    d.shot("member_unsaved_dialog_zh")
    yield from d.tap(screen.dialog.buttons["stay"])
    yield from d.wait(lambda: screen.dialog is None)
    assert app.sm.current == "member" and member.value("phone") == "13900001111"
    app._on_key(None, 27)  # the Android back key asks the same
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.3
    yield from d.tap(screen.dialog.buttons["discard"])
    yield from d.wait(lambda: app.sm.current == "household")
    assert app.store.members.get(spouse).data.get("phone") == stored
    app.edit_member(spouse)
    yield from d.wait(lambda: app.sm.current == "member")
    member.go_to_section(0)
    yield 0.4
    yield from fill(d, "member", "phone", "13900001111")
    yield from leave_member(d, "save")
    yield from d.wait(lambda: app.sm.current == "household")
    assert app.store.members.get(spouse).data["phone"] == "13900001111"
    app.edit_member(spouse)  # nothing changed: Back goes straight back
    yield from d.wait(lambda: app.sm.current == "member")
    yield from tap_member_back(d)
    yield from d.wait(lambda: app.sm.current == "household")


def household_register(d: Driver) -> Step:
    """Issue 16: register a household in the grid by touch — the form opens with the next
    provisional number, the required fields are filled and the chips tapped, Save stores it."""
    app = d.app
    yield 0.5
    yield from sign_in_offline(d, PIN)
    app.new_household("g-001")
    yield from d.wait(lambda: app.sm.current == "household_form")
    vm = app.vms["household_form"]
    number = vm.values["household_no"]
    assert number.startswith("g-001-P"), number
    yield from fill(d, "household_form", "head_name", "李新户")
    yield from fill(d, "household_form", "address", "南花村 5 组 1 号")
    yield 0.3
    d.shot("household_register_form_zh")  # the provisional number, pre-filled
    keys = [s.key for s in vm.form.sections]
    vm.go_to_section(keys.index("classification"))
    yield 0.4
    box = d.field("household_type", "household_form")
    yield from pick(d, box.input, ENUMS["household_type"].label("ordinary", "zh"))
    yield 0.3
    vm.go_to_section(keys.index("housing"))
    yield 0.4
    box = d.field("house_grade", "household_form")
    yield from pick(d, box.input, ENUMS["house_grade"].label("b", "zh"))
    yield 0.3
    yield from d.tap(d.ids("household_form").save)
    yield from d.wait(lambda: app.sm.current != "household_form")
    saved = app.store.households.get(vm.record_id)
    assert saved is not None and saved.data["household_no"] == number, vm.errors
    assert saved.data["head_name"] == "李新户"
    yield 0.3
    d.shot("household_register_saved_zh")


def autosync(d: Driver) -> Step:
    """Issue 16, sync runs itself: sign in online, then never tap "sync". The app syncs at
    sign-in and by itself afterwards (the driver's fast policy: every 3 s); a visit the
    supervisor returns arrives without a tap, the home status names it, and the sync screen
    says what needs the worker instead of "done"."""
    app, backend = d.app, d.backend
    lang = app.lang
    yield from sign_in_online(d)
    sync_vm = app.vms["sync"]
    outcomes: list[tuple[str, bool]] = []

    def finished(vm: Any, _runs: int) -> None:
        outcomes.append((vm.phase_text, bool(vm.needs_attention)))
        if vm.needs_attention and app.autosync is not None:
            app.autosync.enabled = False  # hold the screen still for the screenshot

    sync_vm.bind(finished_runs=finished)
    yield from d.wait(lambda: sync_vm.finished_runs >= 1 and app.vms["grid"].total == 30, 60)
    assert sync_vm.error == "", sync_vm.error
    grid = app.vms["grid"]
    yield from d.wait(lambda: translate("home.all_clear", lang) in grid.status_text, 30)
    assert translate("common.never", lang) not in grid.status_text
    yield 0.5
    d.shot(f"autosync_home_synced_{lang}")
    runs = sync_vm.finished_runs
    yield from d.wait(lambda: sync_vm.finished_runs > runs, 30)  # periodic, no tap

    backend.return_visit(RETURNED_VISIT, "务工收入与上次差别较大，请核实")
    yield from d.wait(lambda: any(needs for _text, needs in outcomes), 60)
    yield from d.wait(lambda: not sync_vm.running, 30)
    grid.refresh()
    yield 0.5
    assert translate("attention.returned", lang, n=1) in grid.status_text, grid.status_text
    d.shot(f"autosync_home_returned_{lang}")
    text = next(text for text, needs in outcomes if needs)
    assert text != translate("sync.done", lang)
    assert translate("attention.returned", lang, n=1) in text, text
    app.show("sync")
    yield from d.settle()
    yield 0.5
    assert d.ids("sync").phase.text == text
    assert d.ids("sync").open_returned.opacity == 1
    d.shot(f"autosync_sync_needs_you_{lang}")
    yield from d.tap(d.ids("sync").open_returned)
    yield from d.wait(lambda: app.sm.current == "returned")
    yield 0.3
    items = app.vms["returned"].items
    assert any("务工收入与上次差别较大，请核实" in i["text"] for i in items), items


def layout_720(d: Driver) -> Step:
    """Issue 16's layout defect on a 720-px-wide phone (720x1280): every screen in English
    (the longer words) and Chinese; no button label is broken inside a word, the section tab
    strip scrolls sideways, the form scrolls down."""
    app = d.app
    ids = d.ids("signin")
    yield from d.wait(lambda: app.sm.current == "signin")
    d.type(ids.pin, PIN)
    d.shot("layout720_signin_zh")
    yield from d.press(ids.open_offline)  # below the fold with large text: scrolled to
    yield from d.wait(lambda: app.sm.current == "grid")
    for lang in ("en", "zh"):
        app.lang = lang
        yield 0.5
        app.show("grid", reset=True)
        yield 0.5
        d.shot(f"layout720_grid_{lang}")
        app.open_household(hid(HOUSEHOLD))
        yield 0.5
        d.shot(f"layout720_household_{lang}")
        app.new_visit(hid(HOUSEHOLD))
        vm = app.vms["visit"]
        vm.go_to_section(0)
        yield 0.6
        d.shot(f"layout720_visit_0_{lang}")
        screen = d.screen("visit")
        for field in screen.renderer.widgets.values():
            button = getattr(field, "calendar_button", None)
            if button is not None and button.get_root_window() is not None:
                assert_one_line(button)
        last = len(vm.form.sections) - 1
        vm.go_to_section(last)
        yield 0.6
        tabs = screen.ids.tabs
        assert tabs.width > tabs.parent.width or tabs.parent.width >= tabs.minimum_width
        d.shot(f"layout720_visit_{last}_{lang}")
        app.back()
        yield 0.3
        app.show("sync")
        yield 0.5
        d.shot(f"layout720_sync_{lang}")
        app.show("settings")
        yield 0.5
        d.shot(f"layout720_settings_{lang}")


def assert_one_line(widget: Any) -> None:
    """A button's label fits on one line (not "Calenda r")."""
    widget.texture_update()
    one_line = widget.font_size * 1.6
    assert widget.texture_size[1] <= one_line, (widget.text, widget.texture_size, widget.width)


def evidence(d: Driver) -> Step:
    """Issue 14 end to end on the phone: sign in online, start an elimination check (the fake
    GPS fix shows), attach a photo from a file through the chooser, draw the signature with
    real touches, name the signer, save, sync (records, then the files over tus)."""
    import os
    from pathlib import Path

    from kivy.tests.common import UnitTestTouch

    from mobile_app.store import files as files_table

    app = d.app
    lang = app.lang
    yes = translate("common.yes", lang)
    photo = os.environ["TIANYE_UI_PHOTO"]

    def label(enum: str, code: str) -> str:
        return ENUMS[enum].label(code, lang)

    yield from sign_in_online(d)
    yield from d.wait(lambda: app.vms["sync"].finished_runs >= 1 and app.vms["grid"].total > 0)
    grid = d.ids("grid")
    d.type(grid.search, "5226010010001")
    yield from d.wait(lambda: len(app.vms["grid"].rows) == 1)
    yield 0.3
    rows = [w for w in grid.rv.children[0].children if getattr(w, "key", "") == hid(HOUSEHOLD)]
    yield from d.tap(rows[0])
    yield from d.wait(lambda: app.sm.current == "household")
    yield from d.press(d.ids("household").new_visit)
    yield from d.wait(lambda: app.sm.current == "visit")
    visit = app.vms["visit"]
    visit_id = visit.record_id
    # the fake location source answered at the start of the visit
    gps_box = d.field("gps", "visit")
    yield from d.wait(lambda: "±12" in gps_box.status.text)
    yield from pick(
        d, d.field("visit_type", "visit").input, label("visit_type", "elimination_check")
    )
    d.scroll_to(gps_box)
    yield 0.4
    d.shot(f"evidence_visit_gps_{lang}")
    # the typed sections (covered by the worker scenario) are set through the view-model
    for part, amount in (("wage", "30000"), ("operating", "0"), ("property", "0")):
        visit.set_value(f"income.{part}", amount)
    for part in ("transfer", "costs"):
        visit.set_value(f"income.{part}", "0")
    visit.set_value("food_ok", True)
    visit.set_value("clothing_ok", True)
    visit.set_value("water.source", "tap")
    visit.set_value("water.quantity_lpd", "60")
    visit.set_value("water.quality_ok", True)
    visit.set_value("water.reliability_pct", "98")
    visit.set_value("house_grade", "c")
    sections = [s.key for s in visit.form.sections]
    visit.go_to_section(sections.index("confirmation"))
    yield 0.5
    yield from tap_chip(d, "visit", "confirmed", yes)
    yield from d.tap(d.ids("visit").save)
    yield from d.wait(lambda: bool(visit.errors.get("attachments.house_photo")))
    yield 0.3
    d.shot(f"evidence_required_{lang}")
    assert visit.errors["attachments.signature"] == translate("evidence.required", lang)

    # a photo from a file: the chooser opens, the file is picked, OK
    house = d.field("attachments.house_photo", "visit")
    yield from d.press(house.add_button)
    yield from d.wait(lambda: house.popup is not None and house.popup.parent is not None)
    yield 0.5
    house.popup.chooser.path = str(Path(photo).parent)
    yield 0.5
    chooser = house.popup.chooser

    def listed() -> list[Any]:
        """The chooser's entry for the photo (the list fills over a few frames)."""
        return [
            w
            for w in chooser.walk(restrict=True)
            if w is not chooser and getattr(w, "path", "") == photo
        ]

    yield from d.wait(lambda: bool(listed()))
    entries = listed()
    yield from d.tap(entries[0])
    yield from d.wait(lambda: chooser.selection == [photo])
    d.shot(f"evidence_chooser_{lang}")
    yield from d.tap(house.popup.ok_button)
    yield from d.wait(lambda: len(visit.evidence_items("attachments.house_photo")) == 1)
    yield 0.3

    # the signature: drawn with touches on the pad, then kept
    sign = d.field("attachments.signature", "visit")
    d.scroll_to(sign.pad)
    yield 0.4
    yield from d.steady(sign.pad)
    x0, y0 = sign.pad.to_window(sign.pad.x, sign.pad.y)
    w, h = sign.pad.size
    for stroke in (
        [(0.1 + 0.02 * i, 0.5 + 0.25 * ((-1) ** i)) for i in range(20)],
        [(0.55 + 0.015 * i, 0.3 + 0.02 * i) for i in range(20)],
    ):
        px = [(x0 + fx * w, y0 + fy * h) for fx, fy in stroke]
        touch = UnitTestTouch(*px[0])
        touch.touch_down()
        yield 0.02
        for x, y in px[1:]:
            touch.touch_move(x, y)
            yield 0.02
        touch.touch_up()
        yield 0.05
    assert sum(len(s) for s in sign.pad.strokes) >= 30
    d.shot(f"evidence_signature_drawn_{lang}")
    yield from d.press(sign.keep_button)
    yield from d.wait(lambda: len(visit.evidence_items("attachments.signature")) == 1)
    yield from fill(d, "visit", "signed_by", "王建国")
    yield from pick(d, d.field("signer_relation", "visit").input, label("relation", "head"))
    yield from d.tap(d.ids("visit").save)
    yield from d.wait(lambda: visit.saved)
    yield 0.3
    d.scroll_to(house)
    yield 0.5
    d.shot(f"evidence_visit_saved_{lang}")

    # sync: the records, then the files
    app.back()
    yield from d.wait(lambda: app.sm.current == "household")
    app.back()
    yield from d.wait(lambda: app.sm.current == "grid")
    yield from d.tap(d.ids("grid").nav_sync)
    yield from d.wait(lambda: app.sm.current == "sync")
    runs = app.vms["sync"].finished_runs
    yield from d.tap(d.ids("sync").sync_now)
    yield from d.wait(lambda: app.vms["sync"].finished_runs > runs, timeout=120)
    assert app.vms["sync"].error == "" and app.vms["sync"].pending_count == 0
    rows = files_table.files_of_visit(app.store.db, visit_id)
    assert len(rows) == 2 and all(r.remote == "uploaded" for r in rows), rows
    yield 0.3
    d.shot(f"evidence_sync_done_{lang}")
    (Path(os.environ["TIANYE_UI_RESULT"])).write_text(visit_id, encoding="utf-8")


def evidence_rest(d: Driver) -> Step:
    """The rest of issue 14 on the phone, by touch: "photos on Wi-Fi only" switched on in the
    settings; another phone's photo opened from its thumbnail (fetched on demand) full screen
    and closed; a new photo saved and synced on a metered network (TIANYE_NETWORK_METERED=1):
    the sync screen and home say the photo waits for Wi-Fi. Screenshots in zh and en."""
    import os
    from pathlib import Path

    from mobile_app.store import files as files_table
    from tests.ui.kivy.layout_checks import assert_screen_sound

    app = d.app
    photo = os.environ["TIANYE_UI_PHOTO"]
    other_sha = os.environ["TIANYE_UI_OTHER_SHA"]
    shot = d.shot

    def checked(name: str) -> Path:
        """Each screenshot after the layout checks (layout_checks.py); the full photo is a
        view over the window, which those checks would call a stale popup."""
        if name != "failure" and "full_photo" not in name:
            assert_screen_sound(d)
        return shot(name)

    d.shot = checked  # type: ignore[method-assign]

    def set_lang(lang: str) -> Step:
        app.vms["settings"].set_language(lang)
        yield 0.5

    yield from sign_in_online(d)
    yield from d.wait(lambda: app.vms["sync"].finished_runs >= 1 and app.vms["grid"].total > 0)
    assert app.vms["sync"].error == "", app.vms["sync"].error

    # 1. the setting, by touch (default off)
    yield from d.tap(d.ids("grid").nav_settings)
    yield from d.wait(lambda: app.sm.current == "settings")
    settings = d.ids("settings")
    assert settings.wifi_only_off.state == "down" and not app.store.session.photos_wifi_only()
    yield from d.press(settings.wifi_only_on)
    yield from d.wait(lambda: app.store.session.photos_wifi_only())
    yield from d.tap(settings.wifi_only_on)  # a second tap keeps it on (a radio, not a toggle)
    assert settings.wifi_only_on.state == "down" and app.store.session.photos_wifi_only()
    d.scroll_to(settings.wifi_only_help)
    yield 0.4
    d.shot("evidence_rest_settings_zh")
    yield from set_lang("en")
    d.shot("evidence_rest_settings_en")
    yield from set_lang("zh")
    app.back()
    yield from d.wait(lambda: app.sm.current == "grid")

    # 2. another phone's visit: the photo is on the server; thumbnail first, then full size
    app.open_household(hid(HOUSEHOLD))
    yield from d.wait(lambda: app.sm.current == "household")
    visits = d.ids("household").visits
    yield from d.wait(lambda: len(visits.children) == 1)
    yield from d.press(visits.children[0])
    yield from d.wait(lambda: app.sm.current == "visit")
    visit = app.vms["visit"]
    visit.go_to_section([s.key for s in visit.form.sections].index("confirmation"))
    yield 0.5
    house = d.field("attachments.house_photo", "visit")
    yield from d.wait(lambda: len(house.items.children) == 1)
    item = house.items.children[0]
    assert item.fetch_button is not None and item.thumb.texture is None
    assert files_table.get_file(app.store.db, other_sha) is None  # nothing fetched by itself
    yield from d.press(item.fetch_button)
    yield from d.wait(lambda: house.items.children[0].thumb.texture is not None)
    item = house.items.children[0]
    assert item.state_label.text == translate("evidence.state.remote_thumb", "zh")
    assert files_table.get_file(app.store.db, other_sha) is None  # still only the thumbnail
    yield 0.3
    d.shot("evidence_rest_remote_thumb_zh")
    screen = d.screen("visit")
    yield from d.tap(item.thumb)
    yield from d.wait(lambda: screen.photo_view is not None, timeout=60)
    view = screen.photo_view
    yield from d.wait(lambda: view.image.texture is not None and view.parent is not None)
    assert view.image.texture.size[0] > 320  # the full photo, not the thumbnail
    row = files_table.get_file(app.store.db, other_sha)
    assert row is not None and (row.local, row.remote) == ("full", "uploaded")
    yield 0.5
    d.shot("evidence_rest_full_photo_zh")
    yield from d.tap(view.close_button)
    yield from d.wait(lambda: screen.photo_view is None and view.parent is None)
    yield from set_lang("en")
    item = house.items.children[0]
    yield from d.tap(item.thumb)  # on this phone now: no fetch
    yield from d.wait(lambda: screen.photo_view is not None)
    yield 0.5
    d.shot("evidence_rest_full_photo_en")
    assert screen.photo_view.close_button.text == "Close"
    app.back()  # Android's back closes the photo first, the visit stays
    yield from d.wait(lambda: screen.photo_view is None)
    assert app.sm.current == "visit"
    yield from set_lang("zh")
    app.back()
    yield from d.wait(lambda: app.sm.current == "household")
    app.back()
    yield from d.wait(lambda: app.sm.current == "grid")

    # 3. a new photo on a metered network: the record goes, the photo waits for Wi-Fi
    app.new_visit(hid(2))
    yield from d.wait(lambda: app.sm.current == "visit")
    visit = app.vms["visit"]
    for part, amount in (("wage", "30000"), ("operating", "0"), ("property", "0")):
        visit.set_value(f"income.{part}", amount)
    for part in ("transfer", "costs"):
        visit.set_value(f"income.{part}", "0")
    visit.set_value("food_ok", True)
    visit.set_value("clothing_ok", True)
    visit.set_value("water.source", "tap")
    visit.set_value("water.quantity_lpd", "60")
    visit.set_value("water.quality_ok", True)
    visit.set_value("water.reliability_pct", "98")
    visit.set_value("house_grade", "c")
    visit.go_to_section([s.key for s in visit.form.sections].index("confirmation"))
    yield 0.5
    yield from tap_chip(d, "visit", "confirmed", translate("common.yes", "zh"))
    house = d.field("attachments.house_photo", "visit")
    # as on a phone where the worker refuses the camera (python-for-android's module faked)
    import sys
    import types

    def refuse(perms: list[str], callback: Any) -> None:
        callback(perms, [False for _ in perms])

    fake = types.ModuleType("android.permissions")
    fake.check_permission = lambda _p: False  # type: ignore[attr-defined]
    fake.request_permissions = refuse  # type: ignore[attr-defined]
    sys.modules["android.permissions"] = fake
    visit.platform = "android"
    visit.set_value("attachments.house_photo", {"camera": True})
    refused = translate("evidence.camera_refused", "zh")
    yield from d.wait(lambda: house.error_label.text == refused)
    visit.platform = "linux"
    del sys.modules["android.permissions"]
    d.scroll_to(house)
    yield 0.4
    d.shot("evidence_rest_camera_refused_zh")
    yield from d.press(house.add_button)
    yield from d.wait(lambda: house.popup is not None and house.popup.parent is not None)
    house.popup.chooser.path = str(Path(photo).parent)
    chooser = house.popup.chooser

    def listed() -> list[Any]:
        return [
            w
            for w in chooser.walk(restrict=True)
            if w is not chooser and getattr(w, "path", "") == photo
        ]

    yield from d.wait(lambda: bool(listed()))
    yield from d.tap(listed()[0])
    yield from d.wait(lambda: chooser.selection == [photo])
    yield from d.tap(house.popup.ok_button)
    yield from d.wait(lambda: len(visit.evidence_items("attachments.house_photo")) == 1)
    assert house.error_label.text == ""  # the photo came from elsewhere: the note is gone
    yield from d.wait(lambda: house.popup.parent is None)  # the chooser has gone
    # the signature pad, scrolled under the Save button, must not take the tap on Save
    d.scroll_to(house)
    yield 0.4
    pad = d.field("attachments.signature", "visit").pad
    save = d.ids("visit").save
    px, py = pad.to_window(pad.x, pad.y)
    sx, sy = save.to_window(*save.center)
    assert px <= sx <= px + pad.width and py <= sy <= py + pad.height, "pad not under Save"
    yield from d.tap(save)
    yield from d.wait(lambda: visit.saved)
    app.back()  # the visit was opened from the list: back to it
    yield from d.wait(lambda: app.sm.current == "grid")
    yield from d.tap(d.ids("grid").nav_sync)
    yield from d.wait(lambda: app.sm.current == "sync")
    sync = app.vms["sync"]
    yield from d.wait(lambda: not sync.running, timeout=120)
    runs = sync.finished_runs
    yield from d.tap(d.ids("sync").sync_now)
    yield from d.wait(lambda: sync.finished_runs > runs, timeout=120)
    assert sync.error == "" and sync.pending_count == 0
    assert re.fullmatch(r"1张照片等待Wi-Fi（\d+KB）", sync.files_text), sync.files_text
    assert d.ids("sync").files.text == sync.files_text
    assert sync.phase_text == translate("sync.done", "zh")
    pending = files_table.pending_uploads(app.store.db)
    assert [f.kind for f in pending] == ["house_photo"]
    yield 0.3
    d.shot("evidence_rest_sync_wifi_zh")
    yield from set_lang("en")
    assert sync.files_text.startswith("Photos waiting for Wi-Fi: 1 ("), sync.files_text
    assert sync.phase_text == "Sync finished"  # the outcome follows the language too
    d.shot("evidence_rest_sync_wifi_en")
    yield from set_lang("zh")
    app.back()
    yield from d.wait(lambda: app.sm.current == "grid")
    yield 0.4
    assert "1张照片等待Wi-Fi" in app.vms["grid"].status_text.splitlines()
    d.shot("evidence_rest_home_wifi_zh")
    yield from set_lang("en")
    assert "Photos waiting for Wi-Fi: 1" in app.vms["grid"].status_text.splitlines()
    d.shot("evidence_rest_home_wifi_en")
    yield from set_lang("zh")


# the household register by touch (issue 16), kept in its own module; the driver finds them here
from tests.ui.kivy.month import month  # noqa: E402,F401  (issue 16's scripted field month)
from tests.ui.kivy.register_scenarios import layout_720_checked, register_by_touch, register_sync  # noqa: E402, F401
