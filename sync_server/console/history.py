"""Field-level diffs of a record's version history, for the household page. Pure.

Input is the history service's list of versions, oldest first, each a mapping with `version`,
`deleted`, `data` (the whole record at that version), `changed_fields`, `author`, `client_id`,
`mutation_id`, `created_at`. Each version is compared leaf by leaf with the one before
(`shared_schema.sync.flatten`), so the page shows before → after for every changed field, not
only the names the writer reported. A version that changes nothing is a re-stamp (grid
reassignment) and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared_schema.sync import flatten, values_equal
from sync_server.console.values import format_value, label_of


@dataclass(frozen=True)
class FieldChange:
    """One changed leaf with its label and both values already formatted."""

    path: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionRow:
    """One version of a record, ready for the timeline table."""

    version: int
    created_at: Any
    author: str | None
    client_id: str | None
    mutation_id: int | None
    kind: str  # created | changed | deleted | restored | restamp
    changes: list[FieldChange] = field(default_factory=list)


def _flat(data: Mapping[str, Any] | None) -> dict[str, Any]:
    return flatten(dict(data or {}))


def version_rows(
    entity: str, versions: Sequence[Mapping[str, Any]], lang: str = "zh"
) -> list[VersionRow]:
    """Timeline rows, newest first, each with its field-level changes."""
    rows: list[VersionRow] = []
    previous: dict[str, Any] | None = None
    previous_deleted = False
    for v in versions:
        current = _flat(v.get("data"))
        deleted = bool(v.get("deleted"))
        changes: list[FieldChange] = []
        if previous is None:
            kind = "deleted" if deleted else "created"
            paths = sorted(p for p, value in current.items() if value not in (None, [], {}))
            changes = [
                FieldChange(
                    p, label_of(entity, p, lang), "", format_value(entity, p, current[p], lang)
                )
                for p in paths
            ]
        else:
            for p in sorted(set(previous) | set(current)):
                before, after = previous.get(p), current.get(p)
                if not values_equal(before, after):
                    changes.append(
                        FieldChange(
                            p,
                            label_of(entity, p, lang),
                            format_value(entity, p, before, lang),
                            format_value(entity, p, after, lang),
                        )
                    )
            if deleted and not previous_deleted:
                kind = "deleted"
            elif previous_deleted and not deleted:
                kind = "restored"
            elif changes:
                kind = "changed"
            else:
                kind = "restamp"
        rows.append(
            VersionRow(
                version=int(v["version"]),
                created_at=v.get("created_at"),
                author=v.get("author"),
                client_id=v.get("client_id"),
                mutation_id=v.get("mutation_id"),
                kind=kind,
                changes=changes,
            )
        )
        previous, previous_deleted = current, deleted
    rows.reverse()
    return rows
