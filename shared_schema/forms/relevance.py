"""A tiny, safe evaluator for the `relevant` conditions of form fields.

Conditions are data (they travel to phones inside the form definition), so they are never
given to `eval`. `compile_condition` parses with `ast.parse(mode="eval")`, accepts only this
whitelist and turns it into closures:

- `and` / `or`, `not`;
- comparisons `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in` (chains allowed: `6 <= age <= 16`);
- names and dotted names (`water.source`), looked up in the values; a name starting with `_`
  is refused, so no dunder can be reached;
- constants: strings, numbers, booleans, `None` (and a minus sign on a number);
- list and tuple literals.

Anything else (calls, subscripts, lambdas, comprehensions, f-strings, `is`, arithmetic...) is a
`ConditionError` at definition time. Evaluation never raises on data: a missing name is `None`;
an ordering comparison that involves `None` or mismatched types is false; `x in None` is false
and `x not in None` is true (unknown values hide a field rather than show it by accident).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared_schema.forms.model import FormDef

MAX_CONDITION_LENGTH = 500

Getter = Callable[[Mapping[str, Any]], Any]


class ConditionError(ValueError):
    """A condition uses syntax outside the whitelist (or is not valid Python at all)."""


def lookup(values: Mapping[str, Any], name: str) -> Any:
    """A value by dotted name: a flat key `water.source` first, else nested objects; else None."""
    if name in values:
        return values[name]
    current: Any = values
    for part in name.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        try:
            return bool(op(left, right))
        except TypeError:
            return False

    return compare


def _contains(left: Any, right: Any) -> bool:
    if right is None:
        return False
    try:
        return bool(left in right)
    except TypeError:
        return False


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: _ordered(operator.lt),
    ast.LtE: _ordered(operator.le),
    ast.Gt: _ordered(operator.gt),
    ast.GtE: _ordered(operator.ge),
    ast.In: _contains,
    ast.NotIn: lambda left, right: not _contains(left, right),
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))


def _dotted_name(node: ast.expr, expr: str) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ConditionError(f"{expr!r}: only names may have dotted parts")
    parts.append(node.id)
    for part in parts:
        if part.startswith("_"):
            raise ConditionError(f"{expr!r}: names starting with '_' are not allowed ({part!r})")
    return ".".join(reversed(parts))


def _compile(node: ast.AST, expr: str, names: set[str]) -> Getter:
    """Closure computing one whitelisted node; records the names it reads."""
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, expr, names) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda values: all(bool(p(values)) for p in parts)
        return lambda values: any(bool(p(values)) for p in parts)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            inner = _compile(node.operand, expr, names)
            return lambda values: not inner(values)
        number = node.operand.value if isinstance(node.operand, ast.Constant) else None
        if isinstance(node.op, ast.USub | ast.UAdd) and type(number) in (int, float):
            assert isinstance(number, int | float)
            signed = -number if isinstance(node.op, ast.USub) else number
            return lambda values: signed
        raise ConditionError(f"{expr!r}: only 'not' and a sign on a number are allowed")
    if isinstance(node, ast.Compare):
        left = _compile(node.left, expr, names)
        steps: list[tuple[Callable[[Any, Any], bool], Getter]] = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            compare = _COMPARE.get(type(op))
            if compare is None:
                raise ConditionError(f"{expr!r}: comparison {type(op).__name__} is not allowed")
            steps.append((compare, _compile(right, expr, names)))

        def chain(values: Mapping[str, Any]) -> bool:
            current = left(values)
            for compare, right_of in steps:
                following = right_of(values)
                if not compare(current, following):
                    return False
                current = following
            return True

        return chain
    if isinstance(node, ast.Name | ast.Attribute):
        if not isinstance(node.ctx, ast.Load):
            raise ConditionError(f"{expr!r}: names may only be read")
        name = _dotted_name(node, expr)
        names.add(name)
        return lambda values: lookup(values, name)
    if isinstance(node, ast.Constant):
        if type(node.value) not in _CONSTANT_TYPES:
            raise ConditionError(f"{expr!r}: constant {node.value!r} is not allowed")
        value = node.value
        return lambda values: value
    if isinstance(node, ast.List | ast.Tuple):
        items = [_compile(e, expr, names) for e in node.elts]
        return lambda values: [item(values) for item in items]
    raise ConditionError(f"{expr!r}: {type(node).__name__} is not allowed in a condition")


@dataclass(frozen=True)
class Condition:
    """A validated condition: call it with the values to get a bool."""

    source: str
    names: frozenset[str]
    _evaluate: Getter

    def __call__(self, values: Mapping[str, Any]) -> bool:
        return bool(self._evaluate(values if isinstance(values, Mapping) else {}))


@lru_cache(maxsize=1024)
def compile_condition(expr: str) -> Condition:
    """Parse and validate a condition once (cached); raises `ConditionError` when unsafe."""
    if not isinstance(expr, str) or not expr.strip():
        raise ConditionError(f"a condition must be a non-empty string, not {expr!r}")
    if len(expr) > MAX_CONDITION_LENGTH:
        raise ConditionError(f"a condition is limited to {MAX_CONDITION_LENGTH} characters")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"{expr!r} is not a valid condition: {exc.msg}") from None
    names: set[str] = set()
    evaluate = _compile(tree.body, expr, names)
    return Condition(source=expr, names=frozenset(names), _evaluate=evaluate)


def evaluate_condition(expr: str | None, values: Mapping[str, Any]) -> bool:
    """Whether a condition holds for the values; no condition (None or "") always holds."""
    if expr is None or expr == "":
        return True
    return compile_condition(expr)(values)


def condition_names(exprs: Iterable[str | None]) -> set[str]:
    """Every name the given conditions read (for checking they refer to real fields)."""
    return {name for e in exprs if e for name in compile_condition(e).names}


def relevant_fields(form: FormDef, values: Mapping[str, Any]) -> set[str]:
    """Paths of the fields to show for these values (their section's condition holds too).

    `values` is the record being edited plus computed values (e.g. `age` for a member, see
    `shared_schema.forms.live`); a field with no condition is always relevant.
    """
    shown: set[str] = set()
    for section in form.sections:
        if not evaluate_condition(section.relevant, values):
            continue
        shown.update(f.path for f in section.fields if evaluate_condition(f.relevant, values))
    return shown
