"""Import the outbox a phone exported to a file (it will never reach the network again).

The file (written by `mobile_app.store.export.export_outbox`, format in docs/operations.md) is
`{"format": "tianye-outbox", "format_version": 1, "sha256": <hex>, "payload": {...}}` where
`sha256` is the digest of the payload's canonical JSON (sorted keys, no spaces, UTF-8), so a
truncated or altered file is refused before anything is written.

Decisions:
- The mutations go through `sync_server.services.sync.push` as the phone's own client, acting
  as the named worker (their role and scope): the same validation, merge, conflict rows and
  exactly-once log as a real sync. Importing a file twice, or a file whose mutation ids the
  server already processed (the phone had pushed part of it), replays the stored results and
  applies nothing new.
- The file must name the same user as `--as-user`, and the client must be unknown to the
  server or belong to that user: one worker's edits are never filed under another's name.
  An unknown client (its row lost, e.g. a restored older backup) is registered for the user.
- Batches of at most `MAX_MUTATIONS`, each one push transaction. A gap in the ids or an
  out-of-scope batch (the worker's grid was moved since) stops the import with the reason;
  batches before it stay applied, so after the fix (e.g. `assign-grid` back) the same file is
  imported again safely.
- Parked and rejected edits in the file were already refused by the server; they are counted
  and listed for the supervisor, never applied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from shared_schema.schemas.protocol import MAX_MUTATIONS, PushRequestSchema
from sync_server.backup import BackupError
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import Client, User
from sync_server.services.principal import Principal
from sync_server.services.sync import push

FORMAT = "tianye-outbox"
FORMAT_VERSION = 1


def canonical_bytes(payload: Any) -> bytes:
    """The bytes the checksum covers: sorted keys, no spaces, UTF-8, no NaN."""
    text = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def read_outbox_file(path: str | Path) -> dict[str, Any]:
    """The verified payload of an exported outbox file; BackupError says what is wrong."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not complete JSON (truncated or damaged): {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Tianye outbox export")
    if document.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} has format_version {document.get('format_version')!r}; "
            f"this server reads {FORMAT_VERSION}"
        )
    payload = document.get("payload")
    expected = document.get("sha256")
    if not isinstance(payload, dict) or not isinstance(expected, str):
        raise BackupError(f"{path} lacks its payload or checksum")
    actual = hashlib.sha256(canonical_bytes(payload)).hexdigest()
    if actual != expected.lower():
        raise BackupError(f"{path}: checksum mismatch (the file was altered or damaged)")
    return payload


@dataclass
class ImportReport:
    """What an import did: statuses of new mutations, replays, where and why it stopped."""

    client_id: str
    username: str
    mutations: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    replayed: int = 0
    conflicts: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    last_mutation_id: int = 0
    parked_in_file: int = 0
    rejected_in_file: int = 0
    stopped: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _validated(payload: dict[str, Any]) -> dict[str, Any]:
    request = {
        "client_id": payload.get("client_id"),
        "schema_version": payload.get("schema_version"),
        "mutations": payload.get("mutations"),
    }
    try:
        loaded: dict[str, Any] = PushRequestSchema().load(request)
    except ValidationError as exc:
        raise BackupError(f"the outbox file holds invalid mutations: {exc.messages}") from exc
    ids = [m["mutation_id"] for m in loaded["mutations"]]
    if ids != sorted(set(ids)):
        raise BackupError("the outbox file's mutation ids are not strictly increasing")
    return loaded


def _principal(
    db: Database, username: str, client_id: str, device: str, now: datetime
) -> Principal:
    """The worker as the phone's client (registered for them if the server lost the row)."""
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise BackupError(f"no active user {username!r}")
        client = s.get(Client, client_id)
        if client is None:
            s.add(
                Client(
                    client_id=client_id,
                    user_id=user.id,
                    device_name=device[:100],
                    last_mutation_id=0,
                    created_at=now,
                )
            )
        elif client.user_id != user.id:
            raise BackupError(f"client {client_id} belongs to another user, not {username!r}")
        return Principal(
            user_id=user.id,
            username=user.username,
            role=user.role,
            display_name=user.display_name,
            township=user.township,
            client_id=client_id,
        )


def _last_processed(db: Database, client_id: str) -> int:
    with db.read() as s:
        client = s.get(Client, client_id)
        return client.last_mutation_id if client is not None else 0


def import_outbox(
    db: Database, payload: dict[str, Any], *, username: str, now: datetime, lang: str = "en"
) -> ImportReport:
    """Replay a verified outbox payload through the push service as `username`'s client."""
    loaded = _validated(payload)
    client_id: str = loaded["client_id"]
    file_user = payload.get("username")
    if file_user is not None and file_user != username:
        raise BackupError(f"the file was exported by {file_user!r}, not {username!r}")
    device = str(payload.get("device_name") or "imported outbox")
    principal = _principal(db, username, client_id, device, now)
    report = ImportReport(client_id=client_id, username=username)
    report.parked_in_file = len(payload.get("parked") or [])
    report.rejected_in_file = len(payload.get("rejected") or [])
    mutations = loaded["mutations"]
    report.mutations = len(mutations)
    already = _last_processed(db, client_id)
    report.last_mutation_id = already
    for start in range(0, len(mutations), MAX_MUTATIONS):
        batch = mutations[start : start + MAX_MUTATIONS]
        try:
            outcome = push(db, principal, client_id, batch, lang=lang, now=now)
        except ServiceError as exc:
            report.stopped = exc.key
            report.detail = {"first_mutation_id": batch[0]["mutation_id"], "errors": exc.errors}
            return report
        for sent, result in zip(batch, outcome.results, strict=False):
            if sent["mutation_id"] <= already:
                report.replayed += 1
                continue
            status = result["status"]
            report.applied[status] = report.applied.get(status, 0) + 1
            report.conflicts += result.get("conflicts") or []
            if status == "rejected":
                report.rejected.append(
                    {"mutation_id": sent["mutation_id"], "errors": result.get("errors") or {}}
                )
        report.last_mutation_id = outcome.last_mutation_id
        if outcome.gap:
            report.stopped = "mutation_gap"
            done = len(outcome.results)
            report.detail = {
                "server_last_mutation_id": outcome.last_mutation_id,
                "next_in_file": batch[done]["mutation_id"] if done < len(batch) else None,
            }
            return report
    return report
