"""Defects the scripted field month found (issue 16; tests/ui/kivy/month.py), each shown at
view-model or rule level: plain pytest, a real SQLite store, no window."""

from __future__ import annotations

import os
import tempfile
import time

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

from datetime import UTC, datetime
from typing import Any

import pytest

from mobile_app.store import Store
from mobile_app.viewmodels import GridViewModel, VisitFormViewModel
from mobile_app.viewmodels.form_base import display_value
from mobile_app.viewmodels.household_register import HouseholdRegisterViewModel
from shared_schema.register import split_members
from tests.ui.kivy.seed import NOW, hid, mid, pulled_page, seed_household, server_household, vid

MOMENT = datetime(2024, 6, 1, 2, 0, 5, tzinfo=UTC)  # 10:00:05 in Shanghai


def clock() -> datetime:
    return MOMENT


def sync_calls(fn: Any) -> None:
    fn()


SYNC = {"now": clock, "spawn": sync_calls, "post": sync_calls}


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "phone.sqlite3") as s:
        yield s


@pytest.fixture
def device_in_utc(monkeypatch):
    """A phone (or a CI machine) whose own zone setting is UTC, not the deployment's."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- a visit's review note says what the supervisor did -------------------------------------
def test_a_visit_approved_with_a_comment_does_not_read_returned(store):
    pulled_page(store, server_household(6, 20, review="approved", comment="已核实，通过"), 22)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_existing(vid(6))
    assert vm.review_comment == "已核实，通过"
    assert vm.review_note == "审核通过：已核实，通过"
    assert not vm.review_returned
    vm.lang = "en"
    assert vm.review_note == "Approved: 已核实，通过"


def test_a_fixed_returned_visit_reads_waiting_for_review_again(store):
    pulled_page(store, server_household(6, 20, review="returned", comment="请补充饮水情况"), 22)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_existing(vid(6))
    assert vm.review_note == "已被退回：请补充饮水情况" and vm.review_returned
    vm.set_value("water.quantity_lpd", "80")
    assert vm.save() is True, (vm.errors, vm.form_errors)
    resubmitted = "已修改，待重新审核（审核意见：请补充饮水情况）"
    assert vm.review_note == resubmitted and not vm.review_returned
    again = VisitFormViewModel(store, **SYNC)
    again.open_existing(vid(6))  # opened again before the next sync
    assert again.review_note == resubmitted
    again.open_new(hid(6))
    assert again.review_note == "" and not again.review_returned


# -- times on the phone's screens are on the deployment's clock -----------------------------
def test_b_phone_times_are_on_the_deployments_clock(store, device_in_utc):
    seed_household(store, 5, now=NOW)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(5))
    vm.set_value("income.wage", "5000")
    # the home screen's last sync is on Shanghai's clock; the draft's time is too
    assert vm.draft_text == "草稿已自动保存 10:00:05"
    started = next(f for f in vm.form.fields() if f.path == "started_at")
    assert display_value(started, "2024-06-01T02:00:05.000Z") == "2024-06-01 10:00"
    assert display_value(started, "2024-06-01T18:30:00Z") == "2024-06-02 02:30"


def test_b_the_phones_day_is_the_deployments(store, device_in_utc):
    from tests.mobile_app.test_viewmodels import fill_valid_visit

    late = datetime(2024, 6, 1, 18, 30, tzinfo=UTC)  # 02:30 on 2 June in Beijing
    seed_household(store, 5, now=NOW)
    vm = VisitFormViewModel(store, now=lambda: late, spawn=sync_calls, post=sync_calls)
    vm.open_new(hid(5))
    assert vm.today().isoformat() == "2024-06-02"
    assert vm.value("visit_date") == "2024-06-02"  # the morning's visit, not yesterday's
    fill_valid_visit(vm)
    assert vm.save() is True, (vm.errors, vm.form_errors)  # the store's date check agrees
    assert store.visits.get(vm.record_id).data["visit_date"] == "2024-06-02"


# -- a split names each member by their relation to the new head ----------------------------
FAMILY = [
    {"id": "h", "relation": "head"},
    {"id": "w", "relation": "spouse"},
    {"id": "s", "relation": "child"},
    {"id": "d", "relation": "child_in_law"},
    {"id": "g", "relation": "grandchild"},
    {"id": "b", "relation": "child"},
    {"id": "p", "relation": "parent"},
]


def relations(moves: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {k: v["relation"] for k, v in moves.items()}


@pytest.mark.parametrize(
    ("moving", "new_head", "expected"),
    [
        # a married son sets up his own household with his wife and their child
        (["s", "d", "g"], "s", {"s": "head", "d": "spouse", "g": "child"}),
        # he takes his widowed mother and his brother along
        (["s", "w", "b"], "s", {"s": "head", "w": "parent", "b": "sibling"}),
        # the grandmother goes with him: his grandparent
        (["s", "p"], "s", {"s": "head", "p": "grandparent"}),
        # the wife leaves with the children (a separation): they stay her children
        (["w", "s", "b"], "w", {"w": "head", "s": "child", "b": "child"}),
        # the old head moving as a member of his son's household is the son's parent
        (["s", "h"], "s", {"s": "head", "h": "parent"}),
    ],
)
def test_c_a_split_names_relations_to_the_new_head(moving, new_head, expected):
    assert relations(split_members(FAMILY, moving, new_head)) == expected


def test_c_a_relation_with_no_single_reading_becomes_other():
    family = [*FAMILY, {"id": "d2", "relation": "child_in_law"}]
    # two daughters-in-law cannot both be the new head's wife: neither is guessed
    moves = split_members(family, ["s", "d", "d2"], "s")
    assert relations(moves) == {"s": "head", "d": "other", "d2": "other"}
    # the old head's parent is no relation the list has for a grandchild's household
    assert relations(split_members(FAMILY, ["g", "p"], "g")) == {"g": "head", "p": "other"}


def test_c_a_split_on_the_phone_stores_the_new_relations(store):
    from datetime import date

    from shared_schema.schemas.examples import example_member
    from tests.ui.kivy.seed import id_number

    seed_household(store, 7, now=NOW)  # head and spouse
    node = store.session.client_id()
    for k, relation, sex, birth in (
        (3, "child", "male", date(1994, 9, 21)),
        (4, "child_in_law", "female", date(1996, 1, 8)),
    ):
        store.records.save(
            "member",
            mid(7, k),
            example_member(
                household_id=hid(7),
                name=f"成员{k}",
                relation=relation,
                sex=sex,
                birth_date=birth.isoformat(),
                id_number=id_number(7, k, birth, sex),
                phone=None,
                work_place=None,
                work_months=None,
                labor_ability="ordinary",
            ),
            now=NOW,
            hlc_node=node,
        )
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.load(hid(7))
    new_id = vm.split([mid(7, 3), mid(7, 4)], mid(7, 3))
    assert new_id is not None, vm.error
    assert store.members.get(mid(7, 3)).data["relation"] == "head"
    assert store.members.get(mid(7, 4)).data["relation"] == "spouse"
    assert store.members.get(mid(7, 4)).data["household_id"] == new_id


# -- the home screen names the returned visit's household -----------------------------------
def test_d_home_names_the_household_of_a_returned_visit(store):
    pulled_page(store, server_household(6, 20, review="returned", comment="请补充饮水情况"), 22)
    grid = GridViewModel(store, **SYNC)
    grid.refresh()
    head = store.households.get(hid(6)).data["head_name"]
    assert f"需要处理：1户走访被退回（5226010010006 {head}）" in grid.status_text
    grid.lang = "en"
    grid.refresh()
    assert f"Needs you: returned visits: 1 (5226010010006 {head})" in grid.status_text


def test_d_a_household_that_left_is_not_named_on_home(store):
    """Home counted a returned visit of a household that had moved away: a tap on the grid
    list then found nothing (households that left are off the list)."""
    pulled_page(store, server_household(6, 20, review="returned", comment="请补充饮水情况"), 22)
    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.load(hid(6))
    assert vm.mark("moved_away"), vm.error
    grid = GridViewModel(store, **SYNC)
    grid.refresh()
    assert "退回" not in grid.status_text and grid.needs_attention == 0
    grid.toggle_filter("left")  # still there, under the chip
    assert [r["key"] for r in grid.rows] == [hid(6)]


# -- every form follows the configuration pulled over the air --------------------------------
@pytest.mark.parametrize("form_id", ["member", "household"])
def test_e_member_and_household_forms_render_the_newest_pulled_definition(store, form_id):
    """Only the visit form followed the pulled configuration; a province that added a
    question to the member or household form saw nothing until an app update."""
    import json

    from mobile_app.viewmodels.household_register import HouseholdFormViewModel
    from mobile_app.viewmodels.member_form import MemberFormViewModel
    from shared_schema.forms import forms_to_dict

    seed_household(store, 3, now=NOW)
    vm: Any = (MemberFormViewModel if form_id == "member" else HouseholdFormViewModel)(
        store, **SYNC
    )

    def open_one() -> None:
        vm.open_new(hid(3)) if form_id == "member" else vm.open_existing(hid(3))

    open_one()
    bundled = vm.form.sections[0].title("en")
    forms = json.loads(json.dumps(forms_to_dict()))
    forms[form_id]["sections"][0]["title_en"] = "Renamed over the air"
    store.config.save({"version": 2, "forms": forms}, now=NOW)
    open_one()
    assert vm.form.sections[0].title("en") == "Renamed over the air" != bundled
    store.config.save({"version": 3, "forms": {form_id: {"sections": "broken"}}}, now=NOW)
    open_one()  # a definition the phone cannot load never stops the worker
    assert vm.form.sections[0].title("en") == bundled


def test_f_the_phone_shows_a_households_grid_but_never_edits_it(store):
    """The household form offered the grid id as a text box: a typo moved the household out
    of the worker's grids (and off their phone at the next pull)."""
    from mobile_app.forms.definition import shown_only
    from mobile_app.viewmodels.household_register import HouseholdFormViewModel

    seed_household(store, 3, now=NOW)
    vm = HouseholdFormViewModel(store, **SYNC)
    vm.open_existing(hid(3))
    assert shown_only(vm.form.field("grid_id"))
    assert not shown_only(vm.form.field("household_no"))
    gid = store.households.get(hid(3)).data["grid_id"]
    assert vm.display("grid_id") == gid  # a session that does not name the grid: its id
    store.session.save_login(
        server_url="http://127.0.0.1:1",
        user={"username": "wang"},
        token="t",
        grids=[{"id": gid, "name": "一组", "village": "关岭村"}],
    )
    vm.open_existing(hid(3))
    assert vm.display("grid_id") == f"关岭村 一组 ({gid})"


# -- the head changes: died, moved out, or the family chose another --------------------------
def test_g_rehead_relates_everyone_to_the_new_head():
    from shared_schema.register import rehead_members

    # the head died: his widow heads the household; the children stay hers, his mother is
    # her mother-in-law, the daughter-in-law stays a daughter-in-law
    assert relations(rehead_members(FAMILY, "w")) == {
        "h": "spouse",
        "w": "head",
        "s": "child",
        "d": "child_in_law",
        "g": "grandchild",
        "b": "child",
        "p": "parent_in_law",
    }
    # the old couple hand over to the married son: two children cannot both be his wife
    assert relations(rehead_members(FAMILY, "s")) == {
        "h": "parent",
        "w": "parent",
        "s": "head",
        "d": "spouse",
        "g": "child",
        "b": "sibling",
        "p": "grandparent",
    }
    with pytest.raises(ValueError):
        rehead_members(FAMILY, "h")  # already the head
    with pytest.raises(ValueError):
        rehead_members(FAMILY, "nobody")


def test_g_a_head_who_died_is_recorded_after_the_head_changes(store):
    """The phone could not record the head's death (no head left: refused) nor give the
    household another head (two heads: refused), though households change heads (issue 16)."""
    from mobile_app.viewmodels.member_form import MemberFormViewModel

    seed_household(store, 1, now=NOW)  # head 1, spouse 2
    head, spouse = mid(1, 1), mid(1, 2)
    form = MemberFormViewModel(store, **SYNC)
    form.open_existing(head)
    form.set_value("status", "deceased")
    assert form.save() is False  # the household would have no head: says where to go
    assert "更换户主" in form.errors["relation"]

    vm = HouseholdRegisterViewModel(store, **SYNC)
    vm.open(hid(1))
    vm.set_mode("head")
    assert [c["id"] for c in vm.head_candidates] == [spouse]
    assert vm.confirm_head() is False and vm.error == "请选择新户主" and vm.error_on == "head"
    vm.choose_new_head(spouse)
    assert vm.has_unsaved_choices() and vm.error == ""
    old_name = store.members.get(head).data["name"]
    assert vm.head_preview.splitlines() == [
        f"{old_name}：由户主改为配偶",
        f"{store.members.get(spouse).data['name']}：由配偶改为户主",
    ]
    assert vm.confirm_head(), vm.error
    new_name = store.members.get(spouse).data["name"]
    assert vm.message == f"户主已更换为{new_name}（待同步）" and not vm.has_unsaved_choices()
    assert store.members.get(spouse).data["relation"] == "head"
    assert store.members.get(head).data["relation"] == "spouse"
    assert store.households.get(hid(1)).data["head_name"] == new_name
    assert store.members.composition_errors(hid(1)) == {}

    form.open_existing(head)  # now the old head's death is recorded like anyone's
    form.set_value("status", "deceased")
    assert form.save(), form.errors
    assert vm.change_head(head) is False and vm.error  # a member who died cannot head it


def test_g_a_whole_action_is_checked_once_written(store):
    """The store checked the composition after each record of an action: a swap of head
    and spouse was refused whatever the order; a real second head is still refused whole."""
    seed_household(store, 1, now=NOW)
    head, spouse = store.members.get(mid(1, 1)), store.members.get(mid(1, 2))
    node = store.session.client_id()
    # head and spouse swap places, in one order, then back in the other
    store.records.save_together(
        [
            ("member", head.id, dict(head.data) | {"relation": "spouse"}),
            ("member", spouse.id, dict(spouse.data) | {"relation": "head"}),
        ],
        now=NOW,
        hlc_node=node,
    )
    assert store.members.get(spouse.id).data["relation"] == "head"
    store.records.save_together(
        [("member", head.id, dict(head.data)), ("member", spouse.id, dict(spouse.data))][::-1],
        now=NOW,
        hlc_node=node,
    )
    assert store.members.get(head.id).data["relation"] == "head"
    from mobile_app.store import ValidationFailed

    waiting = store.outbox.count()
    with pytest.raises(ValidationFailed):
        store.records.save_together(
            [
                ("member", spouse.id, dict(spouse.data) | {"relation": "head"}),
                ("household", hid(1), dict(store.households.get(hid(1)).data) | {"phone": None}),
            ],
            now=NOW,
            hlc_node=node,
        )
    assert store.members.get(spouse.id).data["relation"] == "spouse"  # nothing of it stayed
    assert store.outbox.count() == waiting
