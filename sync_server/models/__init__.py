"""SQLAlchemy 2 models of the sync server (the schema itself is created by Alembic)."""

from sync_server.models.admin import AuditEntry, ConsoleSession
from sync_server.models.attachments import Attachment
from sync_server.models.base import Base, new_id, utcnow
from sync_server.models.case import CaseEvent, CaseMeasure, MonitoringCase
from sync_server.models.config import ConfigVersion
from sync_server.models.grids import Grid
from sync_server.models.identity import ApiToken, Client, User
from sync_server.models.records import ConflictRow, Record, RecordVersion, Removal
from sync_server.models.sync import MutationLog, Setting, SyncCounter

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Base",
    "CaseEvent",
    "CaseMeasure",
    "Client",
    "ConfigVersion",
    "ConflictRow",
    "ConsoleSession",
    "Grid",
    "MonitoringCase",
    "MutationLog",
    "Record",
    "RecordVersion",
    "Removal",
    "Setting",
    "SyncCounter",
    "User",
    "new_id",
    "utcnow",
]
