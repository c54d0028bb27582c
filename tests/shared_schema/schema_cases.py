"""Helpers for the table-driven record-schema tests (not a test module itself).

A case is `(overrides, expected)`: the example record of `shared_schema.schemas.examples`
with some top-level fields changed (the value `DROP` removes the field), and the set of
dotted error paths that must come back — empty for a passing case.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from shared_schema.idnumber import make_id_number
from shared_schema.schemas.examples import EXAMPLE_REGION, EXAMPLES
from shared_schema.schemas.records import validate_record

HAN = re.compile(r"[\u4e00-\u9fff]")
BUILT_IN_ENGLISH = ("Not a valid", "Missing data", "Unknown field.", "Field may not", "Length must")


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
"""An override value that removes the field from the record."""


def record(entity: str, **overrides: Any) -> dict[str, Any]:
    """The example record of `entity` with overrides applied (`DROP` removes a field)."""
    data = EXAMPLES[entity]()
    for key, value in overrides.items():
        if value is DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def errors(
    entity: str, data: Any, *, lang: str = "zh", as_of: date | None = None
) -> dict[str, list[str]]:
    return validate_record(entity, data, lang=lang, as_of=as_of)


def assert_localized(zh: dict[str, list[str]], en: dict[str, list[str]]) -> None:
    """The same fields fail in both languages; zh text is Chinese, en text English, and no
    built-in marshmallow message leaks through."""
    assert set(zh) == set(en)
    for path in zh:
        assert len(zh[path]) == len(en[path]), path
        for text in zh[path]:
            assert HAN.search(text), (path, text)
            assert not any(b in text for b in BUILT_IN_ENGLISH), (path, text)
        for text in en[path]:
            assert not HAN.search(text), (path, text)
            assert not any(b in text for b in BUILT_IN_ENGLISH), (path, text)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February falls back to 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def person(birth: date, sex: str = "male", seq: int = 21, **overrides: Any) -> dict[str, Any]:
    """An example member born on `birth` with a matching resident ID number."""
    return record(
        "member",
        birth_date=birth.isoformat(),
        sex=sex,
        id_number=make_id_number(EXAMPLE_REGION, birth, seq, sex),
        **overrides,
    )
