"""Schema instances in different languages never share their messages (threads on the server)."""

from __future__ import annotations

import threading

from marshmallow import ValidationError

from shared_schema.schemas.examples import example_visit
from shared_schema.schemas.records import schema_for, validate_record

TOO_MANY_RISKS = example_visit() | {"risks": ["illness"] * 6}


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def messages_of(schema: object) -> str:
    try:
        schema.load(TOO_MANY_RISKS)  # type: ignore[attr-defined]
    except ValidationError as exc:
        return str(exc.messages)
    raise AssertionError("the visit should not validate")


def test_a_schema_made_later_in_another_language_does_not_relabel_an_earlier_one() -> None:
    zh = schema_for("visit", lang="zh", origin="server")
    en = schema_for("visit", lang="en", origin="server")
    assert has_han(messages_of(zh)) and not has_han(messages_of(en))
    assert has_han(messages_of(zh)), "the zh schema still answers in Chinese"


def test_validating_in_two_languages_at_once_keeps_each_language() -> None:
    wrong: list[tuple[str, str]] = []

    def run(lang: str) -> None:
        for _ in range(150):
            errors = validate_record("visit", TOO_MANY_RISKS, lang=lang)
            text = " ".join(m for messages in errors.values() for m in messages)
            if has_han(text) != (lang == "zh"):
                wrong.append((lang, text))

    threads = [threading.Thread(target=run, args=(lang,)) for lang in ("zh", "en") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
