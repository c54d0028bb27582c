"""The HTML input for one field, and the typed value read back from it — for the console's
"type a value" choices (conflict resolution).

Pure (no Flask). What a field is comes from the shared form definitions (`FIELD_KINDS`: its
enumeration and widget): a select shows the enumeration's labels, a multi-select one checkbox
per code, a yes/no field a choice with a blank, numbers and dates their HTML input types. A
field no form describes (an object, a list of photos) keeps a JSON text box, the one case where
a supervisor types raw JSON. The value read back is checked here for its shape only; the
record's own schema judges it when the resolution is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shared_schema.enums import enumeration as shown_enumeration
from sync_server.console.values import FIELD_KINDS

NUMBER_WIDGETS = {"number": "any", "money": "0.01", "integer": "1"}
TEXT_WIDGETS = {"text", "textarea", "id_number", "phone"}


class InputError(ValueError):
    """A typed value that does not fit the field's input (messages in both languages)."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh, self.message_en = message_zh, message_en

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


@dataclass(frozen=True)
class InputSpec:
    """How to draw the input: `kind` is select, multiselect, yesno, number, date, datetime,
    textarea, text or json; `value` is the current value as the form shows it."""

    kind: str
    value: Any
    options: Sequence[tuple[str, str]] = field(default_factory=tuple)
    step: str = ""
    multiline: bool = False


def input_spec(entity: str, path: str, value: Any, lang: str) -> InputSpec:
    """The input for `entity.path`, pre-filled with `value` (normally the server's)."""
    enum, widget = FIELD_KINDS.get((entity, path), (None, ""))
    enumeration = shown_enumeration(enum) if enum else None
    if enumeration is not None:
        options = tuple((code, enumeration.label(code, lang)) for code in enumeration.codes)
        if widget == "multiselect":
            chosen = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
            return InputSpec("multiselect", chosen, options)
        return InputSpec("select", value if isinstance(value, str) else "", options)
    if widget == "checkbox" or isinstance(value, bool):
        return InputSpec("yesno", "" if value is None else ("true" if value else "false"))
    if widget in NUMBER_WIDGETS:
        shown = "" if value is None or isinstance(value, bool) else str(value)
        return InputSpec("number", shown, step=NUMBER_WIDGETS[widget])
    if widget in ("date", "datetime"):
        return InputSpec(widget, value if isinstance(value, str) else "")
    if widget in TEXT_WIDGETS:
        kind = "textarea" if widget == "textarea" else "text"
        return InputSpec(kind, value if isinstance(value, str) else "")
    return InputSpec("json", json.dumps(value, ensure_ascii=False))


def parse_input(entity: str, path: str, form: Mapping[str, Sequence[str]]) -> Any:
    """The typed value the form submitted for `entity.path` (`form`: field name -> values,
    the input is named `value`); raises InputError when it does not fit the input."""
    values = list(form.get("value") or [])
    raw = (values[0] if values else "").strip()
    spec = input_spec(entity, path, None, "zh")
    if spec.kind == "multiselect":
        codes = {code for code, _ in spec.options}
        chosen = [v for v in values if v]
        if any(v not in codes for v in chosen):
            raise InputError("选择了未知的选项", "An unknown option was chosen")
        return chosen
    if raw == "":
        return None
    if spec.kind == "select":
        if raw not in {code for code, _ in spec.options}:
            raise InputError("选择了未知的选项", "An unknown option was chosen")
        return raw
    if spec.kind == "yesno":
        if raw not in ("true", "false"):
            raise InputError("请选择“是”或“否”", "Choose yes or no")
        return raw == "true"
    if spec.kind == "number":
        return _number(raw, integer=spec.step == "1")
    if spec.kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise InputError("日期格式应为 年-月-日", "A date is YYYY-MM-DD") from None
    if spec.kind == "datetime":
        try:
            return datetime.fromisoformat(raw).isoformat()
        except ValueError:
            raise InputError("时间格式不正确", "Not a date and time") from None
    if spec.kind == "json":
        try:
            return json.loads(raw)
        except ValueError:
            raise InputError("不是有效的 JSON 值", "Not a valid JSON value") from None
    return raw


def _number(raw: str, *, integer: bool) -> int | float:
    try:
        number = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise InputError("请输入数字", "Enter a number") from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        raise InputError("数字超出范围", "The number is out of range")
    if integer and number != number.to_integral_value():
        raise InputError("请输入整数", "Enter a whole number")
    return int(number) if number == number.to_integral_value() else float(number)
