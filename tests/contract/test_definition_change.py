"""One definition drives every surface: change the shared form model (an option added to the
risk enumeration, `max_items` of risks lowered from 5 to 3) and the phone form (view-model and
widget), the server's validation and the console all follow, with no other edit.

The change is made the way a new definition arrives: `ENUMS` and `FORMS` are swapped (the
fixture below), nothing else is touched."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

from datetime import UTC, datetime

import pytest

from shared_schema.enums import ENUMS, Enumeration, Option
from shared_schema.forms import FORMS, FormDef
from tests.sync_server.helpers import mutation, push
from tests.sync_server.test_console_web import sign_in
from tests.ui.console.world import build_world

NEW_RISK = Option("livestock_epidemic", "因畜禽疫病", "Livestock epidemic")
LOWERED = 3


def with_field(form: FormDef, path: str, **changes: object) -> FormDef:
    """A copy of `form` (next version) with one field changed."""
    sections = tuple(
        dataclasses.replace(
            s,
            fields=tuple(
                dataclasses.replace(f, **changes) if f.path == path else f for f in s.fields
            ),
        )
        for s in form.sections
    )
    return dataclasses.replace(form, version=form.version + 1, sections=sections)


@pytest.fixture
def changed_definition(monkeypatch):
    """The new definition: one more risk option, at most three risks."""
    risk = ENUMS["risk"]
    monkeypatch.setitem(ENUMS, "risk", Enumeration(risk.name, (*risk.options, NEW_RISK)))
    monkeypatch.setitem(FORMS, "visit", with_field(FORMS["visit"], "risks", max_items=LOWERED))
    return ENUMS["risk"]


def test_the_phone_form_follows(changed_definition, tmp_path):
    from mobile_app.forms.renderer import FormRenderer
    from mobile_app.store import Store
    from mobile_app.viewmodels import VisitFormViewModel
    from tests.ui.kivy.seed import NOW, hid, seed_grid

    with Store(tmp_path / "phone.sqlite3") as store:
        seed_grid(store, 5)
        vm = VisitFormViewModel(store, now=lambda: NOW)
        assert vm.form.field("risks").max_items == LOWERED
        renderer = FormRenderer(vm)
        vm.open_new(hid(5))
        # view-model: the new code is valid, a fourth risk is an error next to the field
        vm.set_value("risks", [NEW_RISK.code])
        assert "risks" not in vm.errors
        four = [NEW_RISK.code, *changed_definition.codes[:3]]
        vm.set_value("risks", four)
        assert "3" in vm.errors["risks"]
        vm.set_value("risks", [])
        # widget: a chip for the new option; the fourth chip cannot be ticked
        risks = renderer.widgets["risks"]
        assert risks._chips[NEW_RISK.code].text == NEW_RISK.zh
        for code in (NEW_RISK.code, *changed_definition.codes[:2]):
            risks._chips[code]._do_press()
        assert sorted(vm.value("risks")) == sorted([NEW_RISK.code, *changed_definition.codes[:2]])
        fourth = risks._chips[changed_definition.codes[2]]
        assert fourth.disabled and "已选满 3 项" in risks.limit_label.text


def test_the_server_and_the_console_follow(changed_definition, client, seed):
    world = build_world(seed, client, datetime.now(UTC).date())
    wang = world.wang.session
    change = world.wang.pull()[world.v1]
    visit, version = change["data"], change["version"]

    four = [NEW_RISK.code, *changed_definition.codes[:3]]
    refused = push(
        client,
        wang,
        mutation(wang, "visit", world.v1, visit | {"risks": four}, base_version=version),
    )
    result = refused.get_json()["results"][0]
    assert result["status"] == "rejected" and "risks" in result["errors"], result

    accepted = push(
        client,
        wang,
        mutation(wang, "visit", world.v1, visit | {"risks": [NEW_RISK.code]}, base_version=version),
    )
    result = accepted.get_json()["results"][0]
    assert result["status"] == "applied", result

    sign_in(client, "sup")
    page = client.get(f"/console/visits/{world.v1}").text
    assert NEW_RISK.zh in page and NEW_RISK.code not in page
    export = client.get("/console/exports/visits.csv?lang=en")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    row = next(r for r in rows if r[0] == world.v1)
    assert NEW_RISK.en in row
    served = client.get("/api/v1/config", headers=wang.headers).get_json()
    assert served["forms"]["visit"]["version"] == FORMS["visit"].version
    risks = next(
        f for s in served["forms"]["visit"]["sections"] for f in s["fields"] if f["path"] == "risks"
    )
    assert risks["max_items"] == LOWERED
