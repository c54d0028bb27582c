"""The catalogue of validation messages, in Chinese and English.

Each message is a `str.format` template. `{field}` is the field's label in the same language
(from `shared_schema.labels`), so a message read on its own names what is wrong.
Messages about a resident ID number name it themselves (身份证号码 / ID number).
"""

from __future__ import annotations

from typing import Any

from shared_schema.enums import check_lang

MESSAGES: dict[str, tuple[str, str]] = {
    # generic, replacing marshmallow's built-in messages
    "required": ("{field}为必填项", "{field} is required"),
    "null": ("{field}不能为空", "{field} may not be empty"),
    "unknown_field": ("未知字段", "Unknown field"),
    "unknown_field_named": ("未知字段：{name}", "Unknown field: {name}"),
    "invalid": ("{field}的值无效", "{field}: invalid value"),
    "record_type": ("记录应为 JSON 对象", "The record must be a JSON object"),
    "not_an_object": ("{field}应为对象", "{field} must be an object"),
    "not_a_string": ("{field}应为文本", "{field} must be text"),
    "not_a_number": ("{field}应为数字", "{field} must be a number"),
    "not_an_integer": ("{field}应为整数", "{field} must be a whole number"),
    "not_a_boolean": ("{field}应为“是”或“否”", "{field} must be true or false"),
    "not_a_date": (
        "{field}应为日期，格式为 YYYY-MM-DD",
        "{field} must be a date in the form YYYY-MM-DD",
    ),
    "not_a_datetime": (
        "{field}应为 ISO 8601 格式的日期时间",
        "{field} must be an ISO 8601 date and time",
    ),
    "not_a_uuid": ("{field}应为 UUID", "{field} must be a UUID"),
    "not_a_list": ("{field}应为列表", "{field} must be a list"),
    "not_finite": ("{field}不能为 NaN 或无穷大", "{field} may not be NaN or infinite"),
    # text
    "blank": ("{field}不能为空白", "{field} may not be blank"),
    "control_characters": (
        "{field}不能包含控制字符",
        "{field} may not contain control characters",
    ),
    "bidi_characters": (
        "{field}不能包含双向文字控制字符（U+202A–U+202E、U+2066–U+2069）",
        "{field} may not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)",
    ),
    "length_between": (
        "{field}长度应为 {min} 至 {max} 个字符",
        "{field} must be {min} to {max} characters long",
    ),
    "length_max": ("{field}最多 {max} 个字符", "{field} must be at most {max} characters long"),
    "phone_format": (
        "{field}应为以 1 开头的 11 位手机号码",
        "{field} must be an 11-digit mobile number starting with 1",
    ),
    # numbers
    "range_between": (
        "{field}应在 {min} 至 {max} 之间",
        "{field} must be between {min} and {max}",
    ),
    # dates
    "date_too_early": ("{field}不能早于 {earliest}", "{field} may not be before {earliest}"),
    "date_too_late": ("{field}不能晚于 {latest}", "{field} may not be after {latest}"),
    "range_min": ("{field}不能小于 {min}", "{field} must be at least {min}"),
    "range_max": ("{field}不能大于 {max}", "{field} must be at most {max}"),
    "too_many_decimals": (
        "{field}最多保留两位小数",
        "{field} may have at most two decimal places",
    ),
    # codes and lists
    "invalid_choice": (
        "{field}取值无效，应为以下之一：{choices}",
        "{field}: invalid value, expected one of: {choices}",
    ),
    "duplicate_items": ("{field}不能有重复项", "{field} may not contain duplicates"),
    "too_many_items": ("{field}最多选择 {max} 项", "{field}: at most {max} items"),
    "too_few_items": ("{field}至少选择 {min} 项", "{field}: at least {min} item(s)"),
    "hash_format": (
        "{field}应为 64 位小写十六进制 SHA-256",
        "{field} must be a SHA-256 in 64 lowercase hex digits",
    ),
    # resident ID number (GB 11643-1999)
    "id_length": (
        "身份证号码应为 18 位，当前为 {length} 位",
        "ID number: must be 18 characters long, got {length}",
    ),
    "id_characters": (
        "身份证号码格式错误：前 17 位应为数字，最后一位为数字或 X",
        "ID number: the first 17 characters must be digits and the last a digit or X",
    ),
    "id_region": (
        "身份证号码的地址码 {region} 无效",
        "ID number: invalid region code {region}",
    ),
    "id_birth_date": (
        "身份证号码中的出生日期 {birth} 不是有效日期",
        "ID number: the birth date {birth} is not a real date",
    ),
    "id_birth_too_early": (
        "身份证号码中的出生日期 {birth} 早于 1900 年",
        "ID number: the birth date {birth} is before 1900",
    ),
    "id_birth_in_future": (
        "身份证号码中的出生日期 {birth} 晚于 {on}",
        "ID number: the birth date {birth} is after {on}",
    ),
    "id_check_digit": (
        "身份证号码校验位错误：最后一位应为 {expected}",
        "ID number: wrong check digit, the last character should be {expected}",
    ),
    "id_birth_mismatch": (
        "{field}与身份证号码不一致：按身份证号码应为 {expected}",
        "{field} does not match the ID number, which gives {expected}",
    ),
    "id_sex_mismatch": (
        "{field}与身份证号码不一致：按身份证号码应为{expected}",
        "{field} does not match the ID number, which gives {expected}",
    ),
    # member rules
    "birth_in_future": ("{field}不能晚于 {on}", "{field} may not be after {on}"),
    "birth_too_early": ("{field}不能早于 1900-01-01", "{field} may not be before 1900-01-01"),
    "education_or_school_stage": (
        "{field}和{other}须填写其中一项",
        "Either {field} or {other} is required",
    ),
    "education_and_school_stage": (
        "{field}和{other}只能填写其中一项：在校学生填写在校阶段，不填文化程度",
        "Only one of {field} and {other} may be set: "
        "a member at school has a school stage, not an education level",
    ),
    "not_in_school_reason_required": (
        "成员 {age} 岁且未在校，须填写{field}",
        "The member is {age} and not at school: {field} is required",
    ),
    "not_in_school_reason_forbidden": (
        "成员在校（已填写{other}），不应填写{field}",
        "The member is at school ({other} is set): {field} must be empty",
    ),
    "healthy_alone": (
        "{field}选择“{healthy}”时不能同时选择其他项",
        "{field}: “{healthy}” cannot be combined with other values",
    ),
    "disability_required": (
        "{other}包含“{disabled}”时须填写{field}",
        "{field} is required when {other} includes “{disabled}”",
    ),
    "disability_forbidden": (
        "{other}不包含“{disabled}”时不应填写{field}",
        "{field} must be empty unless {other} includes “{disabled}”",
    ),
    "paired_required": (
        "填写了{other}时须同时填写{field}",
        "{field} is required when {other} is set",
    ),
    # visit rules
    "disaster_type_forbidden": (
        "{other}不包含“{disaster}”时不应填写{field}",
        "{field} must be empty unless {other} includes “{disaster}”",
    ),
    "ended_before_started": ("{field}不能早于{other}", "{field} may not be before {other}"),
    "datetime_awareness": (
        "{field}和{other}须同时带或同时不带时区",
        "{field} and {other} must both have a time zone or both lack one",
    ),
    "fetch_minutes_tap": (
        "{other}为“{tap}”时不填写{field}",
        "{field} must be empty when {other} is “{tap}”",
    ),
    "fetch_minutes_required": (
        "{other}不是“{tap}”时须填写{field}",
        "{field} is required when {other} is not “{tap}”",
    ),
    "server_owned": (
        "{field}由服务器填写，客户端不能修改",
        "{field} is set by the server and cannot be changed by a client",
    ),
    "merged_into_required": (
        "{status}为“{merged}”时须填写{field}",
        "{field} is required when {status} is “{merged}”",
    ),
    "merged_into_forbidden": (
        "{status}不是“{merged}”时不填写{field}",
        "{field} must be empty unless {status} is “{merged}”",
    ),
    "review_status_client": (
        "客户端只能将{field}设为“{submitted}”",
        "A client may only set {field} to “{submitted}”",
    ),
    # household composition (across member records)
    "members_no_head": (
        "在户成员中须有一名“{head}”，当前没有",
        "One present member must be the “{head}”; there is none",
    ),
    "members_many_heads": (
        "在户成员中只能有一名“{head}”，当前有 {count} 名：{names}",
        "Only one present member may be “{head}”; there are {count}: {names}",
    ),
    "members_many_spouses": (
        "在户成员中最多一名“{spouse}”，当前有 {count} 名：{names}",
        "At most one present member may be “{spouse}”; there are {count}: {names}",
    ),
}


def message(key: str, lang: str = "zh", **params: Any) -> str:
    """The message `key` in `lang` with its `{placeholders}` filled from `params`."""
    zh, en = MESSAGES[key]
    template = zh if check_lang(lang) == "zh" else en
    return template.format(**params)
