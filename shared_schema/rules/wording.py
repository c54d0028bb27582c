"""Labels of the few codes that rule messages quote (risk, labour ability, reasons, grades).

Kept local so that messages read naturally in both languages; `tests/shared_schema/
test_rules_wording.py` checks these agree with `shared_schema.enums` once that module exists.
An unknown code is quoted as is.
"""

from __future__ import annotations

CODE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "risk": {
        "illness": ("因病", "illness"),
        "schooling": ("因学", "schooling costs"),
        "disability": ("因残", "disability"),
        "disaster": ("因自然灾害", "natural disaster"),
        "accident": ("因意外事故", "accident"),
        "industry_failure": ("因产业项目失败", "failed industry project"),
        "unstable_work": ("因务工就业不稳", "unstable work"),
        "lack_of_labor": ("缺劳动力", "lack of labour"),
        "housing": ("住房安全", "housing safety"),
        "water": ("饮水安全", "drinking water safety"),
        "dropout": ("义务教育辍学", "school dropout"),
        "other": ("其他", "other"),
    },
    "labor_ability": {
        "ordinary": ("普通劳动力", "ordinary labour"),
        "skilled": ("技能劳动力", "skilled labour"),
        "weak": ("弱劳动力或半劳动力", "weak or half labour"),
        "lost": ("丧失劳动力", "lost labour ability"),
        "none": ("无劳动力", "no labour ability"),
    },
    "not_in_school_reason": {
        "illness": ("因病", "illness"),
        "disability": ("因残", "disability"),
        "family": ("家庭原因", "family reasons"),
        "weariness": ("厌学", "weariness of school"),
        "work": ("务工", "working"),
        "other": ("其他", "other"),
    },
    "house_grade": {
        "a": ("A 级", "grade A"),
        "b": ("B 级", "grade B"),
        "c": ("C 级", "grade C"),
        "d": ("D 级", "grade D"),
    },
    "health": {
        "healthy": ("健康", "healthy"),
        "chronic": ("长期慢性病", "chronic illness"),
        "serious_illness": ("患有大病", "serious illness"),
        "disabled": ("残疾", "disabled"),
    },
}


def code_label(enum: str, code: str, lang: str) -> str:
    """The zh (default) or en label of a code, or the code itself when unknown."""
    labels = CODE_LABELS.get(enum, {}).get(code)
    if labels is None:
        return code
    return labels[1] if lang == "en" else labels[0]


def code_labels(enum: str, codes: tuple[str, ...] | list[str], lang: str) -> str:
    """Several labels joined the way each language lists them."""
    separator = ", " if lang == "en" else "、"
    return separator.join(code_label(enum, c, lang) for c in codes)
