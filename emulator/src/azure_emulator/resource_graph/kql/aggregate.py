"""``summarize``: groups by the ``by`` columns (first-seen order), the aggregations after them."""

from __future__ import annotations

from typing import Any
from typing import Callable
from typing import Iterable

from . import syntax as s
from .compile import Row
from .compile import Schema
from .compile import compile_expr
from .compile import default_name
from .errors import semantic
from .errors import unknown_function
from .functions import AGGREGATES
from .values import hashable
from .values import sort_key
from .values import truthy

Aggregate = tuple[str, Callable[[list[Row]], Any], str]


def summarize(
    aggregates: tuple[s.Named, ...],
    by: list[tuple[str, Callable[[Row], Any], str]],
    schema: Schema,
    rows: Iterable[Row],
) -> tuple[Schema, list[Row]]:
    compiled = [_aggregate(name, expr, schema) for name, expr in aggregates]
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], list[Row]]] = {}
    for row in rows:
        values = {name: fn(row) for name, fn, _k in by}
        key = tuple(hashable(v) for v in values.values())
        groups.setdefault(key, (values, []))[1].append(row)
    if not by and not groups:
        groups[()] = ({}, [])  # an aggregation over nothing still has one row (count() is 0)
    out_schema = {**{name: kind for name, _fn, kind in by}, **{name: kind for name, _fn, kind in compiled}}
    out = [{**values, **{name: fn(members) for name, fn, _k in compiled}} for values, members in groups.values()]
    return out_schema, out


def _aggregate(name: str | None, expr: s.Expr, schema: Schema) -> Aggregate:
    if not isinstance(expr, s.Call):
        raise semantic("summarize operator: an aggregation function is expected.")
    found = AGGREGATES.get(expr.name)
    if found is None:
        raise unknown_function(expr.name)
    prefix, takes_arg, kind = found
    if takes_arg != bool(expr.args) or len(expr.args) > 1:
        raise semantic(f"Function '{expr.name}': wrong number of arguments.")
    if not takes_arg:
        return name or prefix, len, kind or "long"
    fn, arg_kind = compile_expr(expr.args[0], schema, "summarize")
    column = name or (prefix + default_name(expr.args[0], 1) if expr.name != "countif" else prefix)
    return column, _reducer(expr.name, fn), kind or arg_kind


def _reducer(name: str, fn: Callable[[Row], Any]) -> Callable[[list[Row]], Any]:
    def values(rows: list[Row]) -> list[Any]:
        return [v for v in (fn(r) for r in rows) if v is not None]

    def unique(rows: list[Row]) -> list[Any]:
        seen: dict[Any, Any] = {}
        for v in values(rows):
            seen.setdefault(hashable(v), v)
        return list(seen.values())

    reducers: dict[str, Callable[[list[Row]], Any]] = {
        "countif": lambda rows: sum(1 for r in rows if truthy(fn(r))),
        "dcount": lambda rows: len(unique(rows)),
        "sum": lambda rows: sum(v for v in values(rows) if isinstance(v, (int, float))),
        "min": lambda rows: min(values(rows), key=sort_key, default=None),
        "max": lambda rows: max(values(rows), key=sort_key, default=None),
        "avg": lambda rows: (sum(values(rows)) / len(values(rows))) if values(rows) else None,
        "make_set": unique,
        "make_list": values,
        "any": lambda rows: next(iter(values(rows)), None),
        "take_any": lambda rows: next(iter(values(rows)), None),
    }
    return reducers[name]
