"""VisitSchema: every field, nested part and cross-field rule of docs/data-model.md#visit."""

from __future__ import annotations

from typing import Any

import pytest

from shared_schema.schemas.fieldtypes import MAX_AMOUNT
from shared_schema.schemas.records import schema_for
from shared_schema.schemas.visit import MAX_PHOTOS, MAX_RISKS, VisitSchema

from .schema_cases import DROP, assert_localized, errors, record

INCOME = record("visit")["income"]
WATER = record("visit")["water"]
GPS = record("visit")["gps"]
FIVE_RISKS = ["illness", "schooling", "disability", "disaster", "accident"]


def income(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in ({**INCOME, **changes}).items() if v is not DROP}


def water(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in ({**WATER, **changes}).items() if v is not DROP}


def gps(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in ({**GPS, **changes}).items() if v is not DROP}


CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("example", {}, set()),
    # household_id, visit_date, visit_type, contact_mode
    ("household_id not a uuid", {"household_id": "h1"}, {"household_id"}),
    ("household_id missing", {"household_id": DROP}, {"household_id"}),
    ("visit_date leap day", {"visit_date": "2024-02-29"}, set()),
    ("visit_date not a day", {"visit_date": "2023-02-29"}, {"visit_date"}),
    ("visit_date slashes", {"visit_date": "2024/05/20"}, {"visit_date"}),
    ("visit_date missing", {"visit_date": DROP}, {"visit_date"}),
    ("visit_type look_back", {"visit_type": "look_back"}, set()),
    ("visit_type unknown", {"visit_type": "audit"}, {"visit_type"}),
    ("contact_mode wechat", {"contact_mode": "wechat"}, set()),
    ("contact_mode unknown", {"contact_mode": "letter"}, {"contact_mode"}),
    ("contact_mode missing", {"contact_mode": DROP}, {"contact_mode"}),
    # started_at / ended_at: ISO 8601, ended ≥ started
    ("times absent", {"started_at": DROP, "ended_at": DROP}, set()),
    ("times null", {"started_at": None, "ended_at": None}, set()),
    ("only started", {"ended_at": None}, set()),
    ("only ended", {"started_at": None}, set()),
    ("ended equals started", {"ended_at": "2024-05-20T09:30:00+08:00"}, set()),
    ("ended a second before", {"ended_at": "2024-05-20T09:29:59+08:00"}, {"ended_at"}),
    ("same instant, other offset", {"ended_at": "2024-05-20T01:30:00Z"}, set()),
    ("earlier instant, later clock", {"ended_at": "2024-05-20T09:40:00+09:00"}, {"ended_at"}),
    (
        "both naive",
        {"started_at": "2024-05-20T09:30:00", "ended_at": "2024-05-20T09:45"},
        set(),
    ),
    ("aware and naive", {"ended_at": "2024-05-20T10:10:00"}, {"ended_at"}),
    ("milliseconds and Z", {"started_at": "2024-05-20T01:00:00.123Z"}, set()),
    ("started a bare date", {"started_at": "2024-05-20"}, {"started_at"}),
    ("started with a space", {"started_at": "2024-05-20 09:30:00"}, {"started_at"}),
    ("started hour 24", {"started_at": "2024-05-20T24:00:00"}, {"started_at"}),
    ("started a number", {"started_at": 1716168600}, {"started_at"}),
    # gps
    ("gps null", {"gps": None}, set()),
    ("gps absent", {"gps": DROP}, set()),
    ("gps lat 90", {"gps": gps(lat=90)}, set()),
    ("gps lat -90", {"gps": gps(lat=-90)}, set()),
    ("gps lat 90.0001", {"gps": gps(lat=90.0001)}, {"gps.lat"}),
    ("gps lon 180", {"gps": gps(lon=180)}, set()),
    ("gps lon -180.5", {"gps": gps(lon=-180.5)}, {"gps.lon"}),
    ("gps accuracy 0", {"gps": gps(accuracy_m=0)}, set()),
    ("gps accuracy -1", {"gps": gps(accuracy_m=-1)}, {"gps.accuracy_m"}),
    ("gps accuracy absent", {"gps": gps(accuracy_m=DROP)}, set()),
    ("gps lat missing", {"gps": gps(lat=DROP)}, {"gps.lat"}),
    ("gps lat string", {"gps": gps(lat="26.5")}, {"gps.lat"}),
    ("gps unknown key", {"gps": gps(alt=300)}, {"gps.alt"}),
    ("gps a list", {"gps": [26.5, 107.9]}, {"gps"}),
    # income: yuan, ≥ 0, ≤ 2 decimals, five required keys
    ("income zero", {"income": income(wage=0)}, set()),
    ("income 12.5", {"income": income(wage=12.5)}, set()),
    ("income 12.34", {"income": income(wage=12.34)}, set()),
    ("income max", {"income": income(wage=MAX_AMOUNT)}, set()),
    ("income above max", {"income": income(wage=100_000_000)}, {"income.wage"}),
    ("income -0.01", {"income": income(wage=-0.01)}, {"income.wage"}),
    ("income 0.001", {"income": income(wage=0.001)}, {"income.wage"}),
    ("income 1.005", {"income": income(operating=1.005)}, {"income.operating"}),
    ("income string", {"income": income(wage="1200")}, {"income.wage"}),
    ("income bool", {"income": income(wage=True)}, {"income.wage"}),
    ("income NaN", {"income": income(wage=float("nan"))}, {"income.wage"}),
    ("income infinite", {"income": income(wage=float("inf"))}, {"income.wage"}),
    ("income null", {"income": income(transfer=None)}, {"income.transfer"}),
    ("income costs missing", {"income": income(costs=DROP)}, {"income.costs"}),
    (
        "income optional keys absent",
        {"income": income(insurance_payout=DROP, medical_out_of_pocket=DROP)},
        set(),
    ),
    ("income payout 0.5", {"income": income(insurance_payout=0.5)}, set()),
    (
        "income payout negative",
        {"income": income(insurance_payout=-5)},
        {"income.insurance_payout"},
    ),
    (
        "income medical 3 decimals",
        {"income": income(medical_out_of_pocket=1.234)},
        {"income.medical_out_of_pocket"},
    ),
    ("income unknown key", {"income": income(pension=100)}, {"income.pension"}),
    ("income missing", {"income": DROP}, {"income"}),
    ("income null object", {"income": None}, {"income"}),
    ("income a number", {"income": 1200}, {"income"}),
    (
        "income two bad keys",
        {"income": income(wage=-1, costs=DROP)},
        {"income.wage", "income.costs"},
    ),
    # food_ok / clothing_ok / confirmed: required booleans
    ("food_ok false", {"food_ok": False}, set()),
    ("food_ok string", {"food_ok": "是"}, {"food_ok"}),
    ("food_ok missing", {"food_ok": DROP}, {"food_ok"}),
    ("clothing_ok null", {"clothing_ok": None}, {"clothing_ok"}),
    ("confirmed missing", {"confirmed": DROP}, {"confirmed"}),
    ("confirmed 1", {"confirmed": 1}, {"confirmed"}),
    # water
    ("water source unknown", {"water": water(source="river")}, {"water.source"}),
    ("water source missing", {"water": water(source=DROP)}, {"water.source"}),
    ("water quantity 0", {"water": water(quantity_lpd=0)}, set()),
    ("water quantity 35.5", {"water": water(quantity_lpd=35.5)}, set()),
    ("water quantity -0.1", {"water": water(quantity_lpd=-0.1)}, {"water.quantity_lpd"}),
    ("water quantity missing", {"water": water(quantity_lpd=DROP)}, {"water.quantity_lpd"}),
    ("water quality missing", {"water": water(quality_ok=DROP)}, {"water.quality_ok"}),
    ("water quality string", {"water": water(quality_ok="ok")}, {"water.quality_ok"}),
    ("water reliability 0", {"water": water(reliability_pct=0)}, set()),
    ("water reliability 100", {"water": water(reliability_pct=100)}, set()),
    ("water reliability 95.5", {"water": water(reliability_pct=95.5)}, set()),
    ("water reliability 100.1", {"water": water(reliability_pct=100.1)}, {"water.reliability_pct"}),
    ("water reliability -1", {"water": water(reliability_pct=-1)}, {"water.reliability_pct"}),
    ("water interruption 0", {"water": water(interruption_days=0)}, set()),
    ("water interruption null", {"water": water(interruption_days=None)}, set()),
    ("water interruption 366", {"water": water(interruption_days=366)}, set()),
    (
        "water interruption 367",
        {"water": water(interruption_days=367)},
        {"water.interruption_days"},
    ),
    ("well with fetch time 1440", {"water": water(source="well", fetch_minutes=1440)}, set()),
    (
        "well with fetch time 1441",
        {"water": water(source="well", fetch_minutes=1441)},
        {"water.fetch_minutes"},
    ),
    ("water interruption -1", {"water": water(interruption_days=-1)}, {"water.interruption_days"}),
    (
        "water interruption NaN",
        {"water": water(interruption_days=float("nan"))},
        {"water.interruption_days"},
    ),
    (
        "water interruption 1.5",
        {"water": water(interruption_days=1.5)},
        {"water.interruption_days"},
    ),
    ("tap without fetch time", {"water": water(source="tap", fetch_minutes=None)}, set()),
    (
        "tap with fetch time",
        {"water": water(source="tap", fetch_minutes=5)},
        {"water.fetch_minutes"},
    ),
    (
        "tap with fetch time 0",
        {"water": water(source="tap", fetch_minutes=0)},
        {"water.fetch_minutes"},
    ),
    ("well with fetch time 0", {"water": water(source="well", fetch_minutes=0)}, set()),
    ("well with fetch time 30", {"water": water(source="well", fetch_minutes=30)}, set()),
    (
        "well without fetch time",
        {"water": water(source="well", fetch_minutes=None)},
        {"water.fetch_minutes"},
    ),
    (
        "well, fetch time absent",
        {"water": water(source="well", fetch_minutes=DROP)},
        {"water.fetch_minutes"},
    ),
    (
        "well with fetch time -1",
        {"water": water(source="well", fetch_minutes=-1)},
        {"water.fetch_minutes"},
    ),
    (
        "unknown source: no fetch rule",
        {"water": water(source="sea", fetch_minutes=5)},
        {"water.source"},
    ),
    ("water unknown key", {"water": water(ph=7)}, {"water.ph"}),
    ("water missing", {"water": DROP}, {"water"}),
    # risks: ≤ 5, unique, codes; disaster_type only with disaster
    ("risks empty", {"risks": []}, set()),
    ("risks 5", {"risks": FIVE_RISKS}, set()),
    ("risks 6", {"risks": [*FIVE_RISKS, "housing"]}, {"risks"}),
    ("risks duplicate", {"risks": ["illness", "illness"]}, {"risks"}),
    ("risks unknown code", {"risks": ["poverty"]}, {"risks"}),
    ("risks missing", {"risks": DROP}, {"risks"}),
    ("risks null", {"risks": None}, {"risks"}),
    ("disaster with type", {"risks": ["disaster"], "disaster_type": "flood"}, set()),
    ("disaster without type", {"risks": ["disaster"], "disaster_type": None}, set()),
    (
        "type without disaster",
        {"risks": ["illness"], "disaster_type": "drought"},
        {"disaster_type"},
    ),
    ("type, no risks", {"disaster_type": "earthquake"}, {"disaster_type"}),
    (
        "disaster type unknown",
        {"risks": ["disaster"], "disaster_type": "tsunami"},
        {"disaster_type"},
    ),
    ("risk_notes 500", {"risk_notes": "险" * 500}, set()),
    ("risk_notes 501", {"risk_notes": "险" * 501}, {"risk_notes"}),
    # assistance
    ("assistance empty", {"assistance": []}, set()),
    ("assistance all", {"assistance": ["industry", "yulu", "dibao", "tekun", "relocation"]}, set()),
    ("assistance duplicate", {"assistance": ["yulu", "yulu"]}, {"assistance"}),
    ("assistance unknown", {"assistance": ["cash"]}, {"assistance"}),
    ("assistance missing", {"assistance": DROP}, {"assistance"}),
    ("assistance_notes 1000", {"assistance_notes": "帮" * 1000}, set()),
    ("assistance_notes 1001", {"assistance_notes": "帮" * 1001}, {"assistance_notes"}),
    # photos
    ("photos null", {"photos": None}, set()),
    ("photos empty", {"photos": []}, set()),
    ("photos 50", {"photos": [f"p{i}.jpg" for i in range(MAX_PHOTOS)]}, set()),
    ("photos 51", {"photos": [f"p{i}.jpg" for i in range(MAX_PHOTOS + 1)]}, {"photos"}),
    ("photo name 255", {"photos": ["p" * 255]}, set()),
    ("photo name 256", {"photos": ["p" * 256]}, {"photos"}),
    ("photo name empty", {"photos": [""]}, {"photos"}),
    ("photo not text", {"photos": [3]}, {"photos"}),
    ("photos not a list", {"photos": "a.jpg"}, {"photos"}),
    ("photo name with newline", {"photos": ["a\n.jpg"]}, {"photos"}),
    # texts
    ("signed_by with newline", {"signed_by": "王\n"}, {"signed_by"}),
    ("notes multi-line", {"notes": "一\n二\r\n三\t"}, set()),
    ("risk_notes multi-line", {"risk_notes": "一\n二"}, set()),
    ("assistance_notes with NUL", {"assistance_notes": "\x00"}, {"assistance_notes"}),
    ("review comment with bell", {"review_comment": "好\x07"}, {"review_comment"}),
    ("signed_by 50", {"signed_by": "签" * 50}, set()),
    ("signed_by 51", {"signed_by": "签" * 51}, {"signed_by"}),
    ("notes 2000", {"notes": "记" * 2000}, set()),
    ("notes 2001", {"notes": "记" * 2001}, {"notes"}),
    # server-owned fields: any valid value in a whole (server) record
    ("review approved", {"review_status": "approved"}, set()),
    (
        "review returned with comment",
        {"review_status": "returned", "review_comment": "收入漏填"},
        set(),
    ),
    ("review status absent", {"review_status": DROP}, set()),
    ("review status unknown", {"review_status": "pending"}, {"review_status"}),
    ("review comment 1000", {"review_comment": "意" * 1000}, set()),
    ("review comment 1001", {"review_comment": "意" * 1001}, {"review_comment"}),
    # unknown
    ("unknown field", {"net_income": 40000}, {"net_income"}),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_visit_field_rules(overrides: dict[str, Any], expected: set[str]) -> None:
    zh = errors("visit", record("visit", **overrides))
    en = errors("visit", record("visit", **overrides), lang="en")
    assert set(zh) == expected
    assert_localized(zh, en)


def test_constants_match_the_data_model() -> None:
    assert MAX_RISKS == 5
    assert MAX_AMOUNT == 99_999_999.99


@pytest.mark.parametrize(
    ("overrides", "path", "zh", "en"),
    [
        (
            {"income": income(wage=-0.01)},
            "income.wage",
            f"工资性收入应在 0 至 {MAX_AMOUNT} 之间",
            f"Wage income must be between 0 and {MAX_AMOUNT}",
        ),
        (
            {"income": income(costs=1.005)},
            "income.costs",
            "生产经营性支出最多保留两位小数",
            "Operating costs may have at most two decimal places",
        ),
        (
            {"income": income(wage="12")},
            "income.wage",
            "工资性收入应为数字",
            "Wage income must be a number",
        ),
        (
            {"income": income(wage=float("nan"))},
            "income.wage",
            "工资性收入不能为 NaN 或无穷大",
            "Wage income may not be NaN or infinite",
        ),
        (
            {"income": income(costs=DROP)},
            "income.costs",
            "生产经营性支出为必填项",
            "Operating costs is required",
        ),
        (
            {"income": 5},
            "income",
            "家庭收入（近 12 个月）应为对象",
            "Income (last 12 months) must be an object",
        ),
        (
            {"water": water(source="tap", fetch_minutes=10)},
            "water.fetch_minutes",
            "水源类型为“自来水”时不填写取水往返时间",
            "Fetching time (round trip) must be empty when Water source is “Tap water”",
        ),
        (
            {"water": water(source="spring", fetch_minutes=None)},
            "water.fetch_minutes",
            "水源类型不是“自来水”时须填写取水往返时间",
            "Fetching time (round trip) is required when Water source is not “Tap water”",
        ),
        (
            {"water": water(reliability_pct=101)},
            "water.reliability_pct",
            "供水保证率应在 0 至 100 之间",
            "Supply reliability must be between 0 and 100",
        ),
        (
            {"water": water(quantity_lpd=-1)},
            "water.quantity_lpd",
            "人均日供水量应在 0 至 1000 之间",
            "Water quantity must be between 0 and 1000",
        ),
        (
            {"gps": gps(lat=91)},
            "gps.lat",
            "纬度应在 -90 至 90 之间",
            "Latitude must be between -90 and 90",
        ),
        (
            {"risks": [*FIVE_RISKS, "water"]},
            "risks",
            "返贫致贫风险最多选择 5 项",
            "Risks: at most 5 items",
        ),
        (
            {"risks": ["water", "water"]},
            "risks",
            "返贫致贫风险不能有重复项",
            "Risks may not contain duplicates",
        ),
        (
            {"disaster_type": "flood"},
            "disaster_type",
            "返贫致贫风险不包含“因自然灾害”时不应填写自然灾害类型",
            "Disaster type must be empty unless Risks includes “Natural disaster”",
        ),
        (
            {"ended_at": "2024-05-20T09:00:00+08:00"},
            "ended_at",
            "结束时间不能早于开始时间",
            "Ended at may not be before Started at",
        ),
        (
            {"ended_at": "2024-05-20T10:00:00"},
            "ended_at",
            "结束时间和开始时间须同时带或同时不带时区",
            "Ended at and Started at must both have a time zone or both lack one",
        ),
        (
            {"started_at": "2024-05-20"},
            "started_at",
            "开始时间应为 ISO 8601 格式的日期时间",
            "Started at must be an ISO 8601 date and time",
        ),
        (
            {"visit_date": "2024-13-01"},
            "visit_date",
            "走访日期应为日期，格式为 YYYY-MM-DD",
            "Visit date must be a date in the form YYYY-MM-DD",
        ),
        (
            {"photos": [f"{i}.jpg" for i in range(51)]},
            "photos",
            "照片最多选择 50 项",
            "Photos: at most 50 items",
        ),
        (
            {"confirmed": DROP},
            "confirmed",
            "农户已确认为必填项",
            "Confirmed by the household is required",
        ),
        ({"gps": gps(alt=1)}, "gps.alt", "未知字段：gps.alt", "Unknown field: gps.alt"),
    ],
)
def test_visit_messages(overrides: dict[str, Any], path: str, zh: str, en: str) -> None:
    assert errors("visit", record("visit", **overrides)) == {path: [zh]}
    assert errors("visit", record("visit", **overrides), lang="en") == {path: [en]}


def test_invalid_choice_lists_codes_with_labels() -> None:
    found = errors("visit", record("visit", contact_mode="fax"))
    assert found == {
        "contact_mode": [
            "走访方式取值无效，应为以下之一：in_person（入户走访）、phone（电话）、wechat（微信）"
        ]
    }
    found_en = errors("visit", record("visit", contact_mode="fax"), lang="en")
    assert found_en == {
        "contact_mode": [
            "Contact mode: invalid value, expected one of: "
            "in_person (In person), phone (Phone), wechat (WeChat)"
        ]
    }


def test_a_client_may_only_submit() -> None:
    client = schema_for("visit")  # origin="client"
    assert client.validate(record("visit", review_status="submitted")) == {}
    assert set(client.validate(record("visit", review_status="approved"))) == {"review_status"}
    assert set(client.validate(record("visit", review_status=None))) == {"review_status"}
    assert set(client.validate(record("visit", review_comment=None))) == {"review_comment"}
    assert client.validate(record("visit", review_status=DROP)) == {}
    server = schema_for("visit", origin="server")
    assert server.validate(record("visit", review_status="rejected", review_comment="重复")) == {}


def test_server_owned_messages() -> None:
    client = schema_for("visit", lang="en")
    found = client.validate(record("visit", review_status="approved", review_comment="ok"))
    assert found == {
        "review_status": ["A client may only set Review status to “Submitted”"],
        "review_comment": ["Review comment is set by the server and cannot be changed by a client"],
    }
    zh = schema_for("visit").validate(record("visit", review_status="approved"))
    assert zh == {"review_status": ["客户端只能将审核状态设为“待审核”"]}


def test_numbers_keep_their_json_type() -> None:
    schema = VisitSchema(origin="server")
    dumped = schema.dump(schema.load(record("visit")))
    assert dumped["income"]["wage"] == 36000 and isinstance(dumped["income"]["wage"], int)
    assert dumped["income"]["operating"] == 8200.5
    assert dumped["water"]["quantity_lpd"] == 60 and isinstance(
        dumped["water"]["quantity_lpd"], int
    )
    assert dumped["gps"] == GPS


def test_nested_parts_share_the_schema_settings() -> None:
    schema = VisitSchema(lang="en", origin="server")
    income_schema = schema.fields["income"].schema
    assert (income_schema.lang, income_schema.origin, income_schema.path_prefix) == (
        "en",
        "server",
        "income.",
    )
    # two instances in different languages do not share nested schemas
    assert VisitSchema().fields["income"].schema is not income_schema
