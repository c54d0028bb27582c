"""The building blocks of a declarative form: fields, sections, forms, and their JSON form.

A form definition is data: the phone renders it, the console displays it, the server serves
it as JSON (`form_to_dict`) and a phone may rebuild a newer one it downloaded
(`form_from_dict`). Everything is checked when it is built: an unknown widget, a select
without an enumeration, a duplicate path or an unsafe `relevant` condition raises `FormError`
(or `ConditionError`) at definition time, never while a worker fills the form.

`required` means "required while the field is relevant"; `required_when` makes a field required
only when a condition holds (data, e.g. `visit_type == 'elimination_check'`), so one form serves
visit types with different evidence rules. `entity` says which record a path belongs to
(`visit`, `member`, `household`), or `computed` for read-only values the app computes by
calling `shared_schema.forms.live.computed_values` (`computed` names the key).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from shared_schema.forms.relevance import compile_condition

WIDGETS: tuple[str, ...] = (
    "text",
    "number",
    "money",
    "integer",
    "date",
    "datetime",
    "select",
    "multiselect",
    "checkbox",
    "textarea",
    "id_number",
    "phone",
    "gps",
    "photos",
    "flags",  # read-only list of live risk flags (computed)
    "photo",  # evidence: photos of one attachment kind (PROTOCOL.md "Attachments")
    "signature",  # evidence: the household's drawn signature (one PNG attachment)
    "geopoint",  # a position with accuracy and fix time, taken when the visit starts
)
EVIDENCE_WIDGETS: frozenset[str] = frozenset({"photo", "signature"})
"""Widgets whose value is the visit's `attachments` items of the field's `attachment_kind`;
their path is `attachments.<kind>` (see `evidence_path`)."""
ENUM_WIDGETS: frozenset[str] = frozenset({"select", "multiselect"})
ENTITIES: tuple[str, ...] = ("household", "member", "visit", "computed")


class FormError(ValueError):
    """A form definition is inconsistent (what and where is in the message)."""


def evidence_path(kind: str) -> str:
    """The form path of the evidence field holding a visit's attachments of `kind`."""
    return f"attachments.{kind}"


@dataclass(frozen=True)
class FieldDef:
    """One input (or read-only computed value) of a form."""

    path: str
    widget: str
    label_zh: str
    label_en: str
    entity: str
    enum: str | None = None
    required: bool = False
    unit_zh: str | None = None
    unit_en: str | None = None
    help_zh: str = ""
    help_en: str = ""
    relevant: str | None = None
    read_only: bool = False
    computed: str | None = None
    max_items: int | None = None
    attachment_kind: str | None = None
    required_when: str | None = None

    def __post_init__(self) -> None:
        where = f"field {self.path!r}"
        if not self.path or any(not part.isidentifier() for part in self.path.split(".")):
            raise FormError(f"{where}: a path is dotted identifiers")
        if self.widget not in WIDGETS:
            raise FormError(f"{where}: unknown widget {self.widget!r}")
        if self.entity not in ENTITIES:
            raise FormError(f"{where}: unknown entity {self.entity!r}")
        if (self.widget in ENUM_WIDGETS) != (self.enum is not None):
            raise FormError(f"{where}: select and multiselect need an enum, other widgets none")
        if not self.label_zh or not self.label_en:
            raise FormError(f"{where}: labels in both languages are required")
        if (self.entity == "computed") != (self.computed is not None):
            raise FormError(f"{where}: computed fields name their value, and only they do")
        if self.computed is not None and (not self.read_only or self.required):
            raise FormError(f"{where}: a computed field is read-only and not required")
        if self.max_items is not None and self.widget not in ("multiselect", "photos", "photo"):
            raise FormError(f"{where}: max_items applies to lists only")
        if (self.widget in EVIDENCE_WIDGETS) != (self.attachment_kind is not None):
            raise FormError(f"{where}: photo and signature fields name an attachment kind")
        if self.attachment_kind is not None and (
            self.entity != "visit" or self.path != evidence_path(self.attachment_kind)
        ):
            raise FormError(
                f"{where}: an evidence field is a visit's 'attachments.{self.attachment_kind}'"
            )
        if self.required_when is not None:
            if self.required or self.read_only:
                raise FormError(f"{where}: required_when is for optional, editable fields")
            compile_condition(self.required_when)
        if self.relevant is not None:
            compile_condition(self.relevant)

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang == "en" else self.label_zh

    def unit(self, lang: str = "zh") -> str | None:
        return self.unit_en if lang == "en" else self.unit_zh

    def help(self, lang: str = "zh") -> str:
        return self.help_en if lang == "en" else self.help_zh


@dataclass(frozen=True)
class SectionDef:
    """A titled group of fields; `subform` points at a repeated form (the members list)."""

    key: str
    title_zh: str
    title_en: str
    fields: tuple[FieldDef, ...] = ()
    relevant: str | None = None
    subform: str | None = None
    help_zh: str = ""
    help_en: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        if not self.key.isidentifier():
            raise FormError(f"section {self.key!r}: a key is an identifier")
        if not self.title_zh or not self.title_en:
            raise FormError(f"section {self.key!r}: titles in both languages are required")
        if not self.fields and self.subform is None:
            raise FormError(f"section {self.key!r}: has neither fields nor a subform")
        if self.relevant is not None:
            compile_condition(self.relevant)

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh


@dataclass(frozen=True)
class FormDef:
    """A versioned form: its sections in display order."""

    form_id: str
    version: int
    entity: str
    title_zh: str
    title_en: str
    sections: tuple[SectionDef, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sections", tuple(self.sections))
        if not self.form_id.isidentifier():
            raise FormError(f"form {self.form_id!r}: an id is an identifier")
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 1:
            raise FormError(f"form {self.form_id!r}: version is a positive integer")
        if self.entity not in ENTITIES[:3]:
            raise FormError(f"form {self.form_id!r}: unknown entity {self.entity!r}")
        keys = [s.key for s in self.sections]
        if len(set(keys)) != len(keys):
            raise FormError(f"form {self.form_id!r}: duplicate section keys")
        paths = [f.path for f in self.fields()]
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        if duplicates:
            raise FormError(f"form {self.form_id!r}: duplicate field paths {duplicates}")

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang == "en" else self.title_zh

    def fields(self) -> Iterator[FieldDef]:
        """Every field in display order."""
        for section in self.sections:
            yield from section.fields

    def field(self, path: str) -> FieldDef:
        """The field at a path; KeyError when the form has none."""
        for f in self.fields():
            if f.path == path:
                return f
        raise KeyError(f"form {self.form_id!r} has no field {path!r}")

    def section(self, key: str) -> SectionDef:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"form {self.form_id!r} has no section {key!r}")


def _plain(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def form_to_dict(form: FormDef) -> dict[str, Any]:
    """The form as JSON-ready nested dicts and lists (the shape `form_from_dict` reads)."""
    data = _plain(form)
    data["sections"] = [
        {**_plain(s), "fields": [_plain(f) for f in s.fields]} for s in form.sections
    ]
    return data


def _build(cls: type[Any], data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise FormError(f"{where}: expected an object")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise FormError(f"{where}: unknown keys {unknown}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise FormError(f"{where}: {exc}") from None


def form_from_dict(data: Mapping[str, Any]) -> FormDef:
    """Rebuild (and fully re-check) a form from `form_to_dict` output; raises `FormError`."""
    if not isinstance(data, Mapping):
        raise FormError("a form definition must be an object")
    sections = []
    for i, section in enumerate(data.get("sections") or []):
        if not isinstance(section, Mapping):
            raise FormError(f"section {i}: expected an object")
        built_fields = tuple(
            _build(FieldDef, f, f"section {i} field {j}")
            for j, f in enumerate(section.get("fields") or [])
        )
        sections.append(_build(SectionDef, {**section, "fields": built_fields}, f"section {i}"))
    result: FormDef = _build(FormDef, {**data, "sections": tuple(sections)}, "form")
    return result
