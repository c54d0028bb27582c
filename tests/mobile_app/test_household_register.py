"""The household register on the phone (issue 16), at view-model level: plain pytest, a real
SQLite store, no window. Register with a provisional number, edit from the shared form, split,
move a member, mark moved away / merged — each a pending mutation pushed as usual."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

from datetime import date

import pytest

from mobile_app.store import Store
from mobile_app.viewmodels.household_register import (
    HouseholdFormViewModel,
    HouseholdRegisterViewModel,
)
from shared_schema.register import provisional_number, split_members
from shared_schema.schemas.examples import example_member
from tests.ui.kivy.seed import NOW, hid, id_number, mid, seed_household


def clock():
    return NOW


def sync_calls(fn):
    fn()


SYNC = {"now": clock, "spawn": sync_calls, "post": sync_calls}


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "phone.sqlite3") as s:
        yield s


def _add_child(store: Store, n: int) -> str:
    birth = date(2000, 3, 4)
    child = mid(n, 3)
    store.records.save(
        "member",
        child,
        example_member(
            household_id=hid(n),
            name="王小军",
            relation="child",
            birth_date=birth.isoformat(),
            id_number=id_number(n, 3, birth, "male"),
        ),
        now=NOW,
        hlc_node=store.session.client_id(),
    )
    return child


def _pending(store: Store) -> list[tuple[str, str]]:
    return [(e.entity, e.record_id) for e in store.outbox.pending()]


# -- pure rules -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("grid", "taken", "expected"),
    [
        ("g-001", [], "g-001-P001"),
        ("g-001", ["g-001-P001", "0001"], "g-001-P002"),
        ("g-001", ["g-001-P007"], "g-001-P008"),  # after the highest, never a gap reused
        ("g-001", ["g-002-P001"], "g-001-P001"),
        ("g" * 64, [], "g" * 27 + "-P001"),  # fits household_no's 32 characters
    ],
)
def test_provisional_numbers(grid, taken, expected):
    assert provisional_number(grid, taken) == expected
    assert len(expected) <= 32


def test_split_rules_refuse_a_head_that_does_not_move():
    members = [{"id": "a", "relation": "head"}, {"id": "b", "relation": "child"}]
    assert split_members(members, ["b"], "b") == {"b": {"relation": "head"}}
    with pytest.raises(ValueError):
        split_members(members, ["b"], "a")
    with pytest.raises(ValueError):
        split_members(members, [], "a")
    with pytest.raises(ValueError):
        split_members(members, ["z"], "z")


# -- register a household -------------------------------------------------------------------
def test_register_a_household_with_a_provisional_number(store):
    seed_household(store, 1)
    vm = HouseholdFormViewModel(store, **SYNC)
    vm.open_new("g-001")
    assert vm.values["household_no"] == "g-001-P001"
    assert vm.save() is False and "head_name" in vm.errors  # the form's required fields
    for path, raw in {
        "head_name": "李四",
        "address": "南花村 2 组 8 号",
        "household_type": "ordinary",
        "house_grade": "b",
    }.items():
        vm.set_value(path, raw)
    assert vm.save(), vm.errors
    saved = store.households.get(vm.record_id)
    assert saved is not None and saved.data["household_no"] == "g-001-P001"
    assert ("household", vm.record_id) in _pending(store)
    # the next one takes the next number
    again = HouseholdFormViewModel(store, **SYNC)
    again.open_new("g-001")
    assert again.values["household_no"] == "g-001-P002"


def test_edit_keeps_fields_the_form_does_not_show(store):
    h = seed_household(store, 1)
    register = HouseholdRegisterViewModel(store, **SYNC)
    seed_household(store, 2)
    register.load(h)
    assert register.mark("merged", hid(2)), register.error
    vm = HouseholdFormViewModel(store, **SYNC)
    vm.open_existing(h)
    vm.set_value("phone", "13912345678")
    assert vm.save(), vm.errors
    data = store.households.get(h).data
    assert data["phone"] == "13912345678"
    assert (data["status"], data["merged_into"]) == ("merged", hid(2))


# -- split, move, mark -------------------------------------------------------------------------
def test_split_is_one_action_with_the_new_head(store):
    h = seed_household(store, 1)
    child = _add_child(store, 1)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.load(h)
    assert [m["id"] for m in vm.members] == [mid(1, 1), mid(1, 2), child] or len(vm.members) == 3
    new = vm.split([child], child)
    assert new is not None, vm.error
    split_off = store.households.get(new)
    assert split_off.data["household_no"] == "g-001-P001"
    assert split_off.data["head_name"] == "王小军" and split_off.data["grid_id"] == "g-001"
    moved = store.members.get(child)
    assert moved.data["household_id"] == new and moved.data["relation"] == "head"
    assert {m.id for m in store.members.for_household(h)} == {mid(1, 1), mid(1, 2)}
    assert ("household", new) in _pending(store) and ("member", child) in _pending(store)
    assert "g-001-P001" in vm.message


def test_a_refused_split_changes_nothing(store):
    h = seed_household(store, 1)
    child = _add_child(store, 1)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.load(h)
    before = store.households.count()
    assert vm.split([child], mid(1, 1)) is None and vm.error  # the head does not move
    assert vm.split([], child) is None
    assert store.households.count() == before
    assert store.members.get(child).data["household_id"] == h


def test_move_a_member_and_mark_moved_away(store):
    h = seed_household(store, 1)
    other = seed_household(store, 2)
    child = _add_child(store, 1)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.load(h)
    assert [o["id"] for o in vm.others] == [other]
    assert vm.move_member(child, other), vm.error
    assert store.members.get(child).data["household_id"] == other
    assert vm.move_member(mid(1, 2), h) is False and vm.error  # not another household
    # joining as head or as a second spouse is refused, and nothing changes
    spouse = mid(1, 2)
    assert vm.move_member(spouse, other, "head") is False and "户主" in vm.error
    assert vm.move_member(spouse, other, "spouse") is False and vm.error
    assert store.members.get(spouse).data["household_id"] == h
    assert vm.mark("merged") is False  # merged needs the household it joined
    assert vm.mark("moved_away"), vm.error
    assert store.households.get(h).data["status"] == "moved_away"
    assert vm.status == "moved_away" and vm.status_text


def test_labels_in_both_languages(store):
    h = seed_household(store, 1)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.load(h)
    zh = [s["text"] for s in vm.statuses]
    vm.lang = "en"
    en = [s["text"] for s in vm.statuses]
    assert zh == ["在册", "已迁出", "已合并"]
    assert en == ["On the register", "Moved away", "Merged into another household"]


# -- the register screen's choices (issue 16: the UI over these view-models) ------------------
def test_split_choices_need_a_head_and_are_cleared_when_done(store):
    h = seed_household(store, 1)
    child = _add_child(store, 1)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.open(h)
    assert not vm.has_unsaved_choices()
    vm.toggle_moving(child)
    assert vm.moving == [child] and vm.has_unsaved_choices()
    assert vm.confirm_split() is None
    assert (vm.error_on, vm.error) == ("split", "请指定新户主")
    vm.choose_head(child)
    assert vm.error == ""  # a new choice takes the error away
    new = vm.confirm_split()
    assert new is not None and vm.new_household_id == new
    assert vm.new_household_no == "g-001-P001" and "g-001-P001" in vm.message
    assert not vm.has_unsaved_choices() and vm.moving == []
    assert {m["id"] for m in vm.members} == {mid(1, 1), mid(1, 2)}


def test_choosing_the_head_ticks_and_unticking_drops_it(store):
    h = seed_household(store, 1)
    child = _add_child(store, 1)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.open(h)
    vm.choose_head(child)
    assert vm.moving == [child] and vm.new_head == child
    vm.toggle_moving(child)
    assert vm.moving == [] and vm.new_head == ""
    vm.toggle_moving("not-a-member")
    assert vm.moving == []


def test_move_choices_and_the_target_search(store):
    h = seed_household(store, 1)
    others = [seed_household(store, n) for n in range(2, 13)]  # 11 other households
    child = _add_child(store, 1)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.open(h)
    vm.set_mode("move")
    assert len(vm.target_rows) == 8 and vm.target_note == "共 11 户，输入户编号或户主姓名查找"
    vm.set_target_search("0010012")
    assert [r["id"] for r in vm.target_rows] == [others[-1]] and vm.target_note == ""
    vm.set_target_search("nothing")
    assert vm.target_rows == [] and vm.target_note == "没有找到农户"
    assert vm.confirm_move() is False and vm.error_on == "move"
    assert vm.error == "请选择要移户的成员"
    vm.choose_move_member(child)
    assert vm.confirm_move() is False and vm.error == "请选择本网格内的另一户"
    vm.choose_target(others[0])
    assert vm.error == "" and vm.target_text(others[0]).startswith("5226010010002")
    # a relation to the old head means nothing in the household joined: the worker says it
    assert vm.confirm_move() is False and vm.error == "请选择其在新户中与户主的关系"
    assert "head" not in {r["code"] for r in vm.relations}
    vm.choose_move_relation_text("请选择")  # the picker's prompt changes nothing
    assert vm.move_relation == "" and vm.error  # ... and the error stays
    vm.choose_move_relation_text("儿媳或女婿")
    assert vm.move_relation == "child_in_law" and vm.error == ""
    assert vm.confirm_move(), vm.error
    moved = store.members.get(child).data
    assert (moved["household_id"], moved["relation"]) == (others[0], "child_in_law")
    assert vm.move_relation == ""
    assert not vm.has_unsaved_choices() and vm.target_search == ""


def test_mark_asks_first_and_targets_are_households_on_the_register(store):
    h = seed_household(store, 1)
    two, three = seed_household(store, 2), seed_household(store, 3)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.open(h)
    vm.set_mode("mark")
    assert vm.confirm_mark() is False and vm.error == "状态没有变化"
    vm.choose_status("merged")
    assert vm.mark_needs_confirm() and vm.has_unsaved_choices()
    assert vm.confirm_mark() is False and vm.error_on == "mark"
    vm.choose_target(two)
    assert vm.mark_status == "merged" and vm.merge_target == two
    assert vm.confirm_mark(), vm.error
    assert store.households.get(h).data["merged_into"] == two
    assert vm.status == "merged" and not vm.has_unsaved_choices()
    # a household that left the register is no target for another one
    other = HouseholdRegisterViewModel(store, **SYNC)
    other.open(three)
    assert [o["id"] for o in other.others] == [two]
    other.choose_status("moved_away")
    assert other.mark_needs_confirm()
    other.choose_status("active")
    assert not other.mark_needs_confirm() and not other.has_unsaved_choices()


def test_leaving_the_household_form_asks_like_the_member_form(store):
    h = seed_household(store, 1)
    vm = HouseholdFormViewModel(store, **SYNC)
    vm.open_existing(h)
    assert not vm.has_unsaved_changes()
    vm.set_value("phone", "13900001111")
    assert vm.has_unsaved_changes()
    assert vm.leave("stay") is False and vm.has_unsaved_changes()
    assert vm.leave("discard") is True and not vm.has_unsaved_changes()
    assert store.households.get(h).data.get("phone") != "13900001111"
    vm.set_value("phone", "13900001111")
    assert vm.leave("save") is True
    assert store.households.get(h).data["phone"] == "13900001111"
    with pytest.raises(ValueError):
        vm.leave("maybe")


# -- the list and the household page ------------------------------------------------------------
def test_the_list_leaves_out_households_that_left_and_marks_new_ones(store):
    from mobile_app.viewmodels.grid import GridViewModel
    from mobile_app.viewmodels.household import HouseholdViewModel
    from tests.ui.kivy.seed import pulled_page, server_household

    h = seed_household(store, 1)  # made on this phone: never on the server
    pulled_page(store, server_household(2, 10), 12)  # from the server, confirmed
    pulled = server_household(3, 20)
    pulled[0]["data"] = pulled[0]["data"] | {"registration": "field_new"}
    pulled_page(store, pulled, 22)
    grid = GridViewModel(store, **SYNC)
    grid.refresh()
    new = {r["key"]: "新登记" in r["badges"] for r in grid.rows}
    assert new == {h: True, hid(2): False, hid(3): True}
    page = HouseholdViewModel(store, **SYNC)
    page.load(h)
    assert page.registration_text == "本机新登记，尚未上传" and page.standing_text == ""
    page.load(hid(3))
    assert page.registration_text == "新登记，待乡镇审核确认"
    page.load(hid(2))
    assert page.registration_text == ""

    register = HouseholdRegisterViewModel(store, **SYNC)
    register.open(h)
    assert register.mark("merged", hid(2)), register.error
    grid.refresh()
    assert h not in {r["key"] for r in grid.rows} and grid.total == 2
    grid.toggle_filter("left")
    assert [r["key"] for r in grid.rows] == [h] and grid.rows[0]["status"] == "已合并"
    page.load(h)
    assert page.standing_text.startswith("已合并到 52260100100")


def test_register_grids_come_from_the_session_or_the_households(store):
    from mobile_app.viewmodels.grid import GridViewModel

    grid = GridViewModel(store, **SYNC)
    assert grid.register_grids() == []
    seed_household(store, 1)
    assert grid.register_grids() == [{"id": "g-001", "text": "g-001"}]
    store.session.save_login(
        server_url="http://127.0.0.1:9",
        user={"id": "u1", "username": "wang", "role": "worker"},
        token="t",
        grids=[
            {"id": "g-001", "name": "一组", "village": "南花村", "township": "t1"},
            {"id": "g-002", "name": "二组", "village": "南花村", "township": "t1"},
        ],
    )
    assert grid.register_grids() == [
        {"id": "g-001", "text": "南花村 一组"},
        {"id": "g-002", "text": "南花村 二组"},
    ]
