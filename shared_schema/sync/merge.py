"""Three-way, per-leaf merge (docs/sync-core.md), shared by the server's push and the phone.

`merge(base, server, client)` decides what one mutation does to the server's record;
`resolve_conflict` what a supervisor's choice does; `rebase_local(base, server_new, local)` is
the phone's side: it folds a pulled record under the local pending edits. All pure, over
wire-form JSON. Values compare with `values_equal` (missing == null == an empty object).

Decisions where docs/sync-core.md is silent (also written there):
- A delete of a record the server does not have, or has deleted, is a `noop` (nothing to write).
- A delete with `base is None` (the client never saw a server version) is judged against an
  empty base, so it is a conflict unless the server record records nothing: never a silent
  winner. The phone should drop an unsent create+delete pair instead of pushing both.
- An edit of a deleted record whose changes are all no-ops against the last data (by the field
  table) is a `noop`: there is nothing to restore, so no conflict is raised.
- An edit with a base but no server record (`server is None`) cannot be merged (the server
  never has a base for a record it does not hold): `ValueError`.
- On `noop` the caller writes nothing (no new version).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from shared_schema.sync.changes import apply_changes, changes_between, diff
from shared_schema.sync.paths import ancestors, flatten, unflatten, value_at, values_equal

DELETED_FIELD: Final = "_deleted"
"""Record-level pseudo-field a delete conflict is reported on."""

STATUS_APPLIED: Final = "applied"
STATUS_MERGED: Final = "merged"
STATUS_CONFLICT: Final = "conflict"
STATUS_NOOP: Final = "noop"


class _DeleteMarker(enum.Enum):
    """Type of the `DELETE` sentinel (an enum member, so type checkers can narrow on it)."""

    DELETE = "DELETE"

    def __repr__(self) -> str:
        return "DELETE"


DELETE: Final = _DeleteMarker.DELETE
"""The client's change when the mutation is `op: delete`."""

DeleteType = Literal[_DeleteMarker.DELETE]


@dataclass(frozen=True)
class Deleted:
    """A tombstoned server record, carrying the data it had when it was deleted."""

    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """One field (or `_deleted`) changed on both sides to different values."""

    field: str
    base_value: Any
    server_value: Any
    client_value: Any
    client_data: dict[str, Any] | None = None


@dataclass(frozen=True)
class MergeResult:
    """What a mutation does: the new record (`None` = tombstone) and why."""

    merged: dict[str, Any] | None
    deleted: bool
    conflicts: tuple[Conflict, ...] = ()
    changed: tuple[str, ...] = ()
    status: str = STATUS_APPLIED


@dataclass(frozen=True)
class _FieldMerge:
    taken: dict[str, Any]
    conflicts: tuple[Conflict, ...]


def _merge_fields(
    base: Mapping[str, Any] | None, server: Mapping[str, Any], changes: Mapping[str, Any]
) -> _FieldMerge:
    """Apply the per-leaf table of docs/sync-core.md to every leaf of `changes`."""
    taken: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    for path, client_value in sorted(flatten(changes).items()):
        server_value = value_at(server, path)
        base_value = value_at(base, path)
        if values_equal(client_value, server_value):
            continue  # the server already holds it
        if not _server_changed(base, server, path):
            taken[path] = client_value  # only the client changed it
        elif values_equal(client_value, base_value):
            continue  # only the server changed it
        else:
            conflicts.append(Conflict(path, base_value, server_value, client_value))
    return _FieldMerge(taken, tuple(conflicts))


def _server_changed(base: Mapping[str, Any] | None, server: Mapping[str, Any], path: str) -> bool:
    """Did the server change `path` since base, counting a leaf replaced at an ancestor?

    `value_at` reads through a leaf as `None`, so `o.x` looks unchanged when the server turned
    `o` from `7` into `8`; the ancestors are checked so such a change is never overwritten.
    """
    if not values_equal(value_at(server, path), value_at(base, path)):
        return True
    for ancestor in ancestors(path):
        at_server, at_base = value_at(server, ancestor), value_at(base, ancestor)
        is_leaf = [v is not None and not isinstance(v, Mapping) for v in (at_server, at_base)]
        if any(is_leaf) and not values_equal(at_server, at_base):
            return True
    return False


def merge(
    base: Mapping[str, Any] | None,
    server: Mapping[str, Any] | Deleted | None,
    client: Mapping[str, Any] | DeleteType,
) -> MergeResult:
    """Merge one client mutation (`changes` or `DELETE`) into the server's record."""
    if client is DELETE:
        return _merge_delete(base, server)
    if not isinstance(client, Mapping):
        raise TypeError(f"client must be a mapping of changes or DELETE, got {client!r}")
    if isinstance(server, Deleted):
        outcome = _merge_fields(base or {}, server.data, client)
        if not outcome.taken and not outcome.conflicts:
            return MergeResult(None, True, status=STATUS_NOOP)
        client_data = unflatten(flatten(client))
        conflict = Conflict(DELETED_FIELD, False, True, False, client_data=client_data)
        return MergeResult(None, True, (conflict,), status=STATUS_CONFLICT)
    if server is None:
        if base is not None:
            raise ValueError("an edit with a base needs the server's record (server is None)")
        # A create is the client's data as it is: `apply_changes(None, client)` without the
        # overlay, whose leaves are exactly `flatten(client)` (the push's most common case).
        leaves = flatten(client)
        return MergeResult(unflatten(leaves), False, changed=tuple(sorted(leaves)))
    effective_base: Mapping[str, Any] = {} if base is None else base
    outcome = _merge_fields(effective_base, server, client)
    merged = apply_changes(server, unflatten(outcome.taken)) if outcome.taken else _copy(server)
    if outcome.conflicts:
        status = STATUS_CONFLICT
    elif not outcome.taken:
        status = STATUS_NOOP
    elif values_equal(server, effective_base):
        status = STATUS_APPLIED
    else:
        status = STATUS_MERGED
    return MergeResult(merged, False, outcome.conflicts, tuple(outcome.taken), status)


def _merge_delete(
    base: Mapping[str, Any] | None, server: Mapping[str, Any] | Deleted | None
) -> MergeResult:
    """Record-level rules for `op: delete`."""
    if server is None or isinstance(server, Deleted):
        return MergeResult(None, True, status=STATUS_NOOP)
    if values_equal(server, {} if base is None else base):
        return MergeResult(None, True, changed=(DELETED_FIELD,), status=STATUS_APPLIED)
    conflict = Conflict(DELETED_FIELD, False, False, True)
    return MergeResult(_copy(server), False, (conflict,), status=STATUS_CONFLICT)


def _copy(record: Mapping[str, Any]) -> dict[str, Any]:
    return unflatten(flatten(record))


def resolve_conflict(
    current: Mapping[str, Any] | Deleted,
    field: str,
    value: Any,
    client_data: Mapping[str, Any] | None = None,
) -> MergeResult:
    """What resolving a conflict with the chosen `value` does to the record's current state.

    A leaf conflict writes `value` at `field` (an object value replaces the subtree). A
    `_deleted` conflict takes a bool: `true` deletes the record; `false` keeps it, or, when it
    is deleted, restores its last data with the conflict's `client_data` applied (edit vs
    delete). Nothing to change gives `noop`. A leaf conflict on a deleted record and a
    non-bool `_deleted` value are `ValueError`s (resolve the delete first).
    """
    if field == DELETED_FIELD:
        if not isinstance(value, bool):
            raise ValueError("a _deleted conflict is resolved with true or false")
        if value:
            if isinstance(current, Deleted):
                return MergeResult(None, True, status=STATUS_NOOP)
            return MergeResult(None, True, changed=(DELETED_FIELD,), status=STATUS_APPLIED)
        if not isinstance(current, Deleted):
            return MergeResult(_copy(current), False, status=STATUS_NOOP)
        restored = apply_changes(current.data, client_data or {})
        return MergeResult(
            restored,
            False,
            changed=(DELETED_FIELD, *sorted(flatten(restored))),
            status=STATUS_APPLIED,
        )
    if isinstance(current, Deleted):
        raise ValueError(f"cannot resolve {field!r} of a deleted record; restore it first")
    cleared = apply_changes(current, unflatten({field: None}))  # the value replaces a subtree
    merged = apply_changes(cleared, unflatten({field: value}))
    if values_equal(value_at(current, field), value) and values_equal(merged, current):
        return MergeResult(_copy(current), False, status=STATUS_NOOP)
    return MergeResult(merged, False, changed=(field,), status=STATUS_APPLIED)


def rebase_local(
    base: Mapping[str, Any] | None,
    server_new: Mapping[str, Any] | None,
    local: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fold a pulled server record under the phone's pending edits.

    `base` is the record as last synced (`None`: created on the phone), `server_new` the pulled
    record (`None`: the server does not have it yet), `local` the phone's record including its
    pending edits. Every leaf the phone changed since `base` keeps the local value (pulled state
    never overwrites a pending edit); every other leaf takes the server's new value. Returns
    `(new_local, pending)` where `pending = changes_between(server_new, new_local)`: edits the
    server already holds drop out, and the next push uses `server_new`'s version as its base.
    Tombstones and pending deletes are the caller's to handle (they are not records).
    """
    if server_new is None:
        new_local = _copy(local)
        return new_local, changes_between(None, new_local)
    pending = diff(base, local) if base is not None else flatten(local)
    new_local = apply_changes(server_new, unflatten(pending)) if pending else _copy(server_new)
    return new_local, changes_between(server_new, new_local)
