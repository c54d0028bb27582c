"""Alembic migrations, run programmatically (`python -m sync_server init-db`).

The schema is only ever created by these migrations, never by `create_all`; a test compares
them with the models (`alembic.autogenerate.compare_metadata`) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> AlembicConfig:
    """An Alembic config that runs on `engine` (no alembic.ini needed)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema down to `revision` (`base` drops everything)."""
    command.downgrade(alembic_config(engine), revision)
