"""The phone renders the shared form model itself, read from the JSON the server serves."""

from __future__ import annotations

import json
import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import pytest

from mobile_app.forms.definition import bundled_form, load_form
from mobile_app.store import Store
from mobile_app.viewmodels import MemberFormViewModel, VisitFormViewModel
from shared_schema.forms import FORMS, FormError, form_to_dict, forms_to_dict
from tests.ui.kivy.seed import hid, seed_grid


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "phone.sqlite3") as s:
        yield s


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_bundled_form_round_trips_through_its_json(form_id):
    served = json.loads(json.dumps(forms_to_dict()[form_id], ensure_ascii=False))
    form = load_form(served)
    assert form == FORMS[form_id]  # every attribute, max_items and computed values included
    assert form_to_dict(form) == served
    assert bundled_form(form_id) == FORMS[form_id]


def test_view_models_render_the_shared_definition_with_every_attribute(store):
    visit = VisitFormViewModel(store)
    risks = visit.form.field("risks")
    assert risks.max_items == 5 and risks.enum == "risk" and risks.widget == "multiselect"
    assert visit.form.field("net_income").computed == "net_income"
    assert visit.form.field("disaster_type").relevant == "'disaster' in risks"
    assert visit.form.section("members").subform == "member"
    member = MemberFormViewModel(store)
    assert member.form == FORMS["member"]


def test_a_definition_served_by_the_server_builds_the_phone_form(client, seed, store):
    """`GET /api/v1/config` (the real app) → the phone's form, and the form works."""
    seed.grid("g1", township="t1")
    seed.user("wang", grids=["g1"])
    wang = seed.login(client, "wang")
    served = client.get("/api/v1/config", headers=wang.headers)
    assert served.status_code == 200
    forms = served.get_json()["forms"]
    seed_grid(store, 2)
    vm = VisitFormViewModel(store, form=load_form(forms["visit"]))
    vm.open_new(hid(1))
    for part, amount in (("wage", "1000"), ("operating", "500"), ("property", "0")):
        vm.set_value(f"income.{part}", amount)
    vm.set_value("income.transfer", "0")
    vm.set_value("income.costs", "200")
    assert vm.computed["net_income"] == 1300
    assert vm.form == FORMS["visit"]


def test_a_broken_downloaded_definition_is_refused():
    served = forms_to_dict()["visit"]
    bad = json.loads(json.dumps(served))
    bad["sections"][0]["fields"][0]["widget"] = "hologram"
    with pytest.raises(FormError, match="unknown widget"):
        load_form(bad)
