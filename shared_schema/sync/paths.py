"""Leaf paths: nested records as flat `{dotted.path: value}` maps, and value comparison.

Merging works leaf by leaf (PROTOCOL.md: nested objects merge key by key, lists are single
values), so every merge step starts by flattening. Decisions (docs/sync-core.md):

- A list is one leaf. An empty object is kept as the leaf `{}` so flatten/unflatten round-trip.
- A missing leaf, a `null` leaf and an object recording nothing (all its leaves null or `{}`)
  compare equal (`values_equal`): all mean "not recorded".
- `true`/`false` never equal `1`/`0` (JSON types differ even though Python's `==` says so);
  `1` and `1.0` are the same JSON number.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

SEPARATOR = "."

_ATOMIC = frozenset({str, int, float, bool, type(None)})
"""Leaf types `copy.deepcopy` returns as they are: copying them is skipped (a hot path)."""


def _check_key(key: object, where: str) -> str:
    """A record key must be a non-empty string without the separator."""
    if not isinstance(key, str):
        raise TypeError(f"field names must be strings, got {key!r} in {where or 'the record'}")
    if not key or SEPARATOR in key:
        raise ValueError(
            f"invalid field name {key!r} in {where or 'the record'}: "
            "names are non-empty and contain no '.'"
        )
    return key


def _is_mapping(value: Any) -> bool:
    """`isinstance(value, Mapping)`, answering the JSON types without the slower ABC check."""
    kind = type(value)
    if kind is dict:
        return True
    if kind in _ATOMIC or kind is list:
        return False
    return isinstance(value, Mapping)


def flatten(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """Turn a nested record into `{dotted.path: leaf}`; `None` gives `{}`."""
    if record is None:
        return {}
    if not _is_mapping(record):
        raise TypeError(f"a record must be a mapping, got {type(record).__name__}")
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if type(key) is not str or not key or SEPARATOR in key:
                key = _check_key(key, prefix.rstrip(SEPARATOR))
            path = prefix + key
            if not _is_mapping(value):
                out[path] = value
            elif value:
                walk(value, path + SEPARATOR)
            else:
                out[path] = {}

    walk(record, "")
    return out


def unflatten(paths: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of `flatten`: build a new nested dict (leaf values are deep-copied).

    A `{}` leaf and leaves below the same path combine into one object (an object value is
    expanded into its own leaves first); a path that is both a non-object leaf and the parent
    of another leaf, or given twice, is a `ValueError`.
    """
    if not _is_mapping(paths):
        raise TypeError(f"paths must be a mapping, got {type(paths).__name__}")
    leaves: list[tuple[str, Any]] = []
    for path, value in paths.items():
        if not isinstance(path, str):
            raise TypeError(f"paths must be strings, got {path!r}")
        if _is_mapping(value) and value:
            leaves += [(path + SEPARATOR + sub, v) for sub, v in flatten(value).items()]
        else:
            leaves.append((path, value))
    root: dict[str, Any] = {}
    for path, value in leaves:
        node = root
        last = path
        if SEPARATOR in path:
            parts = path.split(SEPARATOR)
            for depth, part in enumerate(parts[:-1]):
                if not part:
                    _check_key(part, SEPARATOR.join(parts[:depth]))
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise ValueError(f"path {path!r} goes through a leaf value")
                node = child
            last = parts[-1]
            if not last:
                _check_key(last, SEPARATOR.join(parts[:-1]))
        elif not last:
            _check_key(last, "")
        if _is_mapping(value):
            if not isinstance(node.setdefault(last, {}), dict):
                raise ValueError(f"path {path!r} is both a leaf value and an object")
        elif last in node:
            raise ValueError(f"path {path!r} is given twice or is also an object")
        else:
            node[last] = _copied(value)
    return root


def _copied(value: Any) -> Any:
    """`copy.deepcopy(value)`, faster for the JSON leaves (scalars, lists of them)."""
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if kind is list:
        return [_copied(item) for item in value]
    return copy.deepcopy(value)


def ancestors(path: str) -> list[str]:
    """The object paths above a leaf path: `"a.b.c"` -> `["a", "a.b"]`."""
    parts = path.split(SEPARATOR)
    return [SEPARATOR.join(parts[:i]) for i in range(1, len(parts))]


def value_at(record: Mapping[str, Any] | None, path: str) -> Any:
    """The value (leaf or whole sub-object) at a dotted path; `None` when missing."""
    node: Any = record
    for part in path.split(SEPARATOR):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def records_nothing(value: Any) -> bool:
    """`None`, or an object all of whose leaves are `None` or `{}`: "not recorded"."""
    if value is None:
        return True
    return isinstance(value, Mapping) and all(records_nothing(v) for v in value.values())


def values_equal(a: Any, b: Any) -> bool:
    """JSON equality for merging: missing == null == an object recording nothing;
    bool != number; objects compare key by key."""
    if records_nothing(a) or records_nothing(b):
        return records_nothing(a) and records_nothing(b)
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        if not (isinstance(a, Mapping) and isinstance(b, Mapping)):
            return False
        return all(values_equal(a.get(k), b.get(k)) for k in set(a) | set(b))
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        if not (isinstance(a, list | tuple) and isinstance(b, list | tuple)):
            return False
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
