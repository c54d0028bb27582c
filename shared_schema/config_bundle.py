"""A published configuration: the rules config, the forms and the enumerations as one version.

PROTOCOL.md "Configuration": the server publishes `{"version", "rules", "forms", "enums"}`,
keeps every published version forever, and validates a visit with the version it was filled
with. This module is the pure half of that: building a bundle from JSON (every problem named by
its path, nothing half-built), the JSON form, a reader's summary of what changed between two
versions, and `ConfigSet` — which enumeration codes a record is validated with.

Decisions (docs/rules-and-forms.md "Published configurations"):
- Version 1 is the configuration this code ships (`builtin_bundle`); the server stores it as
  version 1 when its table is created, so it is kept like any later version.
- The enumeration *names* and form ids are fixed by the record schemas (a field the schema does
  not know cannot be added by configuration); their options may be added, removed, reordered
  and relabelled, except the codes the code itself names (`FIXED_CODES`).
- A form may reorder, relabel, re-explain, require or hide (relevance) and drop fields, but
  not add a field the record schemas do not know, change a field's widget or enumeration, or
  raise a list's `max_items` above the shipped one (a new question needs a new app release).
- Every select names an enumeration of the same bundle; every code a rule reads exists in its
  enumeration; `visit_interval_days` names monitoring categories of the bundle (and `none`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from shared_schema.config import (
    DEFAULT_CONFIG,
    ConfigError,
    RulesConfig,
    config_from_dict,
    config_to_dict,
)
from shared_schema.enums import ENUMS, Enumeration, Option
from shared_schema.forms import FORMS, FormDef, form_from_dict, form_to_dict
from shared_schema.forms.relevance import ConditionError

BUILTIN_VERSION: Final = 1
"""The version number of the configuration this code ships."""

PARTS: Final = ("rules", "forms", "enums")
MAX_LABEL = 200
MAX_OPTIONS = 200
_CODE = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")

FIXED_CODES: Final[Mapping[str, frozenset[str]]] = {
    # codes the schemas, rules or the server name in code: removing one would break them
    "review_status": frozenset(ENUMS["review_status"].codes),
    "relation": frozenset({"head", "spouse"}),
    "sex": frozenset({"male", "female"}),
    "health": frozenset({"disabled"}),
    "water_source": frozenset({"tap"}),
    "risk": frozenset({"disaster"}),
    "member_status": frozenset({"deceased"}),
}

RULE_CODE_ENUMS: Final[Mapping[str, str]] = {
    # rules config key -> the enumeration its codes come from
    "ill_health_codes": "health",
    "no_labor_codes": "labor_ability",
    "worker_labor_codes": "labor_ability",
    "excused_dropout_reasons": "not_in_school_reason",
    "unsafe_house_grades": "house_grade",
}


@dataclass(frozen=True)
class ConfigBundle:
    """One published configuration, built and checked."""

    version: int
    rules: RulesConfig
    forms: Mapping[str, FormDef]
    enums: Mapping[str, Enumeration]
    codes: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        codes = {name: frozenset(e.codes) for name, e in self.enums.items()}
        object.__setattr__(self, "codes", codes)


def enums_to_dict(enums: Mapping[str, Enumeration]) -> dict[str, list[dict[str, str]]]:
    """Enumerations as the wire carries them: name → [{code, zh, en}] in display order."""
    return {
        name: [{"code": o.code, "zh": o.zh, "en": o.en} for o in e.options]
        for name, e in enums.items()
    }


def bundle_to_dict(bundle: ConfigBundle) -> dict[str, Any]:
    """The JSON of `GET /api/v1/config`."""
    return {
        "version": bundle.version,
        "rules": config_to_dict(bundle.rules),
        "forms": {form_id: form_to_dict(f) for form_id, f in bundle.forms.items()},
        "enums": enums_to_dict(bundle.enums),
    }


def builtin_parts(rules: RulesConfig | None = None) -> dict[str, Any]:
    """The shipped forms and enumerations (and `rules`, else the default rules) as JSON parts."""
    return {
        "rules": config_to_dict(rules or DEFAULT_CONFIG),
        "forms": {form_id: form_to_dict(f) for form_id, f in FORMS.items()},
        "enums": enums_to_dict(ENUMS),
    }


def builtin_bundle(rules: RulesConfig | None = None) -> ConfigBundle:
    """Version 1: the configuration this code ships."""
    return bundle_from_parts(builtin_parts(rules), BUILTIN_VERSION)


def _text_ok(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value.strip()) > 0
        and len(value) <= MAX_LABEL
        and not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value)
    )


def _build_enums(data: Any, errors: dict[str, list[str]]) -> dict[str, Enumeration]:
    def bad(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not isinstance(data, Mapping):
        bad("enums", "must map enumeration names to lists of options")
        return {}
    for name in data:
        if name not in ENUMS:
            bad(f"enums.{name}", "unknown enumeration (the record schemas fix the names)")
    built: dict[str, Enumeration] = {}
    for name in ENUMS:
        where = f"enums.{name}"
        options = data.get(name)
        if options is None:
            bad(where, "missing")
            continue
        if not isinstance(options, list) or not options or len(options) > MAX_OPTIONS:
            bad(where, f"must be a list of 1 to {MAX_OPTIONS} options")
            continue
        parsed: list[Option] = []
        for i, option in enumerate(options):
            if not isinstance(option, Mapping) or set(option) != {"code", "zh", "en"}:
                bad(f"{where}.{i}", "an option is exactly {code, zh, en}")
                continue
            code = option["code"]
            if not isinstance(code, str) or not _CODE.fullmatch(code):
                bad(f"{where}.{i}.code", "a code is 1-64 of a-z, 0-9 and _")
                continue
            for lang in ("zh", "en"):
                if not _text_ok(option[lang]):
                    bad(f"{where}.{code}.{lang}", f"a label of 1-{MAX_LABEL} printable characters")
            parsed.append(Option(code, str(option["zh"]), str(option["en"])))
        codes = [o.code for o in parsed]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            bad(where, f"duplicate codes: {', '.join(duplicates)}")
        missing = sorted(FIXED_CODES.get(name, frozenset()) - set(codes))
        if missing and len(parsed) == len(options):
            bad(where, f"codes the server relies on cannot be removed: {', '.join(missing)}")
        built[name] = Enumeration(name, tuple(parsed))
    return built


def _build_forms(data: Any, errors: dict[str, list[str]]) -> dict[str, FormDef]:
    if not isinstance(data, Mapping):
        errors.setdefault("forms", []).append("must map form ids to form definitions")
        return {}
    for form_id in data:
        if form_id not in FORMS:
            errors.setdefault(f"forms.{form_id}", []).append("unknown form")
    built: dict[str, FormDef] = {}
    for form_id, shipped in FORMS.items():
        where = f"forms.{form_id}"
        if form_id not in data:
            errors.setdefault(where, []).append("missing")
            continue
        try:
            form = form_from_dict(data[form_id])
        except (ValueError, ConditionError) as exc:  # FormError, ConditionError
            errors.setdefault(where, []).append(str(exc))
            continue
        if form.form_id != form_id or form.entity != shipped.entity:
            errors.setdefault(where, []).append(
                f"must be form {form_id!r} of entity {shipped.entity!r}"
            )
            continue
        shipped_fields = {(f.entity, f.path): f for f in shipped.fields()}
        for f in form.fields():
            known = shipped_fields.get((f.entity, f.path))
            if known is None:
                errors.setdefault(f"{where}.{f.path}", []).append(
                    "not a field of the record schemas (a new question needs a new app)"
                )
            elif f.enum != known.enum or f.widget != known.widget:
                errors.setdefault(f"{where}.{f.path}", []).append(
                    f"must stay a {known.widget} of enumeration {known.enum!r}"
                    if known.enum
                    else f"must stay a {known.widget}"
                )
            elif known.max_items is not None and not 1 <= (f.max_items or 0) <= known.max_items:
                errors.setdefault(f"{where}.{f.path}", []).append(
                    f"max_items must be 1 to {known.max_items} (the record schema's limit)"
                )
        built[form_id] = form
    return built


def _cross_check(
    rules: RulesConfig | None,
    forms: Mapping[str, FormDef],
    enums: Mapping[str, Enumeration],
    errors: dict[str, list[str]],
) -> None:
    """Every select names an enumeration of the bundle; every code a rule reads exists."""
    for form_id, form in forms.items():
        for f in form.fields():
            if f.enum is not None and f.enum not in enums and f.enum in ENUMS:
                continue  # that enumeration already has its own error
            if f.enum is not None and f.enum not in enums:
                errors.setdefault(f"forms.{form_id}.{f.path}", []).append(
                    f"unknown enumeration {f.enum!r}"
                )
    if rules is None:
        return
    codes = {name: set(e.codes) for name, e in enums.items()}

    def unknown(key: str, enum_name: str, values: Iterator[str]) -> None:
        if enum_name not in codes:
            return
        missing = sorted(set(values) - codes[enum_name])
        if missing:
            errors.setdefault(f"rules.{key}", []).append(
                f"not codes of {enum_name}: {', '.join(missing)}"
            )

    for key, enum_name in RULE_CODE_ENUMS.items():
        unknown(key, enum_name, iter(getattr(rules, key)))
    unknown("check_risk_codes", "risk", (c for cs in rules.check_risk_codes.values() for c in cs))
    unknown("suggested_risks", "risk", iter(rules.suggested_risks.values()))
    unknown(
        "visit_interval_days",
        "monitor_category",
        (k for k in rules.visit_interval_days if k != "none"),
    )


def bundle_from_parts(data: Any, version: int) -> ConfigBundle:
    """Build and check `{"rules", "forms", "enums"}` as `version`; `ConfigError` names every
    problem by its path (`rules.monitoring_threshold`, `enums.risk.3.code`, `forms.visit`)."""
    if not isinstance(data, Mapping):
        raise ConfigError({"_schema": ["a configuration is a JSON object"]})
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in PARTS:
            errors.setdefault(str(key), []).append("unknown key")
    for key in PARTS:
        if key not in data:
            errors.setdefault(key, []).append("missing")
    if errors:
        raise ConfigError(errors)
    rules: RulesConfig | None = None
    try:
        rules = config_from_dict(data["rules"])
    except ConfigError as exc:
        errors.update({f"rules.{k}": v for k, v in exc.errors.items()})
    except TypeError as exc:
        errors["rules"] = [str(exc)]
    enums = _build_enums(data["enums"], errors)
    forms = _build_forms(data["forms"], errors)
    _cross_check(rules, forms, enums, errors)
    if errors or rules is None:
        raise ConfigError(errors)
    return ConfigBundle(version=version, rules=rules, forms=forms, enums=enums)


def bundle_from_dict(data: Mapping[str, Any]) -> ConfigBundle:
    """Rebuild a bundle from `bundle_to_dict` output (what a phone caches)."""
    version = data.get("version") if isinstance(data, Mapping) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError({"version": ["must be an integer >= 1"]})
    return bundle_from_parts({k: v for k, v in data.items() if k != "version"}, version)


# --- what changed between two versions ---------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One line of a diff summary: `area` (rules, enums, forms), `name` (a rules key, an
    enumeration, a form), `kind` and what the reader needs to see."""

    area: str
    name: str
    kind: str  # changed | added | removed | relabelled | reordered
    detail: str


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def summarize(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[Change]:
    """What `after` changes against `before` (both `{"rules", "forms", "enums"}` JSON)."""
    if before is None:
        return []
    out: list[Change] = []
    old_rules, new_rules = before.get("rules") or {}, after.get("rules") or {}
    for key in dict.fromkeys([*old_rules, *new_rules]):
        if key == "version" or old_rules.get(key) == new_rules.get(key):
            continue
        if isinstance(new_rules.get(key), Mapping) and isinstance(old_rules.get(key), Mapping):
            old_map, new_map = old_rules[key], new_rules[key]
            for sub in dict.fromkeys([*old_map, *new_map]):
                if old_map.get(sub) != new_map.get(sub):
                    detail = f"{_short(old_map.get(sub, '—'))} → {_short(new_map.get(sub, '—'))}"
                    out.append(Change("rules", f"{key}.{sub}", "changed", detail))
            continue
        detail = f"{_short(old_rules.get(key, '—'))} → {_short(new_rules.get(key, '—'))}"
        out.append(Change("rules", key, "changed", detail))
    old_enums, new_enums = before.get("enums") or {}, after.get("enums") or {}
    for name in dict.fromkeys([*old_enums, *new_enums]):
        old = {o["code"]: o for o in old_enums.get(name) or []}
        new = {o["code"]: o for o in new_enums.get(name) or []}
        for code in new.keys() - old.keys():
            out.append(
                Change("enums", name, "added", f"{code} ({new[code]['zh']} / {new[code]['en']})")
            )
        for code in old.keys() - new.keys():
            out.append(Change("enums", name, "removed", code))
        for code in old.keys() & new.keys():
            o, n = old[code], new[code]
            if (o["zh"], o["en"]) != (n["zh"], n["en"]):
                detail = f"{code}: {o['zh']} / {o['en']} → {n['zh']} / {n['en']}"
                out.append(Change("enums", name, "relabelled", detail))
        kept_old = [c for c in old if c in new]
        kept_new = [c for c in new if c in old]
        if kept_old != kept_new:
            out.append(Change("enums", name, "reordered", ", ".join(kept_new)))
    old_forms, new_forms = before.get("forms") or {}, after.get("forms") or {}
    for form_id in dict.fromkeys([*old_forms, *new_forms]):
        old_fields = _form_fields(old_forms.get(form_id))
        new_fields = _form_fields(new_forms.get(form_id))
        for path in new_fields.keys() - old_fields.keys():
            out.append(Change("forms", form_id, "added", path))
        for path in old_fields.keys() - new_fields.keys():
            out.append(Change("forms", form_id, "removed", path))
        for path in sorted(old_fields.keys() & new_fields.keys()):
            o, n = old_fields[path], new_fields[path]
            keys = sorted(k for k in {*o, *n} if o.get(k) != n.get(k))
            if keys:
                out.append(Change("forms", form_id, "changed", f"{path}: {', '.join(keys)}"))
        if (
            old_fields
            and new_fields
            and old_forms.get(form_id) != new_forms.get(form_id)
            and not any(c.area == "forms" and c.name == form_id for c in out)
        ):
            out.append(Change("forms", form_id, "changed", "sections"))
    return sorted(out, key=lambda c: (PARTS.index(c.area), c.name, c.kind, c.detail))


def _form_fields(form: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(form, Mapping):
        return {}
    return {
        str(f.get("path")): f
        for section in form.get("sections") or []
        if isinstance(section, Mapping)
        for f in section.get("fields") or []
        if isinstance(f, Mapping)
    }


# --- which codes a record is validated with ---------------------------------------------


@dataclass(frozen=True)
class ConfigSet:
    """Every published version's enumeration codes and the version in force, loaded once per
    push batch. A visit is validated with the codes of its `form_version`; see `codes_for`."""

    in_force: int
    versions: Mapping[int, Mapping[str, frozenset[str]]]
    union: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        union: dict[str, set[str]] = {}
        for codes in self.versions.values():
            for name, values in codes.items():
                union.setdefault(name, set()).update(values)
        object.__setattr__(self, "union", {k: frozenset(v) for k, v in union.items()})

    def knows(self, version: Any) -> bool:
        return (
            isinstance(version, int) and not isinstance(version, bool) and version in self.versions
        )

    def codes_for(
        self, entity: str, data: Mapping[str, Any], whole: bool
    ) -> Mapping[str, frozenset[str]]:
        """The codes `data` of `entity` is checked with (`whole`: a whole record, else a
        client's partial changes).

        A visit: its `form_version`'s codes; a visit without one is a visit of an app older
        than versioned configuration, so version 1 when whole, and for partial changes that
        do not name it, the codes of any version (the merged whole record is then checked
        with its own version). Households and members carry no version: any published
        version's codes (a phone that has not synced for weeks never loses a record).
        """
        if entity != "visit":
            return self.union
        version = data.get("form_version")
        if isinstance(version, int) and self.knows(version):
            return self.versions[version]
        if version is None and whole:
            return self.versions.get(BUILTIN_VERSION, self.union)
        return self.union
