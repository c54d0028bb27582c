"""The push body's fast path (`sync_server.api.sync.fast_push_body`) takes only what the shared
`PushRequestSchema` accepts, and gives exactly what it loads; everything else goes to the
schema (and its errors)."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared_schema.schemas.protocol import PushRequestSchema
from sync_server.api.sync import PushRequestSchema as ServerPushRequestSchema
from sync_server.api.sync import fast_push_body

_ID = str(uuid.UUID(int=0x1234_5678_9ABC_4DEF_8123_456789ABCDEF))
_JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=5)
)
_DATA = st.recursive(
    _JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "", "a.b", "notes"]), inner, max_size=3),
    ),
    max_leaves=8,
)
_ANY = st.one_of(
    _JSON_LEAF,
    st.lists(_JSON_LEAF, max_size=2),
    st.dictionaries(st.text(max_size=3), _JSON_LEAF, max_size=2),
)


def _maybe(value: Any, other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid `value` (7 in 8), sometimes something else."""
    return st.integers(0, 7).flatmap(lambda i: st.just(value) if i < 7 else other)


@st.composite
def mutations(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(_maybe("upsert", st.sampled_from(["delete", "merge", 1, None])))
    m: dict[str, Any] = {
        "mutation_id": draw(
            _maybe(1, st.one_of(st.integers(-2, 2**70), st.just(True), st.just(1.0), st.just("1")))
        ),
        "entity": draw(_maybe("household", st.sampled_from(["member", "visit", "hh", 3, None]))),
        "id": draw(_maybe(_ID, st.sampled_from([_ID.upper(), "x", "{" + _ID + "}", 5]))),
        "op": op,
    }
    for key, strategy in (
        (
            "base_version",
            _maybe(None, st.one_of(st.integers(-2, 2**70), st.just(False), st.just(2.0))),
        ),
        ("hlc", _maybe("0001-0000-a", st.one_of(st.text(max_size=70), st.just(5)))),
        ("data", _maybe({"notes": "x"}, st.one_of(_DATA, st.just({})))),
        ("extra", st.just(1)),
    ):
        if draw(st.integers(0, 19)) < (1 if key == "extra" else 17):
            m[key] = draw(strategy)
    if draw(st.integers(0, 19)) == 0:
        del m[draw(st.sampled_from(["mutation_id", "entity", "id", "op"]))]
    return m


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    body: dict[str, Any] = {
        "client_id": draw(_maybe(_ID, st.sampled_from([_ID.upper(), "nope", None]))),
        "schema_version": draw(_maybe(1, st.sampled_from([2, True, 1.0, "1"]))),
        "mutations": draw(
            st.integers(0, 7).flatmap(
                lambda i: st.lists(mutations(), max_size=3) if i < 7 else _ANY
            )
        ),
    }
    if draw(st.integers(0, 9)) == 0:
        body["extra"] = draw(_ANY)
    return body if draw(st.integers(0, 7)) < 7 else draw(_ANY)


@settings(max_examples=1500, deadline=None)
@given(bodies())
def test_the_fast_path_loads_exactly_what_the_schema_loads(body):
    fast = fast_push_body(body)
    try:
        loaded = PushRequestSchema().load(body)
    except ValidationError as exc:
        assert fast is None, (fast, exc.messages)
        return
    if fast is not None:
        assert fast == loaded
    assert ServerPushRequestSchema().load(body) == loaded


def test_the_fast_path_takes_the_phones_bodies():
    body = {
        "client_id": _ID,
        "schema_version": 1,
        "mutations": [
            {
                "mutation_id": 1,
                "entity": "household",
                "id": _ID,
                "op": "upsert",
                "base_version": None,
                "data": {"notes": "甲", "income": {"wage": 1}},
                "hlc": "h",
            },
            {"mutation_id": 2, "entity": "visit", "id": _ID, "op": "delete", "base_version": 7},
        ],
    }
    fast = fast_push_body(body)
    assert fast is not None and fast == PushRequestSchema().load(body)
    assert fast["mutations"][1] == body["mutations"][1] | {"data": {}, "hlc": None}
