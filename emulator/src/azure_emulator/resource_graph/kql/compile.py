"""Expressions compiled once per operator into closures over a row (a dict), with their static type.

Types are Kusto's: string, long, real, bool, dynamic. A column the input does not have is refused as Kusto
refuses it (errors.unknown_column), naming the operator."""

from __future__ import annotations

import re
from typing import Any
from typing import Callable

from . import syntax as s
from .errors import semantic
from .errors import unknown_column
from .errors import unknown_function
from .functions import FUNCTIONS
from .values import equal
from .values import equal_ci
from .values import member
from .values import order
from .values import string_test
from .values import truthy

Row = dict[str, Any]
Fn = Callable[[Row], Any]
Schema = dict[str, str]  # column -> type, in output order


def literal_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "real"
    return "string" if isinstance(value, str) else "dynamic"


def compile_expr(expr: s.Expr, schema: Schema, operator: str) -> tuple[Fn, str]:
    if isinstance(expr, s.Lit):
        value = expr.value
        return (lambda row: value), literal_type(value)
    if isinstance(expr, s.Col):
        if expr.name not in schema:
            raise unknown_column(operator, expr.name)
        name = expr.name
        return (lambda row: row.get(name)), schema[name]
    if isinstance(expr, s.Member):
        base, _kind = compile_expr(expr.base, schema, operator)
        key = expr.key
        return (lambda row: member(base(row), key)), "dynamic"
    if isinstance(expr, s.Neg):
        inner, kind = compile_expr(expr.operand, schema, operator)
        return (lambda row: None if inner(row) is None else -inner(row)), kind
    if isinstance(expr, s.InList):
        return _in_list(expr, schema, operator)
    if isinstance(expr, s.Binary):
        return _binary(expr, schema, operator)
    return _call(expr, schema, operator)


def _call(expr: s.Call, schema: Schema, operator: str) -> tuple[Fn, str]:
    found = FUNCTIONS.get(expr.name)
    if found is None:
        raise unknown_function(expr.name)
    impl, kind, (fewest, most) = found
    if not fewest <= len(expr.args) <= most:
        raise semantic(f"Function '{expr.name}': expects {fewest} to {most} arguments, got {len(expr.args)}.")
    compiled = [compile_expr(a, schema, operator) for a in expr.args]
    fns = [fn for fn, _k in compiled]
    if kind is None:
        kind = compiled[1][1] if expr.name in ("iff", "iif") else compiled[0][1]
    if len(fns) == 1:
        only = fns[0]
        return (lambda row: impl(only(row))), kind
    return (lambda row: impl(*(fn(row) for fn in fns))), kind


def _in_list(expr: s.InList, schema: Schema, operator: str) -> tuple[Fn, str]:
    left, _kind = compile_expr(expr.left, schema, operator)
    items = [compile_expr(i, schema, operator)[0] for i in expr.items]
    insensitive, negated = expr.op.endswith("~"), expr.op.startswith("!")
    if all(isinstance(i, s.Lit) for i in expr.items):  # the usual case: a constant set
        values = [i.value for i in expr.items]  # type: ignore[union-attr]
        texts = {str(v).casefold() if insensitive else v for v in values}

        def member_of(row: Row) -> bool:
            value = left(row)
            if value is None:
                return False
            key = value.casefold() if insensitive and isinstance(value, str) else value
            return (key not in texts) if negated else (key in texts)

        return member_of, "bool"
    same = equal_ci if insensitive else equal

    def in_any(row: Row) -> bool:
        value = left(row)
        found = any(same(value, item(row)) for item in items)
        return value is not None and (not found if negated else found)

    return in_any, "bool"


def _binary(expr: s.Binary, schema: Schema, operator: str) -> tuple[Fn, str]:
    left, left_kind = compile_expr(expr.left, schema, operator)
    right, right_kind = compile_expr(expr.right, schema, operator)
    op = expr.op
    if op == "and":
        return (lambda row: truthy(left(row)) and truthy(right(row))), "bool"
    if op == "or":
        return (lambda row: truthy(left(row)) or truthy(right(row))), "bool"
    if op in ("==", "!=", "<>"):
        negate = op != "=="
        return (lambda row: _eq(left(row), right(row), equal, negate)), "bool"
    if op in ("=~", "!~"):
        negate = op == "!~"
        return (lambda row: _eq(left(row), right(row), equal_ci, negate)), "bool"
    if op in ("<", "<=", ">", ">="):
        return (lambda row: order(left(row), right(row), op)), "bool"
    if op == "matches regex":
        return (lambda row: left(row) is not None and re.search(str(right(row)), str(left(row))) is not None), "bool"
    if op in ("+", "-", "*", "/", "%"):
        kind = "real" if "real" in (left_kind, right_kind) or op == "/" else "long"
        return (lambda row: _arith(op, left(row), right(row))), kind
    return (lambda row: string_test(op, left(row), right(row))), "bool"


def _eq(a: Any, b: Any, same: Callable[[Any, Any], bool], negate: bool) -> bool:
    if a is None or b is None:
        return False
    return not same(a, b) if negate else same(a, b)


def _arith(op: str, a: Any, b: Any) -> Any:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or isinstance(a, bool):
        return None
    if op in ("/", "%") and b == 0:
        return None
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "%": a % b}[op]


def default_name(expr: s.Expr, position: int) -> str:
    """Kusto names an unnamed column after the path it reads (``properties.a.b`` -> ``properties_a_b``),
    through functions of it (``tostring(properties.a)`` -> ``properties_a``); otherwise Column<n>."""
    if isinstance(expr, s.Col):
        return expr.name
    if isinstance(expr, s.Member):
        base = default_name(expr.base, position)
        return f"{base}_{expr.key}" if not base.startswith("Column") else base
    if isinstance(expr, s.Call) and expr.args:
        return default_name(expr.args[0], position)
    return f"Column{position}"
