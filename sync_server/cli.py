"""Command line: `python -m sync_server <command>`; one function per command, so others
(e.g. `seed-demo`) add theirs with `@command(...)` in their own module and `register`.

Commands: init-db, create-user, list-users, update-user, set-password, deactivate-user,
activate-user, create-grid, assign-grid, serve, openapi, and those of the modules in `PLUGINS`
(e.g. `seed-demo` from `sync_server.seed.command`), imported on start.

Passwords are never taken from the command line, where `ps` and shell histories show them:
they are read from standard input (`--password-stdin`, or whenever stdin is not a terminal:
one line) or asked for twice at a prompt (getpass). `--password -` still reads standard
input, for scripts written before; any other `--password` value is refused. Every admin
command is audited with the actor `cli:<os user>`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync_server.config import Config
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.slow_clients import THREADS as SLOW_CLIENT_THREADS

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler, str]] = {}
ROOT = Path(__file__).resolve().parent.parent
PLUGINS: tuple[str, ...] = (
    "sync_server.seed.command",
    "sync_server.backup.command",
)


def command(
    name: str, help_text: str, arguments: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Handler], Handler]:
    """Register a subcommand: `arguments` adds its options, the decorated function runs it."""

    def wrap(fn: Handler) -> Handler:
        COMMANDS[name] = (arguments, fn, help_text)
        return fn

    return wrap


def database(args: argparse.Namespace) -> Database:
    """The database of `--database-url` or `DATABASE_URL`."""
    url = getattr(args, "database_url", None)
    return Database(Config(**({"DATABASE_URL": url} if url else {})).DATABASE_URL)


def _now() -> datetime:
    return datetime.now(UTC)


def _no_args(parser: argparse.ArgumentParser) -> None:
    pass


@command("init-db", "create or upgrade the database schema (Alembic)", _no_args)
def init_db(args: argparse.Namespace) -> int:
    from sync_server.migrations import upgrade

    db = database(args)  # a SQLite file and its folder are created private (extensions.py)
    assert db.engine is not None
    upgrade(db.engine)
    db.dispose()
    print("database ready")
    return 0


class CliError(Exception):
    """A refusal of the command line itself (bad usage): printed, exit status 2."""


def cli_actor() -> str:
    """Who the audit log names for a CLI action."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli"


def _password_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    p.add_argument(
        "--password",
        metavar="-",
        help="only '-' (read standard input); a password on the command line is refused",
    )


def read_password(args: argparse.Namespace) -> str:
    """The password from standard input or a prompt (never from argv)."""
    given = getattr(args, "password", None)
    if given is not None and given != "-":
        raise CliError(
            "passwords are not taken from the command line (ps shows it to every user): "
            "use --password-stdin, or type it at the prompt"
        )
    if getattr(args, "password_stdin", False) or given == "-" or not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise CliError("the two passwords differ")
    if not password:
        raise CliError("no password given")
    return password


def _validated(schema: Any, body: dict[str, Any]) -> None:
    """The API's own field rules, as a ServiceError (exit 1 with the field errors)."""
    from shared_schema.schemas.protocol import validate_payload

    errors = validate_payload(schema, body)
    if errors:
        raise ServiceError(422, "validation", errors)


def _user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--username", required=True)
    _password_args(p)
    p.add_argument("--role", required=True, choices=("worker", "supervisor", "admin"))
    p.add_argument("--grid", action="append", default=[], dest="grids")
    p.add_argument("--township")
    p.add_argument("--display-name")


@command("create-user", "create a user (a worker's --grid ... are assigned to them)", _user_args)
def create_user(args: argparse.Namespace) -> int:
    from shared_schema.schemas.protocol import UserCreateSchema
    from sync_server.services.admin import create_user as create

    body = {
        "username": args.username,
        "password": read_password(args),
        "role": args.role,
        "display_name": args.display_name or args.username,
        "grids": args.grids,
        "township": args.township,
    }
    _validated(UserCreateSchema, body)
    user = create(database(args), now=_now(), actor=cli_actor(), **body)
    print(json.dumps(user, ensure_ascii=False))
    return 0


def _update(args: argparse.Namespace, changes: dict[str, Any]) -> int:
    from shared_schema.schemas.protocol import UserUpdateSchema
    from sync_server.services.admin import update_user

    _validated(UserUpdateSchema, changes)
    user = update_user(database(args), args.username, changes, now=_now(), actor=cli_actor())
    print(json.dumps(user, ensure_ascii=False))
    return 0


def _username_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--username", required=True)


def _set_password_args(p: argparse.ArgumentParser) -> None:
    _username_arg(p)
    _password_args(p)


@command(
    "set-password",
    "set a user's password (every token and console session of theirs ends)",
    _set_password_args,
)
def set_password(args: argparse.Namespace) -> int:
    return _update(args, {"password": read_password(args)})


@command(
    "deactivate-user",
    "deactivate a user: they cannot sign in; their tokens and sessions end (never deleted)",
    _username_arg,
)
def deactivate_user(args: argparse.Namespace) -> int:
    return _update(args, {"active": False})


@command("activate-user", "reactivate a deactivated user", _username_arg)
def activate_user(args: argparse.Namespace) -> int:
    return _update(args, {"active": True})


def _update_args(p: argparse.ArgumentParser) -> None:
    _username_arg(p)
    p.add_argument("--role", choices=("worker", "supervisor", "admin"))
    p.add_argument(
        "--grid", action="append", dest="grids", help="a worker's grids (replaces the list)"
    )
    p.add_argument("--no-grids", action="store_true", help="release every grid of the worker")
    p.add_argument("--township")
    p.add_argument("--display-name")


@command(
    "update-user",
    "change a user's role, grids, township or display name (a role change ends their sessions)",
    _update_args,
)
def update_user(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.role:
        changes["role"] = args.role
    if args.no_grids:
        changes["grids"] = []
    elif args.grids is not None:
        changes["grids"] = args.grids
    if args.township is not None:
        changes["township"] = args.township or None
    if args.display_name:
        changes["display_name"] = args.display_name
    if not changes:
        raise CliError(
            "nothing to change: give --role, --grid, --no-grids, --township or --display-name"
        )
    return _update(args, changes)


@command("list-users", "list users with their role, scope and state", _no_args)
def list_users(args: argparse.Namespace) -> int:
    from sync_server.services.admin import list_users as users

    for user in users(database(args)):
        print(json.dumps(user, ensure_ascii=False))
    return 0


def _grid_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--village", required=True)
    p.add_argument("--township", required=True)


@command("create-grid", "create a grid", _grid_args)
def create_grid(args: argparse.Namespace) -> int:
    from sync_server.services.admin import create_grid as create

    grid = create(
        database(args),
        grid_id=args.id,
        name=args.name,
        village=args.village,
        township=args.township,
        now=_now(),
        actor=cli_actor(),
    )
    print(json.dumps(grid, ensure_ascii=False))
    return 0


def _assign_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grid", required=True)
    p.add_argument("--username", required=True)


@command("assign-grid", "move a grid to a worker", _assign_args)
def assign_grid(args: argparse.Namespace) -> int:
    from sync_server.services.admin import assign_grid as assign

    moved = assign(
        database(args), grid_id=args.grid, username=args.username, now=_now(), actor=cli_actor()
    )
    print(json.dumps(moved))
    return 0


# gunicorn's default keep-alive (2 s) closes idle connections while clients still reuse them: a
# phone between two pull pages, a reverse proxy's pooled upstream connections (nginx keeps them
# up to 60 s). A request racing that close fails ("connection reset"); `bench load` found it.
# Idle kept-alive connections wait in the worker's poller and hold no thread.
KEEP_ALIVE_SECONDS = 75


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--timeout", type=int, default=60)
    p.add_argument(
        "--keep-alive",
        type=int,
        default=KEEP_ALIVE_SECONDS,
        help="seconds an idle connection stays open (longer than the reverse proxy's)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=SLOW_CLIENT_THREADS,
        help="threads per worker (gthread): slow clients and long streamed exports each hold "
        "one (sync_server/slow_clients.py)",
    )


@command("serve", "run the server under gunicorn (N worker processes, one database)", _serve_args)
def serve(args: argparse.Namespace) -> int:
    url = getattr(args, "database_url", None)
    if url:
        os.environ["DATABASE_URL"] = url
    # Console sessions are signed with SECRET_KEY: every worker process must share one key, so
    # an unset key is made once here and inherited (set it yourself to share it across hosts
    # or restarts).
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    # Without Redis each worker counts sign-in attempts in its own memory and allows its share.
    os.environ["SERVER_PROCESSES"] = str(args.workers)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--timeout",
        str(args.timeout),
        "--threads",
        str(args.threads),
        "--keep-alive",
        str(args.keep_alive),
        "--access-logfile",
        "-" if os.environ.get("GUNICORN_ACCESS_LOG") else "/dev/null",
        "--worker-class",
        "sync_server.gunicorn_worker.TianyeThreadWorker",
        "--config",
        "python:sync_server.gunicorn_conf",
        "sync_server.wsgi:app",
    ]
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover


def _openapi_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", default=str(ROOT / "openapi.json"))
    p.add_argument("--check", action="store_true", help="exit 1 if the file differs")


def openapi_text() -> str:
    """The OpenAPI document as committed (sorted keys, 2-space indent)."""
    from sync_server import create_app

    app = create_app({"DATABASE_URL": "sqlite://"})
    spec = app.extensions["tianye_api"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@command("openapi", "write the OpenAPI document to openapi.json", _openapi_args)
def openapi(args: argparse.Namespace) -> int:
    text = openapi_text()
    path = Path(args.output)
    if args.check:
        same = path.exists() and path.read_text(encoding="utf-8") == text
        print("openapi.json is up to date" if same else "openapi.json is stale")
        return 0 if same else 1
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of every registered command."""
    import importlib

    for module in PLUGINS:
        importlib.import_module(module)  # registers its commands

    root = argparse.ArgumentParser(prog="python -m sync_server")
    root.add_argument("--database-url", help="defaults to $DATABASE_URL")
    subs = root.add_subparsers(dest="command", required=True)
    for name, (arguments, _fn, help_text) in COMMANDS.items():
        arguments(subs.add_parser(name, help=help_text))
    return root


def main(argv: list[str] | None = None) -> int:
    """Run a command; service refusals print their reason and exit 1."""
    args = parser().parse_args(argv)
    _arguments, fn, _help = COMMANDS[args.command]
    try:
        return fn(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:
        detail: dict[str, Any] = {"error": exc.key, "errors": exc.errors}
        print(json.dumps(detail, ensure_ascii=False), file=sys.stderr)
        return 1
