"""Server backups, restores and the import of a phone's exported outbox (docs/operations.md).

- `archive`: `backup(url, output)` / `restore(url, input)` — SQLite through the online backup
  API, PostgreSQL through `pg_dump --format=custom` / `pg_restore`.
- `outbox`: `read_outbox_file(path)` and `import_outbox(db, payload, username=..., now=...)`,
  which replays a phone's exported mutations through `sync_server.services.sync.push`.
- `command`: the CLI commands `backup`, `restore` and `import-outbox`.
"""

from __future__ import annotations


class BackupError(Exception):
    """A backup, restore or import refused with a reason for the operator (nothing changed)."""
