"""The safe relevance evaluator: what it accepts, how it treats missing data, what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_schema.forms.relevance import (
    ConditionError,
    compile_condition,
    condition_names,
    evaluate_condition,
    lookup,
)

VALUES = {
    "health": ["chronic", "disabled"],
    "risks": ["disaster"],
    "age": 12,
    "school_stage": None,
    "water": {"source": "well", "quantity_lpd": 18.5},
    "contact_mode": "in_person",
    "confirmed": True,
}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'disabled' in health", True),
        ("'healthy' in health", False),
        ("'disaster' in risks", True),
        ("'illness' not in risks", True),
        ("age >= 6 and age <= 16 and not school_stage", True),
        ("6 <= age <= 16", True),
        ("6 <= age <= 11", False),
        ("age > 16 or school_stage", False),
        ("water.source != 'tap'", True),
        ("water.source == 'tap'", False),
        ("water.quantity_lpd < 20", True),
        ("water.source in ['well', 'spring']", True),
        ("water.source in ('tap',)", False),
        ("contact_mode == 'in_person' and confirmed == True", True),
        ("not confirmed", False),
        ("age > -1", True),
        ("risks", True),
        ("school_stage == None", True),
    ],
)
def test_accepted_conditions(expr, expected):
    assert evaluate_condition(expr, VALUES) is expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'disabled' in health", False),  # health missing: `in None` is false
        ("'disabled' not in health", True),
        ("age >= 6", False),  # ordering with None is false, never an error
        ("age < 6", False),
        ("not school_stage", True),
        ("water.source != 'tap'", True),
        ("water.source == 'tap'", False),
        ("unknown.deeply.nested == None", True),
    ],
)
def test_missing_names_are_none(expr, expected):
    assert evaluate_condition(expr, {}) is expected


def test_mismatched_types_compare_false_instead_of_raising():
    assert evaluate_condition("age >= 6", {"age": "twelve"}) is False
    assert evaluate_condition("'x' in health", {"health": 5}) is False
    assert evaluate_condition("'x' not in health", {"health": 5}) is True
    assert evaluate_condition("[1] in health", {"health": {"a": 1}}) is False


def test_dotted_names_read_flat_or_nested_values():
    assert lookup({"water.source": "tap"}, "water.source") == "tap"
    assert lookup({"water": {"source": "tap"}}, "water.source") == "tap"
    assert lookup({"water": "tap"}, "water.source") is None
    assert evaluate_condition("water.source == 'tap'", {"water.source": "tap"}) is True


def test_no_condition_always_holds_and_compilation_is_cached():
    assert evaluate_condition(None, {}) is True
    assert evaluate_condition("", {}) is True
    assert compile_condition("age >= 6") is compile_condition("age >= 6")
    assert compile_condition("6 <= age and water.source != 'tap'").names == {"age", "water.source"}
    assert condition_names(["'a' in risks", None, "x.y"]) == {"risks", "x.y"}


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "().__class__",
        "health.__class__",
        "health._private",
        "_secret",
        "len(health)",
        "health.count('x')",
        "(lambda: 1)()",
        "lambda: 1",
        "health[0]",
        "water['source']",
        "[x for x in health]",
        "{x for x in health}",
        "{k: 1 for k in health}",
        "(x for x in health)",
        "f'{age}'",
        "age + 1 > 2",
        "age if age else 0",
        "age is None",
        "age is not None",
        "{'a', 'b'}",
        "{'a': 1}",
        "(age := 3)",
        "b'bytes'",
        "1j",
        "...",
        "-'text'",
        "~age",
        "age; 1",
        "import os",
        "",
        "   ",
        "a" * 600,
    ],
)
def test_unsafe_or_unsupported_expressions_are_refused(expr):
    with pytest.raises(ConditionError):
        compile_condition(expr)


def test_refusal_messages_say_what_is_wrong():
    with pytest.raises(ConditionError, match="Call is not allowed"):
        compile_condition("len(health) > 1")
    with pytest.raises(ConditionError, match="names starting with '_'"):
        compile_condition("health.__class__")
    with pytest.raises(ConditionError, match="Subscript is not allowed"):
        compile_condition("health[0]")
    with pytest.raises(ConditionError, match="not a valid condition"):
        compile_condition("age >=")


NAMES = ("a", "b", "c")


@st.composite
def safe_expressions(draw, depth=0):
    """Random whitelisted expressions over integer names a, b, c."""
    atom = st.one_of(st.sampled_from(NAMES), st.integers(-3, 3).map(str))
    kind = draw(st.sampled_from(["compare", "in"] + (["bool", "not"] if depth < 3 else [])))
    if kind == "compare":
        ops = draw(
            st.lists(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), min_size=1, max_size=2)
        )
        parts = [draw(atom)]
        for op in ops:
            parts += [op, draw(atom)]
        return " ".join(parts)
    if kind == "in":
        items = draw(st.lists(atom, max_size=3))
        op = draw(st.sampled_from(["in", "not in"]))
        return f"{draw(atom)} {op} [{', '.join(items)}]"
    if kind == "not":
        return f"not ({draw(safe_expressions(depth + 1))})"
    joiner = draw(st.sampled_from([" and ", " or "]))
    return joiner.join(f"({draw(safe_expressions(depth + 1))})" for _ in range(2))


@settings(max_examples=300, deadline=None)
@given(expr=safe_expressions(), a=st.integers(-3, 3), b=st.integers(-3, 3), c=st.integers(-3, 3))
def test_agrees_with_python_on_well_typed_values(expr, a, b, c):
    values = {"a": a, "b": b, "c": c}
    # Python itself is the oracle here (test code only, on generated whitelisted text).
    expected = bool(eval(expr, {"__builtins__": {}}, dict(values)))
    assert evaluate_condition(expr, values) is expected
