"""Every version of a record, oldest first, for the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shared_schema.schemas.records import ENTITIES
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import Record, RecordVersion
from sync_server.services.principal import Principal, require_grid


def record_history(
    db: Database, principal: Principal, entity: str, record_id: str
) -> list[dict[str, Any]]:
    """The versions of one record (404 unknown, 403 outside the scope)."""
    if entity not in ENTITIES:
        raise ServiceError(404, "unknown_entity")
    with db.read() as s:
        rec = s.get(Record, (entity, record_id.lower()))
        if rec is None:
            raise ServiceError(404, "not_found")
        require_grid(s, principal, rec.grid_id)
        rows = s.scalars(
            select(RecordVersion)
            .where(RecordVersion.entity == entity, RecordVersion.record_id == rec.id)
            .order_by(RecordVersion.version)
        )
        return [
            {
                "version": r.version,
                "deleted": r.deleted,
                "data": r.data,
                "changed_fields": r.changed_fields,
                "author": r.author,
                "client_id": r.client_id,
                "mutation_id": r.mutation_id,
                "hlc": r.hlc,
                "created_at": r.created_at,
            }
            for r in rows
        ]
