"""Server configuration, read from the environment (12-factor) with safe local defaults.

Keys: `DATABASE_URL` (default `sqlite:///<instance>/tianye.sqlite3`; `postgresql://` is
rewritten to the psycopg 3 driver), `SECRET_KEY`, `REDIS_URL` (optional: the sign-in rate
limits in Redis, shared by every process, instead of each process's memory), `LOG_LEVEL`,
`LOGIN_MAX_FAILURES` / `LOGIN_WINDOW_SECONDS` (sign-in attempts per username and address, with
backoff: docs/security.md), `LOGIN_MAX_FAILURES_PER_IP` (attempts per address, any username;
default 5 × per username: many phones share a township's address), `TRUST_PROXY=1` (behind one
reverse proxy: take the client IP from `X-Forwarded-For`), `MAX_PUSH_BYTES` / `MAX_MUTATIONS`
(413 limits), `MAX_REQUEST_BYTES` (cap on any request body, compressed or not),
`CONSOLE_SECURE_COOKIES` (`auto`, the default: console cookies are Secure when the request came
over HTTPS, directly or through a proxy trusted with `TRUST_PROXY`; `1`: always, the setting
for a server behind HTTPS; `0`: never), `RATE_LIMIT_KEY_PREFIX` (default `tianye`: the prefix of
the rate-limit keys in Redis, for deployments sharing one Redis), `SERVER_PROCESSES` (set by
`serve` to its worker count: without Redis each process counts sign-ins on its own and allows
its share of the limit), `TIME_ZONE` (the deployment's zone for everything shown to people and
for "today": an IANA name or a fixed offset such as `UTC+8`; default `Asia/Shanghai`),
`REQUEST_HEADER_TIMEOUT` / `REQUEST_BODY_TIMEOUT` / `REQUEST_BODY_MIN_RATE` (15 s, 20 s, 500
bytes/s: the slow-client deadlines of `sync_server/slow_clients.py`, read by each `serve` worker
at start).
Attachments (docs/attachments.md): `ATTACHMENTS_DIR` (default `<instance>/attachments`), or
`ATTACHMENTS_S3_BUCKET` with `ATTACHMENTS_S3_ENDPOINT` / `ATTACHMENTS_S3_REGION` for
S3-compatible storage (credentials: the usual `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`),
`ATTACHMENT_MAX_BYTES` (`Tus-Max-Size`, default 10 MiB), `ATTACHMENT_MAX_PIXELS` (Pillow's
decompression-bomb limit, default 50 million), `ATTACHMENT_SPOOL_DIR` (local temp files of
uploads in progress; default the system temp dir).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from shared_schema.schemas.protocol import MAX_MUTATIONS, MAX_PUSH_BYTES
from shared_schema.schemas.visit import MAX_ATTACHMENT_BYTES
from shared_schema.timefmt import DEFAULT_TIME_ZONE

INSTANCE_DIR = Path(os.environ.get("TIANYE_INSTANCE", Path.cwd() / "instance"))
SECURE_COOKIE_VALUES = ("auto", "1", "true", "yes", "on", "0", "false", "no", "off")


def secure_cookies_setting(value: str) -> str:
    """`CONSOLE_SECURE_COOKIES` checked at start: a typo must not silently mean "auto"."""
    setting = value.strip().lower()
    if setting not in SECURE_COOKIE_VALUES:
        raise ValueError(
            f"CONSOLE_SECURE_COOKIES={value!r}: use one of {', '.join(SECURE_COOKIE_VALUES)}"
        )
    return setting


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
        self.CONSOLE_SECURE_COOKIES = secure_cookies_setting(
            env.get("CONSOLE_SECURE_COOKIES", "auto")
        )
        self.RATE_LIMIT_KEY_PREFIX = env.get("RATE_LIMIT_KEY_PREFIX") or "tianye"
        self.SERVER_PROCESSES = int(env.get("SERVER_PROCESSES", "1"))
        self.ATTACHMENTS_DIR = env.get("ATTACHMENTS_DIR", str(INSTANCE_DIR / "attachments"))
        self.ATTACHMENTS_S3_BUCKET = env.get("ATTACHMENTS_S3_BUCKET") or None
        self.ATTACHMENTS_S3_ENDPOINT = env.get("ATTACHMENTS_S3_ENDPOINT") or None
        self.ATTACHMENTS_S3_REGION = env.get("ATTACHMENTS_S3_REGION", "us-east-1")
        self.ATTACHMENT_MAX_BYTES = int(env.get("ATTACHMENT_MAX_BYTES", str(MAX_ATTACHMENT_BYTES)))
        self.ATTACHMENT_MAX_PIXELS = int(env.get("ATTACHMENT_MAX_PIXELS", "50000000"))
        self.ATTACHMENT_SPOOL_DIR = env.get("ATTACHMENT_SPOOL_DIR") or None
        self.TESTING = False
        for key, value in overrides.items():
            if key == "DATABASE_URL":
                value = normalize_database_url(value)
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        """The settings as Flask config keys."""
        return {k: v for k, v in vars(self).items() if k.isupper()}
