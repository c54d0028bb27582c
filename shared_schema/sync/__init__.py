"""Pure sync core: leaf paths, change sets, three-way merge, hybrid logical clock.

The server's push handler and the phone's rebase call these same functions, so both sides
always agree on what a merge produces (docs/sync-core.md). No clock, file or network here.
"""

from shared_schema.sync.changes import apply_changes, changes_between, diff
from shared_schema.sync.hlc import Hlc, receive, tick
from shared_schema.sync.merge import (
    DELETE,
    DELETED_FIELD,
    STATUS_APPLIED,
    STATUS_CONFLICT,
    STATUS_MERGED,
    STATUS_NOOP,
    Conflict,
    Deleted,
    DeleteType,
    MergeResult,
    merge,
    rebase_local,
    resolve_conflict,
)
from shared_schema.sync.paths import (
    ancestors,
    flatten,
    records_nothing,
    unflatten,
    value_at,
    values_equal,
)

__all__ = [
    "DELETE",
    "DELETED_FIELD",
    "STATUS_APPLIED",
    "STATUS_CONFLICT",
    "STATUS_MERGED",
    "STATUS_NOOP",
    "Conflict",
    "DeleteType",
    "Deleted",
    "Hlc",
    "MergeResult",
    "ancestors",
    "apply_changes",
    "changes_between",
    "diff",
    "flatten",
    "merge",
    "rebase_local",
    "receive",
    "records_nothing",
    "resolve_conflict",
    "tick",
    "unflatten",
    "value_at",
    "values_equal",
]
