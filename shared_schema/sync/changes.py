"""Change sets: what a device sends (`diff`, `changes_between`) and how it lands (`apply_changes`).

A change set is partial nested data: only the leaves that changed. A leaf that replaces a whole
object (e.g. `gps: null` where the base had `gps: {lat, lon}`) is one change at the object's
path; `apply_changes` then drops every old leaf below that path. Likewise an object replacing a
leaf drops the leaf. Inputs are never mutated; results are fresh dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared_schema.sync.paths import (
    SEPARATOR,
    ancestors,
    flatten,
    records_nothing,
    unflatten,
    value_at,
    values_equal,
)


def diff(base: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """Leaf paths of `current` whose value differs from `base` (removed leaves map to `None`)."""
    cur_flat = flatten(current)
    out: dict[str, Any] = {}
    for path, value in cur_flat.items():
        if not values_equal(value, value_at(base, path)):
            out[path] = value
    for path, old in flatten(base).items():
        if path in cur_flat or any(a in out for a in ancestors(path)):
            continue
        now = value_at(current, path)
        if values_equal(old, now):
            continue
        if isinstance(now, Mapping):
            # An object replaced a leaf. Its differing leaves are already in `out`; if it
            # records nothing, the replacement itself is the change.
            if values_equal(now, {}):
                out[path] = {}
        else:
            out[path] = None
    return out


def changes_between(base: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """Nested partial data a device sends: the changed leaves, or the whole record on create."""
    if base is None:
        return unflatten(flatten(current))
    return unflatten(diff(base, current))


def apply_changes(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay partial nested `data` on `record` leaf by leaf, returning a new dict."""
    flat = flatten(record)
    for path, value in flatten(data).items():
        if path in flat:
            flat[path] = value  # same shape: keep the key's position
            continue
        above = [a for a in ancestors(path) if a in flat]
        if above and flat[above[0]] is not None and records_nothing(value):
            continue  # "not recorded" below a leaf is already true: no reshaping
        prefix = path + SEPARATOR
        for key in [k for k in flat if k == path or k.startswith(prefix)]:
            del flat[key]
        for ancestor in ancestors(path):
            flat.pop(ancestor, None)
        flat[path] = value
    return unflatten(flat)
