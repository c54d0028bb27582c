"""Published configurations (PROTOCOL.md "Configuration"): the one writer of
`config_versions`, and its readers.

A publication is a new version (the highest plus one), never an edit: a visit names the version
it was filled with and is validated with it, so every version is kept forever. Until the first
publication the table is empty and version 1 is the shipped configuration (with the thresholds
an admin stored before versioned configuration, if any); the first publication writes that
version 1 before its own version 2, so what phones already hold is kept too.

Versions never change, so a process keeps the ones it has built (`_Cache`, per database):
a push loads the version in force with one query and builds only versions it has not seen.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared_schema.config import DEFAULT_CONFIG, ConfigError, RulesConfig, config_from_dict
from shared_schema.config_bundle import (
    BUILTIN_VERSION,
    PARTS,
    ConfigBundle,
    ConfigSet,
    builtin_parts,
    bundle_from_parts,
    bundle_to_dict,
    summarize,
)
from shared_schema.enums import ENUMS, Enumeration, Option
from sync_server.errors import ServiceError
from sync_server.extensions import Database
from sync_server.models import ConfigVersion, Setting
from sync_server.services import audit

LEGACY_RULES_KEY = "rules_config"
"""The settings row that held the admin's thresholds before versioned configuration."""
SYSTEM_AUTHOR = "system"


@dataclass(frozen=True)
class Published:
    """One published version: its body `{"rules", "forms", "enums"}` and who/when/what."""

    version: int
    body: Mapping[str, Any]
    etag: str
    author: str
    created_at: datetime | None  # None: the shipped version 1, not yet written
    summary: list[dict[str, str]]

    def document(self) -> dict[str, Any]:
        """The JSON of `GET /api/v1/config`."""
        return {"version": self.version, **self.body}


def etag_of(version: int, body: Mapping[str, Any]) -> str:
    """A strong ETag naming the version and its content (unquoted; HTTP quotes it)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"cfg-{version}-{digest}"


def _legacy_rules(session: Session) -> RulesConfig:
    row = session.get(Setting, LEGACY_RULES_KEY)
    if row is not None and row.value:
        try:
            return config_from_dict(row.value)
        except (ConfigError, TypeError):
            pass  # a stored value that no longer builds: the shipped rules
    return DEFAULT_CONFIG


def _shipped(session: Session) -> Published:
    body = _normalised(bundle_from_parts(builtin_parts(_legacy_rules(session)), BUILTIN_VERSION))
    return Published(BUILTIN_VERSION, body, etag_of(BUILTIN_VERSION, body), SYSTEM_AUTHOR, None, [])


def _normalised(bundle: ConfigBundle) -> dict[str, Any]:
    doc = bundle_to_dict(bundle)
    return {k: doc[k] for k in PARTS}


def _published(row: ConfigVersion) -> Published:
    return Published(row.version, row.body, row.etag, row.author, row.created_at, row.summary)


def version_in_force(session: Session) -> int:
    """The highest published version (1 before any publication): one indexed query."""
    found = session.scalar(select(func.max(ConfigVersion.version)))
    return int(found) if found is not None else BUILTIN_VERSION


def in_force(session: Session) -> Published:
    """The version in force, with its body."""
    row = session.scalar(select(ConfigVersion).order_by(ConfigVersion.version.desc()).limit(1))
    return _published(row) if row is not None else _shipped(session)


def in_force_etag(session: Session) -> tuple[int, str]:
    """The version in force and its ETag, without reading the body."""
    row = session.execute(
        select(ConfigVersion.version, ConfigVersion.etag)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    ).first()
    if row is None:
        shipped = _shipped(session)
        return shipped.version, shipped.etag
    return int(row[0]), str(row[1])


def get_version(session: Session, version: int) -> Published | None:
    """One published version (None when there is no such version)."""
    row = session.get(ConfigVersion, version)
    if row is not None:
        return _published(row)
    if version == BUILTIN_VERSION and version_in_force(session) == BUILTIN_VERSION:
        return _shipped(session)
    return None


def list_versions(session: Session) -> list[Published]:
    """Every version, newest first, without bodies (`body` is empty)."""
    rows = session.execute(
        select(
            ConfigVersion.version,
            ConfigVersion.etag,
            ConfigVersion.author,
            ConfigVersion.created_at,
            ConfigVersion.summary,
        ).order_by(ConfigVersion.version.desc())
    ).all()
    if not rows:
        shipped = _shipped(session)
        return [Published(shipped.version, {}, shipped.etag, shipped.author, None, [])]
    return [Published(int(v), {}, str(e), str(a), c, list(s or [])) for v, e, a, c, s in rows]


def publish(
    db: Database,
    parts: Mapping[str, Any],
    *,
    actor: str,
    now: datetime,
    base_version: int | None = None,
) -> Published:
    """Publish `parts` (any of `rules`, `forms`, `enums`; a part left out is the version in
    force's) as the next version. A configuration that does not build is a 422 with every
    problem by path; `base_version` other than the version in force is a 409 (someone
    published meanwhile); a configuration identical to the one in force is a 422. Nothing is
    written unless the new version is."""
    unknown = sorted(str(k) for k in parts if k not in PARTS)
    if unknown:
        raise ServiceError(422, "validation", {k: ["unknown key"] for k in unknown})
    try:
        with db.write() as s:
            current = in_force(s)
            if base_version is not None and base_version != current.version:
                raise ServiceError(409, "config_changed", version=current.version)
            version = current.version + 1
            merged = {k: parts[k] if k in parts else current.body[k] for k in PARTS}
            try:
                body = _normalised(bundle_from_parts(merged, version))
            except ConfigError as exc:
                raise ServiceError(422, "validation", exc.errors) from None
            if body == dict(current.body):
                raise ServiceError(422, "config_unchanged", version=current.version)
            if current.created_at is None:  # the shipped version 1, written now: kept forever
                s.add(_row(current, now))
            summary = [asdict(c) for c in summarize(current.body, body)]
            new = Published(version, body, etag_of(version, body), actor[:64], now, summary)
            s.add(_row(new, now))
            _audit(s, actor=actor, new=new, now=now)
            s.flush()
    except IntegrityError:  # another process took this version number first
        with db.read() as r:
            raise ServiceError(409, "config_changed", version=version_in_force(r)) from None
    return new


def _row(p: Published, now: datetime) -> ConfigVersion:
    return ConfigVersion(
        version=p.version,
        body=dict(p.body),
        etag=p.etag,
        summary=p.summary,
        author=p.author,
        created_at=p.created_at or now,
    )


def _audit(session: Session, *, actor: str, new: Published, now: datetime) -> None:
    """The audit log entry of a publication, in the publication's own transaction."""
    audit.record(
        session,
        actor=actor,
        action="config.update",
        target=f"config/{new.version}",
        details={
            "version": new.version,
            "changes": [
                f"{c['area']}.{c['name']} {c['kind']}: {c['detail']}" for c in new.summary[:50]
            ],
        },
        now=now,
    )


# --- the versions a push validates with, built once per process ----------------------------


class _Cache:
    """Built versions of one database (they never change), and the codes of each."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[int, Mapping[str, frozenset[str]]] = {}
        self.rules: dict[int, RulesConfig] = {}
        self.shown: dict[int, Mapping[str, Enumeration]] = {}


_CACHES: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache(session: Session) -> _Cache:
    """The cache of the session's database (keyed on its connection pool, which every engine
    variant of one `Database` shares and which ends with it)."""
    pool = session.get_bind().pool  # type: ignore[union-attr]
    with _CACHES_LOCK:
        cache = _CACHES.get(pool)
        if cache is None:
            cache = _CACHES[pool] = _Cache()
        return cache


def config_set(session: Session) -> ConfigSet:
    """Every version's enumeration codes and the version in force, for one push batch: one
    query for the version in force, more only for versions this process has not built."""
    cache = _cache(session)
    top = version_in_force(session)
    with cache.lock:
        if top == BUILTIN_VERSION and BUILTIN_VERSION not in cache.codes:
            shipped = _shipped(session)  # unwritten version 1 can still change (legacy rules)
            cache.codes[BUILTIN_VERSION] = bundle_from_parts(shipped.body, BUILTIN_VERSION).codes
        missing = [v for v in range(1, top + 1) if v not in cache.codes]
        if missing:
            rows = session.execute(
                select(ConfigVersion.version, ConfigVersion.body).where(
                    ConfigVersion.version.in_(missing)
                )
            ).all()
            for version, body in rows:
                try:
                    cache.codes[int(version)] = bundle_from_parts(body, int(version)).codes
                except ConfigError:  # a stored version that no longer builds: its codes as given
                    cache.codes[int(version)] = _raw_codes(body)
        codes = {v: c for v, c in cache.codes.items() if v <= top}
    return ConfigSet(in_force=top, versions=codes)


def _raw_codes(body: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    enums = body.get("enums") if isinstance(body, Mapping) else None
    if not isinstance(enums, Mapping):
        return {}
    return {
        str(name): frozenset(
            str(o.get("code")) for o in options if isinstance(o, Mapping) and "code" in o
        )
        for name, options in enums.items()
        if isinstance(options, list)
    }


def rules_in_force(session: Session) -> RulesConfig:
    """The rules config of the version in force (what the console's risk flags follow); a
    written version's rules are built once per process."""
    top = version_in_force(session)
    cache = _cache(session)
    if top != BUILTIN_VERSION:
        with cache.lock:
            found = cache.rules.get(top)
        if found is not None:
            return found
    body = in_force(session).body
    try:
        rules = config_from_dict(body["rules"])
    except (ConfigError, KeyError, TypeError):
        return _legacy_rules(session)
    if top != BUILTIN_VERSION:
        with cache.lock:
            cache.rules[top] = rules
    return rules


def shown_enumerations(session: Session) -> Mapping[str, Enumeration] | None:
    """The enumerations a person sees: the version in force's options and labels, then the
    options earlier versions had and it dropped (with their last label), so an older visit's
    code still reads as a label. None before any publication (the shipped labels)."""
    top = version_in_force(session)
    if top == BUILTIN_VERSION:
        return None
    cache = _cache(session)
    with cache.lock:
        found = cache.shown.get(top)
    if found is not None:
        return found
    rows = session.execute(
        select(ConfigVersion.version, ConfigVersion.body).order_by(ConfigVersion.version.desc())
    ).all()
    options: dict[str, dict[str, Option]] = {}
    for _version, body in rows:  # newest first: the first label seen of a code is its last
        enums = body.get("enums") if isinstance(body, Mapping) else None
        for name, listed in (enums or {}).items():
            if name not in ENUMS or not isinstance(listed, list):
                continue
            known = options.setdefault(name, {})
            for o in listed:
                if isinstance(o, Mapping) and isinstance(o.get("code"), str):
                    known.setdefault(
                        o["code"], Option(o["code"], str(o.get("zh", "")), str(o.get("en", "")))
                    )
    shown = {name: Enumeration(name, tuple(by_code.values())) for name, by_code in options.items()}
    with cache.lock:
        cache.shown[top] = shown
    return shown
