"""Hypothesis properties of the sync core (docs/sync-core.md, "Properties the tests hold")."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from shared_schema.schemas.records import validate_record
from shared_schema.sync import (
    DELETE,
    DELETED_FIELD,
    Deleted,
    ancestors,
    apply_changes,
    changes_between,
    diff,
    flatten,
    merge,
    rebase_local,
    unflatten,
    value_at,
    values_equal,
)
from tests.shared_schema.strategies import CROSS_FIELD_GROUPS, records_of

# Scalars as JSON has them; small alphabets so that sides collide often.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, 1.0, 2.25]),
    st.sampled_from(["", "a", "b", "张三"]),
)
leaf_values = st.one_of(
    scalars, st.lists(st.sampled_from(["illness", "water", 1, True]), max_size=3)
)
keys = st.sampled_from(["a", "b", "c", "o", "p"])

# Arbitrary nested records (any shape, including `{}` and objects replacing leaves).
records: st.SearchStrategy[dict[str, Any]] = st.recursive(
    st.dictionaries(keys, leaf_values, max_size=4),
    lambda children: st.dictionaries(keys, st.one_of(leaf_values, children), max_size=4),
    max_leaves=12,
)

# A fixed universe of leaf paths where no path is a prefix of another: records built from it
# keep one shape, like schema-valid records do.
UNIVERSE = ["a", "b", "o.x", "o.y", "o.z", "p.q.r", "p.s"]


def flat_over(paths: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(paths), leaf_values)


shaped_records = flat_over(UNIVERSE).map(unflatten)
shaped_changes = flat_over(UNIVERSE).map(unflatten)


def nonempty(record: dict[str, Any]) -> bool:
    return bool(flatten(record))


@given(records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_flatten_unflatten_round_trip(record: dict[str, Any]) -> None:
    assert unflatten(flatten(record)) == record
    assert flatten(unflatten(flatten(record))) == flatten(record)


@given(records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_diff_lands_on_current(base: dict[str, Any], current: dict[str, Any]) -> None:
    changes = diff(base, current)
    assert values_equal(apply_changes(base, unflatten(changes)), current)
    assert values_equal(apply_changes(base, changes_between(base, current)), current)
    assert values_equal(apply_changes(None, changes_between(None, current)), current)
    assert diff(current, current) == {}


@given(records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_merging_a_change_onto_its_own_base_gives_base_plus_change(
    base: dict[str, Any], current: dict[str, Any]
) -> None:
    change = changes_between(base, current)
    result = merge(base, base, change)
    assert result.conflicts == ()
    assert result.status in ("applied", "noop")
    assert result.merged is not None
    assert values_equal(result.merged, apply_changes(base, change))
    assert values_equal(result.merged, current)
    assert (result.status == "noop") == values_equal(base, current)


@given(records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_merging_arbitrary_partial_data_onto_its_base_overlays_it(
    base: dict[str, Any], change: dict[str, Any]
) -> None:
    result = merge(base, base, change)
    assert result.conflicts == ()
    assert result.merged is not None
    assert values_equal(result.merged, apply_changes(base, change))


@given(records, records, st.data())
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_a_no_op_edit_changes_nothing(
    base: dict[str, Any], server: dict[str, Any], data: st.DataObject
) -> None:
    base_leaves = flatten(base)
    chosen = data.draw(
        st.lists(st.sampled_from(sorted(base_leaves)), unique=True) if base_leaves else st.just([])
    )
    change = unflatten({p: base_leaves[p] for p in chosen})
    result = merge(base, server, change)
    assert result.status == "noop"
    assert result.conflicts == () and result.changed == ()
    assert result.merged == server


@given(shaped_records, st.data())
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_disjoint_edits_commute(base: dict[str, Any], data: st.DataObject) -> None:
    split = data.draw(st.lists(st.booleans(), min_size=len(UNIVERSE), max_size=len(UNIVERSE)))
    mine = [p for p, s in zip(UNIVERSE, split, strict=True) if s]
    theirs = [p for p, s in zip(UNIVERSE, split, strict=True) if not s]
    change_a = unflatten(data.draw(flat_over(mine))) if mine else {}
    change_b = unflatten(data.draw(flat_over(theirs))) if theirs else {}

    def in_order(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
        one = merge(base, base, first)
        assert one.merged is not None and one.conflicts == ()
        two = merge(base, one.merged, second)
        assert two.merged is not None and two.conflicts == ()
        return two.merged

    ab, ba = in_order(change_a, change_b), in_order(change_b, change_a)
    assert values_equal(ab, ba)
    assert values_equal(ab, apply_changes(apply_changes(base, change_a), change_b))


def assert_nothing_lost(
    base: dict[str, Any] | None, server: dict[str, Any], client: dict[str, Any]
) -> None:
    result = merge(base, server, client)
    assert result.merged is not None
    conflicts = {c.field: c for c in result.conflicts}
    for path, value in flatten(client).items():
        if values_equal(value, value_at(base, path)):  # base None: an empty base
            continue  # not a change: the client never edited it
        kept = values_equal(value_at(result.merged, path), value)
        in_conflict = path in conflicts and values_equal(conflicts[path].client_value, value)
        assert kept or in_conflict, path
        assert not (kept and in_conflict)
    for field, conflict in conflicts.items():  # the server's value is kept provisionally
        assert values_equal(value_at(result.merged, field), conflict.server_value)
        assert values_equal(value_at(server, field), conflict.server_value)
    # Server leaves the client did not address are untouched.
    client_paths = set(flatten(client))
    for path, value in flatten(server).items():
        overlaps = any(
            path == c or path.startswith(c + ".") or c.startswith(path + ".") for c in client_paths
        )
        if not overlaps:
            assert values_equal(value_at(result.merged, path), value), path
    # Status agrees with the outcome.
    assert (result.status == "conflict") == bool(result.conflicts)
    if result.status == "noop":
        assert result.changed == () and values_equal(result.merged, server)
    for path in result.changed:
        assert not values_equal(value_at(result.merged, path), value_at(server, path))


@given(records, records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
def test_no_client_value_is_lost_any_shape(
    base: dict[str, Any], server: dict[str, Any], client: dict[str, Any]
) -> None:
    assert_nothing_lost(base, server, client)


@given(shaped_records, shaped_records, shaped_changes)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
def test_no_client_value_is_lost(
    base: dict[str, Any], server: dict[str, Any], client: dict[str, Any]
) -> None:
    assert_nothing_lost(base, server, client)


@given(records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_create_of_existing_id_loses_nothing(
    server: dict[str, Any], client: dict[str, Any]
) -> None:
    assert_nothing_lost(None, server, client)


@given(records, records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_a_conflict_free_merge_is_idempotent(
    base: dict[str, Any], server: dict[str, Any], client: dict[str, Any]
) -> None:
    first = merge(base, server, client)
    assume(not first.conflicts)
    assert first.merged is not None
    again = merge(base, first.merged, client)
    assert again.status == "noop"
    assert again.merged == first.merged


@given(records, records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_edit_of_deleted_keeps_the_client_data(
    base: dict[str, Any], last: dict[str, Any], client: dict[str, Any]
) -> None:
    result = merge(base, Deleted(last), client)
    assert result.merged is None and result.deleted
    if result.status == "conflict":
        (conflict,) = result.conflicts
        assert conflict.field == DELETED_FIELD
        assert conflict.client_data is not None
        assert values_equal(conflict.client_data, client)
    else:
        assert result.status == "noop"
        assert merge(base, last, client).status == "noop"


@given(records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_delete_is_tombstone_iff_server_unchanged(
    base: dict[str, Any], server: dict[str, Any]
) -> None:
    result = merge(base, server, DELETE)
    if values_equal(base, server):
        assert result.merged is None and result.deleted and result.status == "applied"
    else:
        assert result.merged == server and not result.deleted
        assert [c.field for c in result.conflicts] == [DELETED_FIELD]


@given(records, records, records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_rebase_local_keeps_pending_edits_and_takes_the_rest(
    base: dict[str, Any], server_new: dict[str, Any], local: dict[str, Any]
) -> None:
    new_local, pending = rebase_local(base, server_new, local)
    # Every pending local edit survives.
    for path, value in diff(base, local).items():
        assert values_equal(value_at(new_local, path), value), path
    # Pushing the pending changes onto the new base reproduces the local record.
    pushed = merge(server_new, server_new, pending)
    assert pushed.merged is not None and pushed.conflicts == ()
    assert values_equal(pushed.merged, new_local)
    assert pending == changes_between(server_new, new_local)
    # Without local edits the phone simply takes the server's record.
    if values_equal(base, local):
        assert values_equal(new_local, server_new) and pending == {}


@given(shaped_records, shaped_records, shaped_records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_rebase_local_untouched_paths_follow_the_server(
    base: dict[str, Any], server_new: dict[str, Any], local: dict[str, Any]
) -> None:
    new_local, _ = rebase_local(base, server_new, local)
    edited = set(diff(base, local))
    for path in UNIVERSE:
        if path not in edited:
            assert values_equal(value_at(new_local, path), value_at(server_new, path)), path


@given(shaped_records, shaped_records, shaped_records)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_phone_and_server_agree(
    base: dict[str, Any], server: dict[str, Any], local: dict[str, Any]
) -> None:
    """Where the server merges without conflict, the phone's rebased record equals it."""
    pushed = merge(base, server, changes_between(base, local))
    assume(not pushed.conflicts)
    new_local, _ = rebase_local(base, server, local)
    assert pushed.merged is not None
    assert values_equal(pushed.merged, new_local)


# --- merge results against the record schemas -------------------------------------------------

RECORD_ENTITIES = ("household", "member", "visit")


def mix(draw: Any, entity: str, base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """`base` with some top-level fields taken from `other`, whole rule groups at a time, so
    the result is valid whenever both are."""
    keys = set(draw(st.lists(st.sampled_from(sorted(other)), unique=True)))
    groups = [{p.split(".")[0] for p in g} for g in CROSS_FIELD_GROUPS[entity]]
    while True:
        grown = keys.union(*(g for g in groups if g & keys))
        if grown == keys:
            break
        keys = grown
    return {**base, **{k: other[k] for k in keys}}


def touches(paths: set[str], group: frozenset[str]) -> bool:
    return any(p in group or any(a in group for a in ancestors(p)) for p in paths)


@pytest.mark.parametrize("entity", RECORD_ENTITIES)
@given(data=st.data())
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=150)
def test_merge_result_validates_unless_a_rule_spans_both_sides(
    entity: str, data: st.DataObject
) -> None:
    """Valid base, server and client-applied records merge into a valid record, unless a
    cross-field rule ties a field the server changed to a field taken from the client (then
    the server validates the merged record and rejects the mutation, docs/sync-core.md)."""
    base = data.draw(records_of(entity), label="base")
    server = mix(data.draw, entity, base, data.draw(records_of(entity), label="server source"))
    client_record = mix(
        data.draw, entity, base, data.draw(records_of(entity), label="client source")
    )
    for record in (base, server, client_record):
        assert validate_record(entity, record) == {}
    result = merge(base, server, changes_between(base, client_record))
    assert result.merged is not None
    server_changed, client_taken = set(diff(base, server)), set(result.changed)
    spanning = [
        g
        for g in CROSS_FIELD_GROUPS[entity]
        if touches(server_changed, g) and touches(client_taken, g)
    ]
    event(f"{entity}: rule spans both sides" if spanning else f"{entity}: rules on one side")
    if not spanning:
        assert validate_record(entity, result.merged) == {}, result


def test_a_merge_can_break_a_cross_field_rule() -> None:
    """Why the server validates the merged record: each side valid, the combination not."""
    from shared_schema.schemas.examples import example_visit

    base = example_visit()
    server = example_visit(started_at="2024-05-20T09:50:00+08:00")
    client = example_visit(ended_at="2024-05-20T09:40:00+08:00")
    for record in (base, server, client):
        assert validate_record("visit", record) == {}
    result = merge(base, server, changes_between(base, client))
    assert result.status == "merged"
    assert result.merged is not None
    assert "ended_at" in validate_record("visit", result.merged)


# --- a fleet of phones against one server ---------------------------------------------------

FLEET = 3
fleet_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("edit"), st.integers(0, FLEET - 1), st.sampled_from(UNIVERSE), leaf_values
        ),
        st.tuples(st.just("push"), st.integers(0, FLEET - 1)),
        st.tuples(st.just("pull"), st.integers(0, FLEET - 1)),
    ),
    max_size=40,
)


@given(shaped_records, fleet_ops)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=500)
def test_a_fleet_converges_and_loses_no_edit(
    start: dict[str, Any], ops: list[tuple[Any, ...]]
) -> None:
    """Phones edit offline, push and pull in any order, as PROTOCOL.md describes: the server
    merges each push against the record at the phone's base version; a phone acknowledges a
    push by moving its base to base + sent data, and rebases on every pull. In the end every
    phone equals the server, and every value a phone pushed reached a server version or a
    conflict."""
    history = [start]  # server versions; index = version
    conflicts: list[tuple[str, Any]] = []
    phones = [{"version": 0, "base": start, "local": start} for _ in range(FLEET)]

    def push(phone: dict[str, Any]) -> None:
        pending = changes_between(phone["base"], phone["local"])
        if not pending:
            return
        result = merge(history[phone["version"]], history[-1], pending)
        assert result.merged is not None
        conflicts.extend((c.field, c.client_value) for c in result.conflicts)
        if result.status != "noop":
            history.append(result.merged)
        for path, value in flatten(pending).items():
            if values_equal(value, value_at(history[phone["version"]], path)):
                continue
            assert any(values_equal(value_at(v, path), value) for v in history) or (
                (path, value) in conflicts
            ), path
        phone["version"] = len(history) - 1
        phone["base"] = apply_changes(phone["base"], pending)

    def pull(phone: dict[str, Any]) -> None:
        phone["local"], _ = rebase_local(phone["base"], history[-1], phone["local"])
        phone["base"], phone["version"] = history[-1], len(history) - 1

    for op in ops:
        phone = phones[op[1]]
        if op[0] == "edit":
            phone["local"] = apply_changes(phone["local"], unflatten({op[2]: op[3]}))
        elif op[0] == "push":
            push(phone)
        else:
            pull(phone)
    for phone in phones:  # everyone syncs
        push(phone)
    for phone in phones:
        pull(phone)
    for phone in phones:
        assert values_equal(phone["local"], history[-1])
        assert changes_between(phone["base"], phone["local"]) == {}
    event("some conflict" if conflicts else "no conflict")
