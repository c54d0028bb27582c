"""The validation message catalogue, and a property: whatever JSON value a field gets,
validation answers with localized messages (never a crash, never marshmallow's English)."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_schema.labels import FIELD_LABELS
from shared_schema.messages import MESSAGES, message
from shared_schema.schemas.examples import EXAMPLES
from shared_schema.schemas.records import ENTITIES, validate_changes, validate_record

from .schema_cases import BUILT_IN_ENGLISH, HAN


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize(("key", "pair"), sorted(MESSAGES.items()))
def test_every_message_has_both_languages_with_the_same_placeholders(
    key: str, pair: tuple[str, str]
) -> None:
    zh, en = pair
    assert zh.strip() and en.strip()
    assert HAN.search(zh), key
    assert not HAN.search(en), key
    assert placeholders(zh) == placeholders(en), key
    assert re.fullmatch(r"[a-z_]+", key)


def test_message_fills_placeholders() -> None:
    assert message("required", field="姓名") == "姓名为必填项"
    assert message("required", "en", field="Name") == "Name is required"
    assert (
        message("id_check_digit", "en", expected="X")
        == "ID number: wrong check digit, the last character should be X"
    )
    assert message("id_check_digit", expected="X") == "身份证号码校验位错误：最后一位应为 X"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: message("no_such_key"), KeyError),
        (lambda: message("required", "fr", field="x"), ValueError),
        (lambda: message("required"), KeyError),  # a missing placeholder is a bug, loudly
    ],
)
def test_bad_message_lookups_raise(call: Any, error: type) -> None:
    with pytest.raises(error):
        call()


# --- property: any JSON value in any field ---------------------------------------------------


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # ASCII keys: an unknown key is echoed in its message, and the en check looks for Han
    return st.lists(inner, max_size=4) | st.dictionaries(
        st.text(string.ascii_letters + "_.", max_size=8), inner, max_size=4
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=30),
    _containers,
    max_leaves=8,
)
PATHS = [(entity, path) for entity in ENTITIES for path in FIELD_LABELS[entity]]


def with_value(entity: str, path: str, value: Any) -> dict[str, Any]:
    data = EXAMPLES[entity]()
    top, _, leaf = path.partition(".")
    if leaf and isinstance(data[top], list):  # a list of objects: change the first item
        data[top] = [{**data[top][0], leaf: value}]
    elif leaf:
        data[top] = {**(data[top] or {}), leaf: value}
    else:
        data[top] = value
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), JSON, st.booleans())
def test_any_value_in_any_field_gets_localized_messages(
    entity_path: tuple[str, str], value: Any, partial: bool
) -> None:
    entity, path = entity_path
    data = with_value(entity, path, value)
    if partial:
        top = path.partition(".")[0]
        data = {top: data[top]}
    check = validate_changes if partial else validate_record
    zh, en = check(entity, data), check(entity, data, lang="en")
    assert set(zh) == set(en)
    assert all(key == "_schema" or key.split(".")[0] in FIELD_LABELS[entity] for key in zh)
    for texts in zh.values():
        assert all(HAN.search(t) and not any(b in t for b in BUILT_IN_ENGLISH) for t in texts)
    for texts in en.values():
        assert all(not HAN.search(t) and not any(b in t for b in BUILT_IN_ENGLISH) for t in texts)
