"""Named points where crash-consistency tests kill the app (no effect in normal runs).

Tests set `hook` to a callable that raises or calls `os._exit` when `reach(name)` is called
with the point they target; the store must then reopen consistent and the next sync finish.
"""

from __future__ import annotations

from collections.abc import Callable

hook: Callable[[str], None] | None = None

POINTS = (
    "save.before_outbox",  # record row written, outbox entry not yet (same transaction)
    "push.numbered",  # mutation ids persisted, request not sent
    "push.sent",  # the server processed the push, its answer not yet recorded
    "push.result",  # inside the results transaction, after one result
    "pull.change",  # inside a page's transaction, after one change
    "pull.before_cursor",  # page applied, cursor not yet advanced (same transaction)
    "pull.page_done",  # page and cursor committed, next page not yet requested
    "encrypt.checkpointed",  # key file saved; plaintext WAL folded in, journal mode DELETE
    "encrypt.exported",  # encrypted temp copy written, not verified, plaintext still in place
    "encrypt.verified",  # temp copy verified and fsynced, not yet renamed over the plaintext
    "encrypt.swapped",  # encrypted file renamed into place, temp side files not yet removed
)


def reach(name: str) -> None:
    """Mark that execution reached a named point."""
    if hook is not None:
        hook(name)
