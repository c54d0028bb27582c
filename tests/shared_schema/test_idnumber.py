"""Resident ID numbers (GB 11643-1999): check digit, parsing, every rejection, properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_schema.idnumber import (
    PROVINCE_CODES,
    IdNumberError,
    IdNumberInfo,
    check_digit,
    is_valid_id_number,
    make_id_number,
    parse_id_number,
    validate_id_number,
)

# The sample number of the GB 11643 standard's annex (北京市朝阳区, 1949-12-31, female).
STANDARD_SAMPLE = "11010519491231002X"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("44052418800101001", "4"),
        ("11010119900307727", "2"),
        ("00000000000000000", "1"),
    ],
)
def test_check_digit_known_values(first17: str, expected: str) -> None:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    independent = "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]
    assert check_digit(first17) == independent == expected


@pytest.mark.parametrize("bad", ["", "1234567890123456", "1101051949123100X", "abcdefghijklmnopq"])
def test_check_digit_needs_17_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


def test_parse_returns_region_birth_and_sex() -> None:
    info = parse_id_number(STANDARD_SAMPLE)
    assert info == IdNumberInfo(region="110105", birth_date=date(1949, 12, 31), sex="female")
    assert info.number == STANDARD_SAMPLE
    assert parse_id_number("110101199003077272").sex == "male"


def test_lowercase_x_is_accepted_and_normalised() -> None:
    info = parse_id_number("11010519491231002x")
    assert info.number == "11010519491231002X"
    assert is_valid_id_number("11010519491231002x")


VALID = make_id_number("522601", date(1990, 2, 28), 123, "male")


@pytest.mark.parametrize(
    ("value", "key", "zh", "en"),
    [
        ("", "id_length", "应为 18 位，当前为 0 位", "must be 18 characters long, got 0"),
        (VALID[:17], "id_length", "当前为 17 位", "got 17"),
        (VALID + "1", "id_length", "当前为 19 位", "got 19"),
        ("110105491231002", "id_length", "当前为 15 位", "got 15"),  # first-generation card
        (VALID[:17] + "Y", "id_characters", "最后一位为数字或 X", "last a digit or X"),
        ("A" + VALID[1:], "id_characters", "前 17 位应为数字", "first 17 characters"),
        (VALID[:5] + "-" + VALID[6:], "id_characters", "前 17 位", "digits"),
        ("５" + VALID[1:], "id_characters", "前 17 位", "digits"),  # full-width digit
        (" " + VALID[1:], "id_characters", "前 17 位", "digits"),
        ("000000199002281231", "id_region", "地址码 000000 无效", "invalid region code 000000"),
        ("100000199002281231", "id_region", "地址码 100000", "region code 100000"),
        ("830000199002281231", "id_region", "地址码 830000", "region code 830000"),
        ("991234199002281231", "id_region", "991234", "991234"),
        ("522601199002301231", "id_birth_date", "1990-02-30 不是有效日期", "1990-02-30 is not"),
        ("522601199013011231", "id_birth_date", "1990-13-01", "1990-13-01"),
        ("522601199000011231", "id_birth_date", "1990-00-01", "1990-00-01"),
        ("522601190002291231", "id_birth_date", "1900-02-29", "1900-02-29"),  # not a leap year
        ("522601189912311231", "id_birth_too_early", "早于 1900 年", "before 1900"),
    ],
)
def test_each_rejection_has_its_key_and_message(value: str, key: str, zh: str, en: str) -> None:
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(value)
    assert caught.value.key == key
    assert zh in caught.value.message("zh")
    assert en in caught.value.message("en")
    assert isinstance(caught.value, ValueError)
    assert validate_id_number(value, lang="zh") == [caught.value.message("zh")]
    assert not is_valid_id_number(value)


def test_wrong_check_digit_names_the_right_one() -> None:
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    assert validate_id_number(wrong) == [f"身份证号码校验位错误：最后一位应为 {VALID[17]}"]
    assert validate_id_number(wrong, lang="en") == [
        f"ID number: wrong check digit, the last character should be {VALID[17]}"
    ]
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(wrong)
    assert caught.value.key == "id_check_digit"
    assert caught.value.params == {"expected": VALID[17]}


@pytest.mark.parametrize(
    ("birth", "on", "ok"),
    [
        (date(2020, 5, 1), date(2020, 5, 1), True),  # born that very day
        (date(2020, 5, 2), date(2020, 5, 1), False),
        (date(1900, 1, 1), date(2020, 5, 1), True),  # the earliest accepted
    ],
)
def test_birth_after_on_is_an_error(birth: date, on: date, ok: bool) -> None:
    number = make_id_number("110105", birth, 5, "male")
    assert validate_id_number(number) == []
    messages = validate_id_number(number, on=on)
    assert (messages == []) is ok
    if not ok:
        assert messages == [f"身份证号码中的出生日期 {birth.isoformat()} 晚于 {on.isoformat()}"]


def test_validate_rejects_an_unknown_language() -> None:
    with pytest.raises(ValueError):
        validate_id_number(VALID, lang="fr")


@pytest.mark.parametrize(
    ("seq", "sex", "order"),
    [(0, "female", "000"), (0, "male", "001"), (9, "female", "000"), (9, "male", "009"),
     (998, "female", "998"), (998, "male", "999"), (999, "female", "990"), (123, "male", "123")],
)  # fmt: skip
def test_make_adjusts_the_order_code_to_the_sex(seq: int, sex: str, order: str) -> None:
    number = make_id_number("110105", date(2000, 1, 1), seq, sex)
    assert number[14:17] == order
    assert parse_id_number(number).sex == sex


@pytest.mark.parametrize(
    ("region", "birth", "seq", "sex"),
    [
        ("11010", date(2000, 1, 1), 1, "male"),
        ("000000", date(2000, 1, 1), 1, "male"),
        ("11010a", date(2000, 1, 1), 1, "male"),
        ("110105", date(1899, 12, 31), 1, "male"),
        ("110105", date(2000, 1, 1), 1000, "male"),
        ("110105", date(2000, 1, 1), -1, "male"),
        ("110105", date(2000, 1, 1), 1, "m"),
    ],
)
def test_make_refuses_bad_parts(region: str, birth: date, seq: int, sex: str) -> None:
    with pytest.raises(ValueError):
        make_id_number(region, birth, seq, sex)


def test_a_correctly_checked_number_born_before_1900_is_still_refused() -> None:
    # 440524188001010014 is a well-known example with a correct check digit, born 1880
    assert check_digit("44052418800101001") == "4"
    assert not is_valid_id_number("440524188001010014")


# --------------------------------------------------------------------------------------------
# properties

regions = st.builds(
    lambda province, rest: province + f"{rest:04d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(0, 9999),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from(["male", "female"])
seqs = st.integers(0, 999)


@given(regions, births, seqs, sexes)
def test_generated_numbers_parse_back(region: str, birth: date, seq: int, sex: str) -> None:
    number = make_id_number(region, birth, seq, sex)
    assert len(number) == 18
    assert is_valid_id_number(number)
    assert validate_id_number(number, lang="en") == []
    info = parse_id_number(number)
    assert (info.region, info.birth_date, info.sex) == (region, birth, sex)


@given(regions, births, seqs, sexes, st.integers(0, 17), st.sampled_from("0123456789Xx-a "))
def test_any_single_character_change_is_caught(
    region: str, birth: date, seq: int, sex: str, position: int, char: str
) -> None:
    number = make_id_number(region, birth, seq, sex)
    changed = number[:position] + char + number[position + 1 :]
    if changed.upper() == number:
        return  # not a change (or only the case of X, which is accepted)
    assert not is_valid_id_number(changed)
    assert len(validate_id_number(changed)) == 1


@given(st.text(max_size=20))
def test_arbitrary_text_never_crashes(value: str) -> None:
    messages = validate_id_number(value, lang="en")
    assert messages == [] or messages[0].startswith("ID number")
