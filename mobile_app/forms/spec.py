"""The app's reading of a shared form definition: sections of fields with kind, enum, labels.

The definition is read through `form_to_dict` (its stable JSON shape, the one the server serves
to phones), so a cached server copy and the bundled one go through the same code; `source`
keeps the `FormDef` for the shared relevance evaluator. Labels come from the definition, or
from `shared_schema.labels` when a definition has none.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

# Widget kinds the renderer knows; unknown kinds fall back to a text input.
TEXT_KINDS = frozenset({"text", "textarea", "phone", "id_number"})
NUMBER_KINDS = frozenset({"number", "money", "integer"})
KNOWN_KINDS = TEXT_KINDS | NUMBER_KINDS | {
    "date", "datetime", "select", "multiselect", "checkbox", "gps", "photos", "flags",
}  # fmt: skip


@dataclass(frozen=True)
class FieldSpec:
    """One input: dotted wire path, widget kind, enumeration, labels, relevance condition."""

    path: str
    kind: str
    label_zh: str
    label_en: str
    enum: str | None = None
    required: bool = False
    unit_zh: str | None = None
    unit_en: str | None = None
    help_zh: str | None = None
    help_en: str | None = None
    relevant: str | None = None
    entity: str = ""  # the record the path belongs to; "computed" for read-only values
    computed: str | None = None  # the key in shared_schema.forms.computed_values

    @property
    def is_computed(self) -> bool:
        return self.computed is not None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh

    def unit(self, lang: str) -> str | None:
        return self.unit_en if lang == "en" else self.unit_zh

    def help(self, lang: str) -> str | None:
        return self.help_en if lang == "en" else self.help_zh


@dataclass(frozen=True)
class SectionSpec:
    """A titled group of fields (one page of the form on the phone)."""

    key: str
    title_zh: str
    title_en: str
    fields: tuple[FieldSpec, ...] = ()
    kind: str = "fields"  # "fields", or "members" for the summary pointing at the member form

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh


@dataclass(frozen=True)
class FormSpec:
    """A whole form: its id, version, entity and sections in order."""

    form_id: str
    version: int
    entity: str
    sections: tuple[SectionSpec, ...] = field(default_factory=tuple)
    source: Any = None  # the shared definition, for relevance evaluation

    def fields(self) -> list[FieldSpec]:
        return [f for s in self.sections for f in s.fields]

    def field(self, path: str) -> FieldSpec:
        for f in self.fields():
            if f.path == path:
                return f
        raise KeyError(path)


def _pair(obj: dict[str, Any], name: str) -> tuple[str | None, str | None]:
    """(zh, en) of a bilingual attribute written as `name: {zh, en}`, `name_zh`/`name_en`,
    or a `(zh, en)` pair."""
    value = obj.get(name)
    if isinstance(value, dict):
        return value.get("zh"), value.get("en")
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, str):
        return value, obj.get(f"{name}_en") or value
    return obj.get(f"{name}_zh"), obj.get(f"{name}_en")


def _field(entity: str, raw: dict[str, Any]) -> FieldSpec:
    from shared_schema.labels import field_label, field_unit

    path = raw["path"]
    zh, en = _pair(raw, "label")
    owner = raw.get("entity") or entity
    if zh is None:
        with contextlib.suppress(KeyError):
            zh, en = field_label(owner, path, "zh"), field_label(owner, path, "en")
    unit_zh, unit_en = _pair(raw, "unit")
    if unit_zh is None and owner != "computed":
        unit_zh, unit_en = field_unit(owner, path, "zh"), field_unit(owner, path, "en")
    help_zh, help_en = _pair(raw, "help")
    kind = raw.get("widget") or raw.get("kind") or "text"
    return FieldSpec(
        path=path,
        kind=kind if kind in KNOWN_KINDS else "text",
        label_zh=zh or path,
        label_en=en or zh or path,
        enum=raw.get("enum"),
        required=bool(raw.get("required")),
        unit_zh=unit_zh,
        unit_en=unit_en or unit_zh,
        help_zh=help_zh,
        help_en=help_en or help_zh,
        relevant=raw.get("relevant") or None,
        entity=raw.get("entity") or entity,
        computed=raw.get("computed"),
    )


def form_spec(form: Any, entity: str | None = None) -> FormSpec:
    """Read a shared form definition (a `FormDef` or its JSON dict) into a FormSpec.

    Raises the shared `FormError`/`ConditionError` for a malformed downloaded definition.
    """
    from shared_schema.forms import form_from_dict, form_to_dict

    if isinstance(form, dict):
        raw, form = form, form_from_dict(form)
    else:
        raw = form_to_dict(form)
    entity = entity or raw.get("entity") or str(raw.get("form_id", "")).split("_")[0]
    sections = []
    for s in raw.get("sections", []):
        key = s.get("key") or s.get("id") or s.get("name")
        zh, en = _pair(s, "title")
        if zh is None:
            zh, en = _pair(s, "label")
        fields = tuple(_field(entity, f) for f in s.get("fields", []) if f.get("path"))
        kind = "members" if s.get("subform") == "member" else "fields"
        sections.append(SectionSpec(key, zh or key, en or zh or key, fields, kind))
    return FormSpec(
        form_id=str(raw.get("form_id", entity)),
        version=int(raw.get("version", 1)),
        entity=entity,
        sections=tuple(sections),
        source=form,
    )
