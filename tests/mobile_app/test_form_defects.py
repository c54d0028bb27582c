"""Phone form defects of the field month (issue 16), each shown at view-model and widget level
(widgets built without a window; the UI scenario `form_guards` taps them for real)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

from datetime import date, timedelta

import pytest

from mobile_app.forms.renderer import FormRenderer
from mobile_app.store import Store
from mobile_app.viewmodels import MemberFormViewModel, VisitFormViewModel
from shared_schema.computed import age_on
from shared_schema.enums import ENUMS
from tests.ui.kivy.seed import NOW, hid, mid, seed_grid, vid

TODAY = NOW.astimezone().date()
INCOME = {"wage": 24000, "operating": 6000, "property": 0, "transfer": 1200, "costs": 1200}


def clock():
    return NOW


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "phone.sqlite3") as s:
        seed_grid(s, 6)
        yield s


def shown(renderer: FormRenderer, path: str) -> str:
    return renderer.widgets[path].input.text


# -- (a) computed values of the previously opened record ------------------------------------
def test_a_visit_form_never_shows_the_previous_visits_computed_values(store):
    vm = VisitFormViewModel(store, now=clock)
    renderer = FormRenderer(vm)
    vm.open_existing(vid(1))  # household 1's visit: full income, two residents
    for part, amount in INCOME.items():
        vm.set_value(f"income.{part}", str(amount))
    assert shown(renderer, "net_income") == "30,000.00"
    assert shown(renderer, "per_capita_income") == "15,000.00"

    vm.open_new(hid(5))  # never visited: no income typed yet
    assert vm.computed["net_income"] is None
    assert shown(renderer, "net_income") == "—"
    assert shown(renderer, "per_capita_income") == "—"
    assert "—" in vm.net_income_text


def test_a_member_form_never_shows_the_previous_members_age(store):
    vm = MemberFormViewModel(store, now=clock)
    renderer = FormRenderer(vm)
    vm.open_existing(mid(1, 1))
    born = store.members.get(mid(1, 1)).data["birth_date"]
    assert shown(renderer, "age") == str(age_on(born, TODAY))
    vm.open_new(hid(1))
    assert vm.computed["age"] is None
    assert shown(renderer, "age") == "—"


def test_an_age_is_never_negative_on_the_member_form(store):
    vm = MemberFormViewModel(store, now=clock)
    renderer = FormRenderer(vm)
    vm.open_new(hid(1))
    vm.set_value("birth_date", (TODAY + timedelta(days=4 * 366)).isoformat())
    assert vm.computed["age"] is None and shown(renderer, "age") == "—"
    assert "birth_date" in vm.errors  # the birth date itself is refused next to its field


# -- (b) a future visit date ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "refused"),
    [
        (TODAY + timedelta(days=1), "晚于今天"),  # the phone's own check (no grace day)
        (TODAY + timedelta(days=400), "晚于"),  # the shared schema's bound says it first
        (date(1999, 12, 31), "早于 2000-01-01"),
        (TODAY, None),
        (date(2000, 1, 1), None),
    ],
)
def test_a_visit_date_after_today_is_refused_next_to_the_field(store, day, refused):
    vm = VisitFormViewModel(store, now=clock)
    renderer = FormRenderer(vm)
    vm.open_new(hid(5))
    vm.set_value("visit_date", day.isoformat())
    error = vm.errors.get("visit_date", "")
    shown_error = renderer.widgets["visit_date"].error_label.text
    if refused is None:
        assert error == "" and shown_error == ""
        return
    assert refused in error and shown_error == error
    visits_before = len(store.visits.for_household(hid(5)))
    assert vm.save() is False
    assert len(store.visits.for_household(hid(5))) == visits_before
    vm.lang = "en"
    assert "visit date" in vm.errors["visit_date"].lower()  # in English too


# -- (c) Back on the member form with unsaved edits -----------------------------------------
def test_member_form_knows_unsaved_edits_and_each_answer_does_what_it_says(store):
    vm = MemberFormViewModel(store, now=clock)
    vm.open_existing(mid(1, 2))
    stored = dict(store.members.get(mid(1, 2)).data)
    assert not vm.has_unsaved_changes()
    vm.set_value("phone", "13900001111")
    assert vm.has_unsaved_changes()

    assert vm.leave("stay") is False and vm.value("phone") == "13900001111"
    assert vm.leave("discard") is True
    assert not vm.has_unsaved_changes() and vm.value("phone") == stored.get("phone")
    assert store.members.get(mid(1, 2)).data == stored

    vm.set_value("phone", "13900001111")
    assert vm.leave("save") is True
    assert store.members.get(mid(1, 2)).data["phone"] == "13900001111"
    assert not vm.has_unsaved_changes()

    vm.set_value("phone", "12")  # not a phone number: saving fails, the edits stay
    assert vm.leave("save") is False
    assert vm.has_unsaved_changes() and "phone" in vm.errors
    with pytest.raises(ValueError):
        vm.leave("maybe")


# -- max_items: the multi-choice widget caps the choice --------------------------------------
def test_the_sixth_risk_cannot_be_ticked_and_the_widget_says_why(store):
    vm = VisitFormViewModel(store, now=clock)
    renderer = FormRenderer(vm)
    vm.open_new(hid(5))
    risks = renderer.widgets["risks"]
    limit = vm.form.field("risks").max_items
    assert limit == 5
    codes = list(ENUMS["risk"].codes)
    for code in codes[:limit]:
        risks._chips[code]._do_press()  # what a tap does to a toggle button
    assert vm.value("risks") == codes[:limit]
    sixth = risks._chips[codes[limit]]
    assert sixth.disabled and sixth.state == "normal"
    assert "已选满 5 项" in risks.limit_label.text
    sixth.state = "down"  # even if a touch got through, the choice is refused
    assert sixth.state == "normal" and vm.value("risks") == codes[:limit]
    risks._chips[codes[0]]._do_press()  # untick one: the others can be chosen again
    assert not sixth.disabled and "4" in risks.limit_label.text
    sixth._do_press()
    assert vm.value("risks") == codes[1 : limit + 1]
    vm.lang = "en"
    renderer.relabel()
    assert "5 chosen, the most allowed" in risks.limit_label.text
