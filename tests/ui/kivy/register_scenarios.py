"""The household register by touch (issue 16), as driver scenarios (see driver.py): register a
household from the grid's button, edit a household, split members off, move a member, mark a
household merged; against a real server, split and sync. Imported into scenarios.py (the
driver looks scenarios up there).

Stable widgets for scripts that drive these screens (e.g. a whole field month):
- grid screen: `ids.register_household` (登记新农户; one grid: the form opens in it, several:
  a `ChoiceDialog` asks, `screen.dialog.buttons[grid_id]`), `ids.f_left` (the filter showing
  households that moved away or merged: they are off the list otherwise).
- household screen: `ids.edit_household` (the household form), `ids.register_actions` (the
  register screen), `ids.registration` ("registered on this phone" / "new from the field"),
  `ids.standing` (moved away / merged into …).
- household form: `ids.save`, the header's Back asks about unsaved edits like the member form
  (`screen.dialog.buttons["save" | "discard" | "stay"]`).
- register screen (`mobile_app/screens/register/`): tabs `ids.tab_split`, `ids.tab_move`,
  `ids.tab_mark`; split: `screen.member_boxes[member_id]` (tick boxes),
  `screen.head_chips[member_id]` (new head), `ids.split_confirm`, `ids.split_error`,
  `ids.open_new_household`; move: `screen.move_choices[member_id]`, `ids.move_search`,
  `screen.target_buttons[household_id]`, `ids.move_relation` (a picker), `ids.move_confirm`,
  `ids.move_error`; mark:
  `ids.mark_active`, `ids.mark_moved_away`, `ids.mark_merged`, `ids.merge_search`,
  `screen.target_buttons[household_id]`, `ids.mark_confirm` (then
  `screen.dialog.buttons["mark"]`), `ids.mark_error`; `ids.message`; Back with choices not
  confirmed asks (`screen.dialog.buttons["discard" | "stay"]`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared_schema.enums import ENUMS
from tests.ui.kivy.driver import Driver, Step
from tests.ui.kivy.family import DAUGHTER_IN_LAW, FATHER, HOUSEHOLD, NAMES, SON, SPOUSE
from tests.ui.kivy.layout_checks import assert_screen_sound
from tests.ui.kivy.scenarios import PIN, fill, layout_720, pick, sign_in_offline, sign_in_online
from tests.ui.kivy.seed import hid, mid

HEAD = mid(HOUSEHOLD, 1)
MERGED, MERGED_INTO = hid(2), hid(3)  # pulled households "5226010000002" and "…0003"


def press(d: Driver, widget: Any) -> Step:
    """Scroll a widget into its ScrollView's view (again, until it is there: a list that just
    changed settles over a few frames), then tap it."""
    from kivy.uix.scrollview import ScrollView

    view = widget.parent
    while view is not None and not isinstance(view, ScrollView) and view.parent is not view:
        view = view.parent

    def in_view() -> bool:
        if not isinstance(view, ScrollView):
            return True
        x, y = widget.to_window(*widget.center)
        vx, vy = view.to_window(view.x, view.y)
        return vx <= x <= vx + view.width and vy <= y <= vy + view.height

    yield from d.settle()
    for _ in range(10):  # scrolled only when needed: a view with room to spare stays put
        if in_view():
            break
        d.scroll_to(widget)
        yield 0.3
        yield from d.settle()
    yield from d.tap(widget)


def tap_back(d: Driver) -> Step:
    """Tap the Back button in the current screen's header."""
    from kivy.uix.button import Button

    from mobile_app.widgets.common import Header

    [header] = [w for w in d.screen().walk(restrict=True) if isinstance(w, Header)]
    [back] = [w for w in header.children if isinstance(w, Button)]
    yield from d.tap(back)


def answer(d: Driver, key: str) -> Step:
    """Wait for the current screen's question and tap `key`."""
    screen = d.screen()
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.4
    yield from d.tap(screen.dialog.buttons[key])
    yield from d.wait(lambda: screen.dialog is None)
    yield 0.2


def open_row(d: Driver, household_id: str, search: str) -> Step:
    """Find a household on the grid by its number and open it with a tap on its row."""
    app = d.app
    if app.sm.current != "grid":
        app.show("grid", reset=True)
    grid = d.ids("grid")
    d.type(grid.search, search)
    yield from d.wait(lambda: [r["key"] for r in app.vms["grid"].rows] == [household_id])
    yield 0.3
    rows = [w for w in grid.rv.children[0].children if getattr(w, "key", "") == household_id]
    assert rows, "the household row is not shown"
    yield from d.tap(rows[0])
    yield from d.wait(lambda: app.sm.current == "household")
    d.type(grid.search, "")


def heads(store: Any, household_id: str) -> list[str]:
    return [m.id for m in store.members.for_household(household_id) if m.data["relation"] == "head"]


def pending(store: Any) -> set[tuple[str, str]]:
    return {(e.entity, e.record_id) for e in store.outbox.pending()}


# -- offline, by touch ------------------------------------------------------------------------
def register_by_touch(d: Driver) -> Step:
    """Issue 16 on the phone: register a household from the grid's button, edit a household's
    phone (Back asks, Save keeps it), split two members off into a new household, move a member
    there, leave with a choice made (asked), mark another household merged; then the screens
    in English."""
    app = d.app
    yield 0.5
    yield from sign_in_offline(d, PIN)
    yield from register_from_grid(d)
    yield from edit_household_phone(d)
    new_id = yield from split_by_touch(d)
    yield from move_by_touch(d, new_id)
    yield from leave_with_choices(d)
    yield from change_head_by_touch(d)
    yield from mark_merged_by_touch(d)
    app.show("settings")
    yield 0.3
    yield from d.tap(d.ids("settings").lang_en)
    yield from d.wait(lambda: app.lang == "en")
    yield from register_in_english(d)


def register_from_grid(d: Driver) -> Step:
    app = d.app
    grid = d.ids("grid")
    yield from d.settle()
    assert grid.register_household.text == "+ 登记新农户"
    d.shot("register_grid_button_zh")
    yield from d.tap(grid.register_household)  # the session's one grid: straight to the form
    yield from d.wait(lambda: app.sm.current == "household_form")
    form = app.vms["household_form"]
    number = form.values["household_no"]
    assert number == "g-001-P001", number
    yield from fill(d, "household_form", "head_name", "赵新户")
    yield from fill(d, "household_form", "address", "南花村 7 组 3 号")
    keys = [s.key for s in form.form.sections]
    form.go_to_section(keys.index("classification"))
    yield 0.4
    household_type = ENUMS["household_type"].label("ordinary", "zh")
    yield from pick(d, d.field("household_type", "household_form").input, household_type)
    form.go_to_section(keys.index("housing"))
    yield 0.4
    house_grade = ENUMS["house_grade"].label("b", "zh")
    yield from pick(d, d.field("house_grade", "household_form").input, house_grade)
    yield from d.tap(d.ids("household_form").save)
    yield from d.wait(lambda: app.sm.current == "grid")
    saved = app.store.households.get(form.record_id)
    assert saved is not None and saved.data["household_no"] == number, form.errors
    assert saved.data["grid_id"] == "g-001" and saved.version is None
    assert ("household", form.record_id) in pending(app.store)
    # on the list, marked new until a supervisor confirms it
    d.type(grid.search, number)
    yield from d.wait(lambda: len(app.vms["grid"].rows) == 1)
    row = app.vms["grid"].rows[0]
    assert row["key"] == form.record_id and "新登记" in row["badges"], row
    yield 0.4
    d.shot("register_grid_new_zh")
    d.type(grid.search, "")
    yield 0.3


def edit_household_phone(d: Driver) -> Step:
    app = d.app
    yield from open_row(d, hid(HOUSEHOLD), "5226010010001")
    yield from press(d, d.ids("household").edit_household)
    yield from d.wait(lambda: app.sm.current == "household_form")
    form = app.vms["household_form"]
    assert form.record_id == hid(HOUSEHOLD) and form.title == "编辑农户信息"
    yield from fill(d, "household_form", "phone", "13800138000")
    yield from tap_back(d)  # unsaved: asks save / discard / keep editing
    screen = d.screen("household_form")
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.4
    d.shot("register_edit_unsaved_zh")
    yield from answer(d, "save")
    yield from d.wait(lambda: app.sm.current == "household")
    stored = app.store.households.get(hid(HOUSEHOLD))
    assert stored.data["phone"] == "13800138000"
    assert ("household", hid(HOUSEHOLD)) in pending(app.store)


def split_by_touch(d: Driver) -> Any:
    """The son and his wife split off, the son the new head. Returns the new household's id."""
    app = d.app
    store = app.store
    assert app.sm.current == "household" and app.vms["household"].household_id == hid(HOUSEHOLD)
    yield from press(d, d.ids("household").register_actions)
    yield from d.wait(lambda: app.sm.current == "register")
    vm, screen, ids = app.vms["register"], d.screen("register"), d.ids("register")
    assert vm.mode == "split" and set(screen.member_boxes) == {HEAD, *NAMES}
    yield from press(d, screen.member_boxes[SON])
    yield from press(d, screen.member_boxes[DAUGHTER_IN_LAW])
    assert vm.moving == [SON, DAUGHTER_IN_LAW] and screen.member_boxes[SON].active
    # no head chosen: the message is next to the button, nothing is saved
    before = store.households.count()
    yield from press(d, ids.split_confirm)
    yield from d.wait(lambda: ids.split_error.text == "请指定新户主")
    assert store.households.count() == before
    yield 0.3
    d.scroll_to(ids.split_error)
    yield 0.3
    d.shot("register_split_no_head_zh")
    yield from press(d, screen.head_chips[SON])
    assert vm.new_head == SON and ids.split_error.text == ""
    yield 0.3
    d.shot("register_split_chosen_zh")
    yield from press(d, ids.split_confirm)
    yield from d.wait(lambda: bool(vm.new_household_id))
    new_id = vm.new_household_id
    new = store.households.get(new_id)
    assert new is not None and new.data["household_no"] == "g-001-P002", new
    assert new.data["grid_id"] == "g-001" and new.data["head_name"] == NAMES[SON]
    moved = {m.id: m.data for m in store.members.for_household(new_id)}
    assert set(moved) == {SON, DAUGHTER_IN_LAW}
    # re-related to the new head: his wife (the old head's daughter-in-law) is his spouse
    assert moved[SON]["relation"] == "head" and moved[DAUGHTER_IN_LAW]["relation"] == "spouse"
    left = {m.id for m in store.members.for_household(hid(HOUSEHOLD))}
    assert left == {HEAD, SPOUSE, FATHER}
    assert heads(store, new_id) == [SON] and heads(store, hid(HOUSEHOLD)) == [HEAD]
    assert {("household", new_id), ("member", SON), ("member", DAUGHTER_IN_LAW)} <= pending(store)
    assert "g-001-P002" in ids.message.text and ids.open_new_household.opacity == 1
    assert set(screen.member_boxes) == {HEAD, SPOUSE, FATHER}
    yield 0.4
    d.shot("register_split_done_zh")
    yield from press(d, ids.open_new_household)
    yield from d.wait(lambda: app.sm.current == "household")
    household = d.ids("household")
    yield from d.wait(lambda: household.registration.text == "本机新登记，尚未上传")
    assert {m["member_id"] for m in app.vms["household"].members} == {SON, DAUGHTER_IN_LAW}
    yield 0.4
    d.shot("register_new_household_zh")
    yield from tap_back(d)
    yield from d.wait(lambda: app.sm.current == "register")
    return new_id


def move_by_touch(d: Driver, new_id: str) -> Step:
    """The father goes with his son: the move tab, the member, the search, the household."""
    app = d.app
    vm, screen, ids = app.vms["register"], d.screen("register"), d.ids("register")
    yield from d.tap(ids.tab_move)
    yield from d.wait(lambda: vm.mode == "move" and ids.move_panel.parent is not None)
    # without a member: said next to the button
    yield from press(d, ids.move_confirm)
    yield from d.wait(lambda: ids.move_error.text == "请选择要移户的成员")
    yield from press(d, screen.move_choices[FATHER])
    assert vm.move_member_id == FATHER and screen.move_choices[FATHER].chosen
    d.scroll_to(ids.move_search)
    yield 0.3
    d.type(ids.move_search, "P002")
    yield from d.wait(lambda: list(screen.target_buttons) == [new_id])
    yield from press(d, screen.target_buttons[new_id])
    assert vm.move_target == new_id and ids.move_chosen.text.startswith("已选：g-001-P002")
    # the relation to the head there is asked, next to the button, then picked
    yield from press(d, ids.move_confirm)
    yield from d.wait(lambda: ids.move_error.text == "请选择其在新户中与户主的关系")
    assert app.store.members.get(FATHER).data["household_id"] != new_id
    d.scroll_to(ids.move_relation)
    yield 0.3
    yield from pick(d, ids.move_relation, "祖父母或外祖父母")  # the son's grandfather
    assert vm.move_relation == "grandparent" and ids.move_error.text == ""
    yield 0.3
    d.shot("register_move_chosen_zh")
    yield from press(d, ids.move_confirm)
    yield from d.wait(lambda: app.store.members.get(FATHER).data["household_id"] == new_id)
    assert app.store.members.get(FATHER).data["relation"] == "grandparent"
    assert ("member", FATHER) in pending(app.store)
    assert ids.message.text == "成员已移户（待同步）" and ids.move_search.text == ""
    assert set(screen.move_choices) == {HEAD, SPOUSE}
    yield 0.3
    d.shot("register_moved_zh")


def leave_with_choices(d: Driver) -> Step:
    """A member chosen and not moved: Back asks; keep choosing, then the Android back key,
    discard."""
    app = d.app
    vm, screen = app.vms["register"], d.screen("register")
    yield from press(d, screen.move_choices[SPOUSE])
    assert vm.move_member_id == SPOUSE and vm.has_unsaved_choices()
    yield from tap_back(d)
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.4
    d.shot("register_unsaved_zh")
    yield from answer(d, "stay")
    assert app.sm.current == "register" and vm.move_member_id == SPOUSE
    app._on_key(None, 27)  # the Android back key asks the same
    yield from answer(d, "discard")
    yield from d.wait(lambda: app.sm.current == "household")
    assert app.vms["household"].household_id == hid(HOUSEHOLD)  # not the one split off
    assert app.store.members.get(SPOUSE).data["household_id"] == hid(HOUSEHOLD)
    app.show("grid", reset=True)
    yield 0.3


def change_head_by_touch(d: Driver) -> Step:
    """The head died: his wife becomes the head (the change of head tab shows who becomes
    what, then both are re-related and the household's head name follows); then his death is
    recorded on the member form, which the household's composition had refused."""
    app = d.app
    yield from open_row(d, hid(HOUSEHOLD), "5226010010001")
    yield from press(d, d.ids("household").register_actions)
    yield from d.wait(lambda: app.sm.current == "register")
    vm, screen, ids = app.vms["register"], d.screen("register"), d.ids("register")
    yield from d.tap(ids.tab_head)
    yield from d.wait(lambda: vm.mode == "head" and ids.head_panel.parent is not None)
    assert set(screen.head_choices) == {SPOUSE}  # living here, not the head
    yield from press(d, ids.head_confirm)
    yield from d.wait(lambda: ids.head_error.text == "请选择新户主")
    yield from press(d, screen.head_choices[SPOUSE])
    head, wife = app.store.members.get(HEAD).data["name"], NAMES[SPOUSE]
    preview = f"{head}：由户主改为配偶\n{wife}：由配偶改为户主"
    yield from d.wait(lambda: ids.head_preview.text == preview)
    assert screen.head_choices[SPOUSE].chosen and ids.head_error.text == ""
    yield 0.3
    d.shot("register_head_chosen_zh")
    yield from press(d, ids.head_confirm)
    yield from d.wait(lambda: app.store.members.get(SPOUSE).data["relation"] == "head")
    assert app.store.members.get(HEAD).data["relation"] == "spouse"
    assert app.store.households.get(hid(HOUSEHOLD)).data["head_name"] == wife
    assert ids.message.text == f"户主已更换为{wife}（待同步）" and ids.head_preview.text == ""
    assert ("member", SPOUSE) in pending(app.store)
    yield 0.3
    d.shot("register_head_changed_zh")
    yield from tap_back(d)
    yield from d.wait(lambda: app.sm.current == "household")
    yield from d.wait(lambda: app.vms["household"].head_name == wife)  # the page follows
    app.show("grid", reset=True)
    yield 0.3


def mark_merged_by_touch(d: Driver) -> Step:
    """Household 2 joined household 3: asked first, then off the list (the "left" filter
    shows it), and its page says where it went."""
    app = d.app
    yield from open_row(d, MERGED, "5226010000002")
    yield from press(d, d.ids("household").register_actions)
    yield from d.wait(lambda: app.sm.current == "register")
    vm, screen, ids = app.vms["register"], d.screen("register"), d.ids("register")
    yield from d.tap(ids.tab_mark)
    yield from d.wait(lambda: vm.mode == "mark" and ids.mark_panel.parent is not None)
    assert ids.merge_box.parent is None  # the picker shows for "merged" only
    yield from press(d, ids.mark_merged)
    yield from d.wait(lambda: ids.merge_box.parent is not None)
    yield from press(d, ids.mark_confirm)  # merged into which? said next to the button
    yield from d.wait(lambda: ids.mark_error.text == "请选择并入的农户")
    d.scroll_to(ids.merge_search)
    yield 0.3
    d.type(ids.merge_search, "5226010000003")
    yield from d.wait(lambda: list(screen.target_buttons) == [MERGED_INTO])
    yield from press(d, screen.target_buttons[MERGED_INTO])
    assert vm.merge_target == MERGED_INTO and ids.mark_error.text == ""
    yield from press(d, ids.mark_confirm)
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.4
    d.shot("register_mark_ask_zh")
    yield from answer(d, "mark")
    stored = app.store.households.get(MERGED).data
    assert (stored["status"], stored["merged_into"]) == ("merged", MERGED_INTO)
    assert ("household", MERGED) in pending(app.store)
    assert ids.message.text == "已标记为“已合并”（待同步）"
    yield 0.3
    d.shot("register_marked_zh")
    yield from tap_back(d)
    yield from d.wait(lambda: app.sm.current == "household")
    household = d.ids("household")
    target = app.store.households.get(MERGED_INTO).data
    expected = f"已合并到 {target['household_no']} {target['head_name']}"
    yield from d.wait(lambda: household.standing.text == expected)
    yield 0.3
    d.shot("register_household_merged_zh")
    yield from tap_back(d)
    yield from d.wait(lambda: app.sm.current == "grid")
    grid, grid_vm = d.ids("grid"), app.vms["grid"]
    d.type(grid.search, "5226010000002")
    yield from d.wait(lambda: grid_vm.total == 0)  # off the list
    yield from press(d, grid.f_left)
    yield from d.wait(lambda: [r["key"] for r in grid_vm.rows] == [MERGED])
    assert grid_vm.rows[0]["status"] == "已合并"
    yield 0.3
    d.shot("register_grid_left_zh")
    yield from press(d, grid.f_left)
    d.type(grid.search, "")
    yield 0.3


def register_in_english(d: Driver) -> Step:
    """The register screen's panels in English (the longer words), with choices made."""
    app = d.app
    yield from open_row(d, hid(HOUSEHOLD), "5226010010001")
    yield 0.3
    d.shot("register_household_en")
    yield from press(d, d.ids("household").register_actions)
    yield from d.wait(lambda: app.sm.current == "register")
    screen, ids = d.screen("register"), d.ids("register")
    yield from press(d, screen.member_boxes[SPOUSE])
    yield from press(d, screen.head_chips[SPOUSE])
    yield 0.3
    d.shot("register_split_en")
    yield from d.tap(ids.tab_head)
    yield from press(d, screen.head_choices[HEAD])  # the late head's widow chose him back
    yield 0.3
    d.shot("register_head_en")
    yield from d.tap(ids.tab_mark)
    yield from press(d, ids.mark_moved_away)
    yield 0.3
    d.shot("register_mark_en")
    yield from press(d, ids.mark_confirm)
    yield from d.wait(lambda: screen.dialog is not None and screen.dialog.parent is not None)
    yield 0.4
    d.shot("register_mark_ask_en")
    yield from answer(d, "stay")
    assert app.store.households.get(hid(HOUSEHOLD)).data.get("status") in (None, "active")


# -- against a real server -----------------------------------------------------------------
def register_sync(d: Driver) -> Step:
    """Sign in online, split the son and his wife off by touch, sync: the result file names the
    new household for the test to find on the server."""
    app = d.app
    yield from sign_in_online(d)
    sync = app.vms["sync"]
    yield from d.wait(lambda: sync.finished_runs >= 1 and not sync.running, 90)
    assert sync.error == "", sync.error
    assert len(app.store.members.for_household(hid(HOUSEHOLD))) == 5
    yield from open_row(d, hid(HOUSEHOLD), "5226010010001")
    yield from press(d, d.ids("household").register_actions)
    yield from d.wait(lambda: app.sm.current == "register")
    vm, screen, reg = app.vms["register"], d.screen("register"), d.ids("register")
    yield from press(d, screen.member_boxes[SON])
    yield from press(d, screen.member_boxes[DAUGHTER_IN_LAW])
    yield from press(d, screen.head_chips[SON])
    yield from press(d, reg.split_confirm)
    yield from d.wait(lambda: bool(vm.new_household_id))
    new_id = vm.new_household_id
    app.show("grid", reset=True)
    yield 0.3
    yield from d.tap(d.ids("grid").nav_sync)
    yield from d.wait(lambda: app.sm.current == "sync")
    yield from d.wait(lambda: not sync.running, 90)  # an automatic sync may be under way
    runs = sync.finished_runs
    if sync.pending_count:
        yield from d.tap(d.ids("sync").sync_now)
        yield from d.wait(lambda: sync.finished_runs > runs, 90)
    yield from d.wait(lambda: app.store.outbox.count() == 0 and not sync.running, 90)
    assert sync.error == "", sync.error
    yield 0.4
    d.shot("register_sync_done_zh")
    # the pull brought the server's word: new from the field, awaiting a supervisor
    app.open_household(new_id)
    household = d.ids("household")
    yield from d.wait(lambda: household.registration.text == "新登记，待乡镇审核确认")
    yield 0.4
    d.shot("register_synced_household_zh")
    result = {"new_household": new_id, "moved": [SON, DAUGHTER_IN_LAW], "head": SON}
    Path(os.environ["TIANYE_UI_RESULT"]).write_text(json.dumps(result), encoding="utf-8")


# -- the 720-px layout ---------------------------------------------------------------------
def layout_720_checked(d: Driver) -> Step:
    """`scenarios.layout_720` with the layout checks (layout_checks.py) before each of its
    screenshots, then the register's screens in English and Chinese, checked the same way."""
    shot: Callable[[str], Path] = d.shot

    def checked(name: str) -> Path:
        if name != "failure":  # the driver's shot of a failed step shows what went wrong
            assert_screen_sound(d)
        return shot(name)

    d.shot = checked  # type: ignore[method-assign]
    yield from layout_720(d)
    app = d.app
    for lang in ("en", "zh"):
        app.lang = lang
        yield 0.5
        app.show("grid", reset=True)
        yield 0.5
        grid = d.ids("grid")
        assert grid.register_household.get_root_window() is not None
        app.open_household(hid(HOUSEHOLD))
        yield 0.5
        household = d.ids("household")
        d.scroll_to(household.register_actions)
        yield 0.4
        d.shot(f"layout720_household_actions_{lang}")
        app.open_register(hid(HOUSEHOLD))
        vm = app.vms["register"]
        for member in list(vm.members)[1:3]:
            vm.toggle_moving(member["id"])
        vm.choose_head(vm.members[1]["id"])
        yield 0.6
        d.shot(f"layout720_register_split_{lang}")
        vm.set_mode("move")
        vm.choose_move_member(vm.members[1]["id"])
        vm.choose_move_relation("grandparent")
        yield 0.6
        screen = d.screen("register")
        d.scroll_to(d.ids("register").move_confirm)
        yield 0.4
        assert len(screen.target_buttons) == 8  # 29 others: eight shown, the search finds more
        d.shot(f"layout720_register_move_{lang}")
        vm.set_mode("head")
        vm.choose_new_head(vm.head_candidates[0]["id"])
        yield 0.6
        d.scroll_to(d.ids("register").head_confirm)
        yield 0.4
        d.shot(f"layout720_register_head_{lang}")
        vm.set_mode("mark")
        vm.choose_status("merged")
        yield 0.6
        d.shot(f"layout720_register_mark_{lang}")
        vm.clear_choices()
        app.edit_household(hid(HOUSEHOLD))
        yield 0.6
        d.shot(f"layout720_household_form_{lang}")
        app.show("grid", reset=True)
        yield 0.3
    d.shot = shot  # type: ignore[method-assign]
