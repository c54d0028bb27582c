"""Guards and pure pieces of the console: every text in both languages, every key a template
uses exists, the SVG chart, value formatting and field-level history diffs."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from shared_schema.rules import RULE_CODES
from sync_server.console.cases import ACTIONS, ELIMINATION_MODES, SOURCES, STATES
from sync_server.console.chart import last_months, nice_ceiling, render_chart
from sync_server.console.history import version_rows
from sync_server.console.i18n import TEXTS, choose_lang, t
from sync_server.console.values import format_value

REVIEW = Path(__file__).resolve().parents[2] / "sync_server" / "console"
KEY_USE = re.compile(r"""\b(?:t|tr)\(\s*['"]([a-z_]+\.[A-Za-z0-9_.]+)['"]""")


# The language switch names the *other* language; file formats are the same in both.
SAME_OR_SWAPPED = {"nav.lang_switch", "exp.csv", "exp.xlsx"}


def test_every_text_has_chinese_and_english():
    for key, (zh, en) in TEXTS.items():
        if key in SAME_OR_SWAPPED:
            continue
        assert zh.strip() and en.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{key}: zh is not Chinese"
        assert not re.search(r"[\u4e00-\u9fff]", en), f"{key}: en holds Chinese"
        assert re.findall(r"{\w+}", zh) == re.findall(r"{\w+}", en) or sorted(
            re.findall(r"{\w+}", zh)
        ) == sorted(re.findall(r"{\w+}", en)), f"{key}: parameters differ"


def test_every_key_used_by_templates_and_views_exists():
    used: set[str] = set()
    for path in [*REVIEW.rglob("*.html"), *REVIEW.rglob("*.py")]:
        used |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found nothing"
    assert sorted(used - set(TEXTS)) == []


def test_dynamic_keys_exist():
    for code in RULE_CODES:
        assert f"flag.{code}" in TEXTS
    for role in ("worker", "supervisor", "admin"):
        assert f"role.{role}" in TEXTS
    for severity in ("high", "medium", "low"):
        assert f"severity.{severity}" in TEXTS
    for kind in ("households", "members", "visits", "flags", "cases"):
        assert f"exp.{kind}" in TEXTS
    for table in (STATES, SOURCES, ELIMINATION_MODES):
        for zh, en in table.values():
            assert zh and en and zh != en
    assert all(a.label_zh and a.label_en for a in ACTIONS.values())


def test_language_choice():
    assert choose_lang(None, None) == "zh"
    assert choose_lang("en", "zh") == "en"
    assert choose_lang(None, "en") == "en"
    assert choose_lang("fr", "de") == "zh"
    assert t("queue.bulk_done", "en", count=3) == "Approved 3 visits"
    with pytest.raises(KeyError):
        t("no.such.key")


def test_chart_is_valid_escaped_svg():
    months = last_months(2026, 2, 12)
    assert months[0] == "2025-03" and months[-1] == "2026-02" and len(months) == 12
    svg = render_chart(
        months,
        list(range(12)),
        [0] * 11 + [30],
        title="<走访>",
        visits_label="走访 & 次数",
        flags_label="预警",
    )
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "<走访>"
    bars = root.findall(f"{ns}rect[@class='bar']")
    assert len(bars) == 12
    heights = [float(b.get("height")) for b in bars]
    assert heights == sorted(heights) and heights[0] == 0
    points = root.find(f"{ns}polyline").get("points").split()
    assert len(points) == 12 and float(points[-1].split(",")[1]) < float(points[0].split(",")[1])
    with pytest.raises(ValueError):
        render_chart(months, [1], [1], title="", visits_label="", flags_label="")


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (7, 10), (11, 20), (30, 50), (501, 1000)]
)
def test_nice_ceiling(value, expected):
    assert nice_ceiling(value) == expected


@pytest.mark.parametrize(
    ("entity", "path", "value", "lang", "expected"),
    [
        ("visit", "risks", ["illness", "water"], "zh", "因病、饮水安全问题"),
        ("visit", "risks", ["illness", "water"], "en", "Illness, Drinking-water problem"),
        ("visit", "income.wage", 1200, "en", "1,200.00 yuan"),
        ("visit", "water.quantity_lpd", 35, "zh", "35 升/人/天"),
        ("member", "labor_ability", "none", "zh", "无劳动力"),
        ("visit", "food_ok", True, "zh", "是"),
        ("visit", "food_ok", False, "en", "No"),
        ("visit", "notes", None, "zh", "—"),
        ("visit", "risks", [], "zh", "—"),
        ("member", "relation", "martian", "zh", '"martian"'),
        ("visit", "_deleted", True, "en", "Deleted"),
    ],
)
def test_format_value(entity, path, value, lang, expected):
    assert format_value(entity, path, value, lang) == expected


def test_history_rows_show_before_and_after_newest_first():
    base = {"phone": "13800000001", "house_grade": "b", "head_name": "王"}
    versions = [
        {
            "version": 3,
            "deleted": False,
            "data": base,
            "author": "wang",
            "client_id": "c1",
            "mutation_id": 1,
            "created_at": None,
        },
        {
            "version": 7,
            "deleted": False,
            "data": base | {"house_grade": "c"},
            "author": "sup",
            "client_id": None,
            "mutation_id": None,
            "created_at": None,
        },
        {
            "version": 9,
            "deleted": False,
            "data": base | {"house_grade": "c"},
            "author": None,
            "client_id": None,
            "mutation_id": None,
            "created_at": None,
        },
        {
            "version": 12,
            "deleted": True,
            "data": base | {"house_grade": "c"},
            "author": "wang",
            "client_id": "c1",
            "mutation_id": 4,
            "created_at": None,
        },
    ]
    rows = version_rows("household", versions, "zh")
    assert [r.version for r in rows] == [12, 9, 7, 3]
    assert [r.kind for r in rows] == ["deleted", "restamp", "changed", "created"]
    [change] = rows[2].changes
    assert (change.label, change.before, change.after) == (
        "住房安全等级",
        "B级（安全）",
        "C级（危房）",
    )
    assert {c.path for c in rows[3].changes} == {"phone", "house_grade", "head_name"}
    english = version_rows("household", versions[:2], "en")
    assert english[0].changes[0].after == "Grade C (dangerous)"
