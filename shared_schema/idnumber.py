"""Resident ID numbers (居民身份证号码, GB 11643-1999): parse, check, build.

Layout: 6-digit region code (GB/T 2260) + 8-digit birth date YYYYMMDD + 3-digit order code
(odd 17th digit = male, even = female) + check character (ISO 7064 MOD 11-2, digit or X).
A lowercase `x` is accepted and normalised to `X`. Only the province part of the region code
is checked (11–82, the codes GB/T 2260 assigns): county codes change every year, and a
field tool must not reject a real card because a table is out of date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared_schema.enums import check_lang
from shared_schema.messages import message

LENGTH = 18
_WEIGHTS: tuple[int, ...] = tuple(2 ** (17 - i) % 11 for i in range(17))
_CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)

PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip


class IdNumberError(ValueError):
    """An invalid ID number; `key` and `params` select the message in shared_schema.messages."""

    def __init__(self, key: str, params: dict[str, Any] | None = None) -> None:
        self.key = key
        self.params = dict(params or {})
        super().__init__(message(key, "en", **self.params))

    def message(self, lang: str = "zh") -> str:
        return message(self.key, lang, **self.params)


@dataclass(frozen=True)
class IdNumberInfo:
    """What a valid ID number says about its holder."""

    region: str
    birth_date: date
    sex: str  # "male" | "female", codes of the `sex` enumeration
    number: str = field(default="", compare=False)  # the normalised number (uppercase X)


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """Uppercases a trailing `x`; everything else is kept as given."""
    return value[:-1] + "X" if value.endswith("x") else value


def parse_id_number(value: str) -> IdNumberInfo:
    """Parses and checks an ID number, raising IdNumberError on the first problem found."""
    if not isinstance(value, str):
        raise IdNumberError("id_characters")
    if len(value) != LENGTH:
        raise IdNumberError("id_length", {"length": len(value)})
    number = normalize_id_number(value)
    body, last = number[:17], number[17]
    if not (body.isascii() and body.isdigit()) or not (last == "X" or last in "0123456789"):
        raise IdNumberError("id_characters")
    region = body[:6]
    if region[:2] not in PROVINCE_CODES:
        raise IdNumberError("id_region", {"region": region})
    raw_birth = body[6:14]
    shown = f"{raw_birth[:4]}-{raw_birth[4:6]}-{raw_birth[6:]}"
    try:
        birth = date(int(raw_birth[:4]), int(raw_birth[4:6]), int(raw_birth[6:]))
    except ValueError:
        raise IdNumberError("id_birth_date", {"birth": shown}) from None
    if birth < EARLIEST_BIRTH:
        raise IdNumberError("id_birth_too_early", {"birth": shown})
    expected = check_digit(body)
    if last != expected:
        raise IdNumberError("id_check_digit", {"expected": expected})
    sex = "male" if int(body[16]) % 2 == 1 else "female"
    return IdNumberInfo(region=region, birth_date=birth, sex=sex, number=number)


def validate_id_number(value: str, *, lang: str = "zh", on: date | None = None) -> list[str]:
    """Messages for everything wrong with `value` (empty when valid).

    With `on` (the visit date, or today at the edge), a birth date after `on` is an error too.
    """
    check_lang(lang)
    try:
        info = parse_id_number(value)
    except IdNumberError as exc:
        return [exc.message(lang)]
    if on is not None and info.birth_date > on:
        return [
            message(
                "id_birth_in_future", lang, birth=info.birth_date.isoformat(), on=on.isoformat()
            )
        ]
    return []


def is_valid_id_number(value: str) -> bool:
    """True when `value` is a well-formed ID number with a correct check character."""
    try:
        parse_id_number(value)
    except IdNumberError:
        return False
    return True


def make_id_number(region: str, birth: date, seq: int, sex: str) -> str:
    """Builds a valid ID number (demo data, tests).

    `seq` (0–999) is the 3-digit order code; when its last digit has the wrong parity for
    `sex` it is moved to the next digit of the right parity within the same ten.
    """
    if not (len(region) == 6 and region.isascii() and region.isdigit()):
        raise ValueError("region must be 6 digits")
    if region[:2] not in PROVINCE_CODES:
        raise ValueError(f"region {region} has no valid province code")
    if birth < EARLIEST_BIRTH:
        raise ValueError("birth date before 1900")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be 0..999")
    if sex not in ("male", "female"):
        raise ValueError("sex must be 'male' or 'female'")
    want = 1 if sex == "male" else 0
    if seq % 2 != want:
        seq = seq - seq % 10 + (seq % 10 + 1) % 10
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)
