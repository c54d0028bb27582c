"""The one "age on the visit date" rule (`shared_schema.computed.member_age`) and its users."""

from __future__ import annotations

from datetime import date

import pytest

from shared_schema.computed import member_age, member_ages
from shared_schema.config import config_for
from shared_schema.forms import member_values
from shared_schema.rules import make_context


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        ("2010-05-01", "2024-04-30", 13),
        ("2010-05-01", "2024-05-01", 14),
        ("2008-02-29", "2024-02-28", 15),  # a 29 February birthday counts from 1 March
        ("2008-02-29", "2023-03-01", 15),
        ("2024-05-01", "2024-05-01", 0),
        ("2028-05-01", "2024-05-01", None),  # born after the day: no negative age
        (None, "2024-05-01", None),
        ("2010-05-01", None, None),
        ("not a date", "2024-05-01", None),
        ("2010-05-01", "2024-13-01", None),
        (12, "2024-05-01", None),
    ],
)
def test_member_age(born, on, age):
    assert member_age({"birth_date": born}, on) == age


def test_the_forms_the_rules_and_the_schema_share_the_rule():
    member = {"id": "m1", "birth_date": "2030-01-01", "status": "present"}
    visit = {"visit_date": "2024-05-01"}
    assert member_values(member, as_of="2024-05-01")["age"] is None
    ctx = make_context({}, [member], visit, config=config_for(None, 2024))
    assert ctx.age(member) is None
    assert member_ages([member, {"id": "m2", "birth_date": "2000-05-02"}], date(2024, 5, 1)) == {
        "m2": 23
    }
