"""Code labels as rule messages quote them, taken from `shared_schema.enums` (the one source).

English labels are written mid-sentence, so their first letter is lowered ("Lost labour
ability" reads "lost labour ability"). A code the enumeration does not know is quoted as is,
because a live evaluation must never fail on a half-entered value.
"""

from __future__ import annotations

from shared_schema.enums import ENUMS


def code_label(enum: str, code: str, lang: str) -> str:
    """The zh (default) or en label of a code, or the code itself when unknown."""
    enumeration = ENUMS.get(enum)
    if enumeration is None or code not in enumeration.codes:
        return code
    if lang == "en":
        text = enumeration.label(code, "en")
        return text[:1].lower() + text[1:]
    return enumeration.label(code, "zh")


def code_labels(enum: str, codes: tuple[str, ...] | list[str], lang: str) -> str:
    """Several labels joined the way each language lists them."""
    separator = ", " if lang == "en" else "、"
    return separator.join(code_label(enum, c, lang) for c in codes)
