"""The phone's local SQLite store: one `Database`, repositories returning dataclasses.

Typical use (the UI helper's entry point)::

    store = Store(path)
    store.records.save("household", hid, data, now=now, hlc_node=store.session.client_id())
    store.households.list(search="张", filters=["overdue"], today=date.today())

`Store(path, key=dek)` opens the file through SQLCipher; the app never does that itself but
goes through `mobile_app.store.vault.StoreVault`, which keeps the key wrapped under the PIN
and password. See docs/mobile-store.md for the tables and the decisions behind them.
"""

from __future__ import annotations

from pathlib import Path

from mobile_app.store.database import Database
from mobile_app.store.drafts import count_drafts
from mobile_app.store.models import (
    ConflictNotice,
    Draft,
    Household,
    HouseholdSummary,
    OutboxEntry,
    ParkedEdit,
    Record,
    RejectedMutation,
    Session,
    SyncState,
    ValidationFailed,
)
from mobile_app.store.notices import ConflictRepository
from mobile_app.store.outbox import OutboxRepository, count_entries
from mobile_app.store.parked import ParkedRepository
from mobile_app.store.queries import (
    FILTERS,
    SORTS,
    HouseholdRepository,
    MemberRepository,
    VisitRepository,
)
from mobile_app.store.records import RecordRepository, Validator
from mobile_app.store.rejected import RejectedRepository
from mobile_app.store.settings import ConfigRepository, SessionRepository
from mobile_app.store.sync_state import SyncStateRepository


class Store:
    """Every repository over one Database, for the app and the sync runner."""

    def __init__(
        self,
        path: str | Path | Database,
        *,
        validator: Validator | None = None,
        key: bytes | None = None,
    ) -> None:
        """`key`: the raw 256-bit SQLCipher key (the app's case); None opens plain SQLite."""
        self.db = path if isinstance(path, Database) else Database(path, key=key)
        self.records = RecordRepository(self.db, validator=validator)
        self.households = HouseholdRepository(self.db)
        self.members = MemberRepository(self.db)
        self.visits = VisitRepository(self.db)
        self.outbox = OutboxRepository(self.db)
        self.sync_state = SyncStateRepository(self.db)
        self.rejected = RejectedRepository(self.db)
        self.conflicts = ConflictRepository(self.db)
        self.parked = ParkedRepository(self.db)
        self.config = ConfigRepository(self.db)
        self.session = SessionRepository(self.db)

    def unsynced_count(self) -> int:
        """Outbox entries plus unsaved drafts: the work that would be lost with this store."""
        return count_entries(self.db) + count_drafts(self.db)

    def close(self) -> None:
        """Close the database connections."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "FILTERS",
    "SORTS",
    "ConfigRepository",
    "ConflictNotice",
    "ConflictRepository",
    "Database",
    "Draft",
    "Household",
    "HouseholdRepository",
    "HouseholdSummary",
    "MemberRepository",
    "OutboxEntry",
    "OutboxRepository",
    "ParkedEdit",
    "ParkedRepository",
    "Record",
    "RecordRepository",
    "RejectedMutation",
    "RejectedRepository",
    "Session",
    "SessionRepository",
    "Store",
    "SyncState",
    "SyncStateRepository",
    "ValidationFailed",
    "VisitRepository",
]
