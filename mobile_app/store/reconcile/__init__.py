"""Folding server answers into the store, each answer in ONE transaction, in three phases:
load (one round of queries, typed rows) → decide (pure: `pull_decision`, `push_decision`,
`admission`; plain data in and out, no SQL, no clock) → apply (the owning modules' writers).

- `prepare_batch`: number the next outbox entries (persisted before the request is sent).
- `record_push_results`: store each mutation's result AND drop its outbox entry together.
- `apply_pull_page`: apply a pulled page AND advance the cursor together, rebasing dirty
  records with `shared_schema.sync.rebase_local` so pulled state never overwrites a pending
  edit; a version the phone cannot store is parked alone and the page goes on.
- `park_and_renumber` / `renumber_from`: the 403 and 409 recoveries of docs/protocol-notes.md.

A crash between any two of these leaves a store the next sync completes (tests/mobile_app/
test_crash*.py kill a child process at each step).
"""

from mobile_app.store.reconcile.pull import apply_open_conflicts, apply_pull_page
from mobile_app.store.reconcile.push import (
    park_and_renumber,
    prepare_batch,
    record_push_results,
    renumber_from,
    wire_size,
)

__all__ = [
    "apply_open_conflicts",
    "apply_pull_page",
    "park_and_renumber",
    "prepare_batch",
    "record_push_results",
    "renumber_from",
    "wire_size",
]
