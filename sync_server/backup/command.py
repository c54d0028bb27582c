"""`python -m sync_server backup | restore | import-outbox | backup-files | restore-files |
expire-uploads` (docs/operations.md, docs/attachments.md).

Each prints one JSON line describing what it did and exits 0; a refusal prints
`{"error": ...}` on stderr and exits 1 having changed nothing (an import stopped part-way
keeps the batches before the stop, which a re-run replays exactly once).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sync_server.backup import BackupError
from sync_server.cli import _now, command, database
from sync_server.config import Config


def _url(args: argparse.Namespace) -> str:
    url = getattr(args, "database_url", None)
    return Config(**({"DATABASE_URL": url} if url else {})).DATABASE_URL


def _refuse(exc: BackupError) -> int:
    print(json.dumps({"error": str(exc)}, ensure_ascii=False), file=sys.stderr)
    return 1


def _print(body: dict[str, Any]) -> None:
    print(json.dumps(body, ensure_ascii=False, default=str))


def _backup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", required=True, help="new file to write (never overwritten)")


@command("backup", "write a consistent backup of the database (safe while serving)", _backup_args)
def backup_command(args: argparse.Namespace) -> int:
    from sync_server.backup.archive import backup

    try:
        info = backup(_url(args), args.output)
    except BackupError as exc:
        return _refuse(exc)
    _print(
        {
            "backup": str(info.path),
            "backend": info.backend,
            "bytes": info.size,
            "revision": info.revision,
        }
    )
    return 0


def _restore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, help="a file written by `backup`")
    p.add_argument(
        "--advance-versions",
        type=int,
        default=0,
        metavar="N",
        help="raise the version counter by N after restoring an older backup, so phones whose "
        "pull cursor is ahead of it see new changes (docs/operations.md)",
    )


@command(
    "restore",
    "restore a backup (SQLite: into a new or empty file; PostgreSQL: replaces the database)",
    _restore_args,
)
def restore_command(args: argparse.Namespace) -> int:
    from sync_server.backup.archive import restore

    try:
        info = restore(_url(args), args.input, advance_versions=args.advance_versions)
    except BackupError as exc:
        return _refuse(exc)
    _print({"restored": str(args.input), "backend": info.backend, "revision": info.revision})
    return 0


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--file", required=True, help="an outbox file exported by the app")
    p.add_argument("--as-user", required=True, help="the worker whose phone exported it")
    p.add_argument("--lang", default="zh", choices=("zh", "en"), help="language of field errors")


@command(
    "import-outbox",
    "apply a phone's exported outbox through the push service (exactly once)",
    _import_args,
)
def import_outbox_command(args: argparse.Namespace) -> int:
    from sync_server.backup.outbox import import_outbox, read_outbox_file

    db = database(args)
    try:
        payload = read_outbox_file(args.file)
        report = import_outbox(db, payload, username=args.as_user, now=_now(), lang=args.lang)
    except BackupError as exc:
        return _refuse(exc)
    finally:
        db.dispose()
    _print(report.as_dict())
    return 1 if report.stopped else 0


def _files_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", required=True, help="a directory (kept: later runs copy new files)")


def _storage() -> Any:
    from sync_server.storage import storage_from_config

    return storage_from_config(Config().as_dict())


@command(
    "backup-files",
    "copy every complete attachment file and thumbnail into a directory (incremental)",
    _files_args,
)
def backup_files_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sync_server.backup.files import backup_files

    report = backup_files(_storage(), Path(args.output))
    _print({"backup_files": args.output, **vars(report)})
    return 0


def _restore_files_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, help="a directory written by `backup-files`")


@command(
    "restore-files",
    "put the attachment files of a `backup-files` directory back into the storage",
    _restore_files_args,
)
def restore_files_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sync_server.backup.files import restore_files

    try:
        report = restore_files(_storage(), Path(args.input))
    except BackupError as exc:
        return _refuse(exc)
    _print({"restored_files": args.input, **vars(report)})
    return 0


@command(
    "expire-uploads",
    "drop unfinished attachment uploads untouched for 7 days (also runs hourly in the server)",
    lambda p: None,
)
def expire_uploads_command(args: argparse.Namespace) -> int:
    from sync_server.services.attachments import expire_uploads

    db = database(args)
    try:
        dropped = expire_uploads(db, _storage(), now=_now())
    finally:
        db.dispose()
    _print({"expired_uploads": len(dropped), "sha256": dropped})
    return 0
