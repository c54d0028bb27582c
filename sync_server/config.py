"""Server configuration, read from the environment (12-factor) with safe local defaults.

Keys: `DATABASE_URL` (default `sqlite:///<instance>/tianye.sqlite3`; `postgresql://` is
rewritten to the psycopg 3 driver), `SECRET_KEY`, `REDIS_URL` (optional: login rate limit in
Redis instead of the database), `LOG_LEVEL`, `LOGIN_MAX_FAILURES` / `LOGIN_WINDOW_SECONDS`
(rate limit per username), `LOGIN_MAX_FAILURES_PER_IP` (default 5 × per username: many phones
share a township's address), `TRUST_PROXY=1` (behind one reverse proxy: take the client IP from
`X-Forwarded-For`), `MAX_PUSH_BYTES` / `MAX_MUTATIONS` (413 limits), `MAX_REQUEST_BYTES` (cap on
any request body, compressed or not), `TIME_ZONE` (the deployment's zone for everything shown to
people and for "today": an IANA name or a fixed offset such as `UTC+8`; default `Asia/Shanghai`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from shared_schema.schemas.protocol import MAX_MUTATIONS, MAX_PUSH_BYTES
from shared_schema.timefmt import DEFAULT_TIME_ZONE

INSTANCE_DIR = Path(os.environ.get("TIANYE_INSTANCE", Path.cwd() / "instance"))


def normalize_database_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain PostgreSQL URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Defaults overridden by environment variables; `create_app(config)` overrides both."""

    def __init__(self, **overrides: Any) -> None:
        env = os.environ
        self.DATABASE_URL = normalize_database_url(
            env.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tianye.sqlite3'}")
        )
        self.SECRET_KEY = env.get("SECRET_KEY") or secrets.token_hex(32)
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
        self.LOGIN_MAX_FAILURES = int(env.get("LOGIN_MAX_FAILURES", "10"))
        self.LOGIN_WINDOW_SECONDS = int(env.get("LOGIN_WINDOW_SECONDS", "900"))
        self.LOGIN_MAX_FAILURES_PER_IP = int(
            env.get("LOGIN_MAX_FAILURES_PER_IP", str(5 * self.LOGIN_MAX_FAILURES))
        )
        self.TRUST_PROXY = env.get("TRUST_PROXY", "0") == "1"
        self.MAX_PUSH_BYTES = int(env.get("MAX_PUSH_BYTES", str(MAX_PUSH_BYTES)))
        self.MAX_MUTATIONS = int(env.get("MAX_MUTATIONS", str(MAX_MUTATIONS)))
        self.MAX_REQUEST_BYTES = int(env.get("MAX_REQUEST_BYTES", str(MAX_PUSH_BYTES)))
        self.TIME_ZONE = env.get("TIME_ZONE") or DEFAULT_TIME_ZONE
        self.TESTING = False
        for key, value in overrides.items():
            if key == "DATABASE_URL":
                value = normalize_database_url(value)
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        """The settings as Flask config keys."""
        return {k: v for k, v in vars(self).items() if k.isupper()}
