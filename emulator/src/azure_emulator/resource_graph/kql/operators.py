"""Tabular operators over rows: each takes (schema, rows) and gives (schema, rows). ``run`` chains them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Callable
from typing import Iterable

from . import syntax as s
from .aggregate import summarize
from .compile import Row
from .compile import Schema
from .compile import compile_expr
from .compile import default_name
from .errors import unknown_column
from .errors import unknown_table
from .values import hashable
from .values import sort_key
from .values import truthy

Tables = Callable[[str], "tuple[Schema, Iterable[Row]] | None"]
DEFAULT_TABLE = "resources"


@dataclass
class Result:
    schema: Schema
    rows: list[Row]
    limited: bool  # the query has limit/take/top: Resource Graph does not page it


def run(query: s.Query, tables: Tables) -> Result:
    name = (query.table or DEFAULT_TABLE).lower()
    found = tables(name)
    if found is None:
        raise unknown_table(query.table or DEFAULT_TABLE)
    schema, rows = found
    rows = list(rows) if not query.operators else rows
    for operator in query.operators:
        schema, rows = STEPS[type(operator)](operator, schema, rows, tables)
    return Result(schema, list(rows), query.limits_rows())


def _where(op: s.Where, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    test, _kind = compile_expr(op.predicate, schema, "where")
    return schema, [row for row in rows if truthy(test(row))]


def _named(items: tuple[s.Named, ...], schema: Schema, operator: str) -> list[tuple[str, Callable[[Row], Any], str]]:
    compiled = []
    for position, (name, expr) in enumerate(items, start=1):
        fn, kind = compile_expr(expr, schema, operator)
        compiled.append((name or default_name(expr, position), fn, kind))
    return compiled


def _project(op: s.Project, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    columns = _named(op.items, schema, "project")
    out = {name: kind for name, _fn, kind in columns}
    return out, [{name: fn(row) for name, fn, _k in columns} for row in rows]


def _extend(op: s.Extend, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    columns = _named(op.items, schema, "extend")
    out = {**schema, **{name: kind for name, _fn, kind in columns}}
    result = []
    for row in rows:
        extended = dict(row)
        for name, fn, _kind in columns:
            extended[name] = fn(row)
        result.append(extended)
    return out, result


def _project_away(
    op: s.ProjectAway, schema: Schema, rows: Iterable[Row], tables: Tables
) -> tuple[Schema, Iterable[Row]]:
    for name in op.names:
        if name not in schema:
            raise unknown_column("project-away", name)
    out = {k: v for k, v in schema.items() if k not in op.names}
    return out, [{k: v for k, v in row.items() if k in out} for row in rows]


def _sorted(keys: tuple[tuple[s.Expr, bool, bool], ...], schema: Schema, rows: Iterable[Row]) -> list[Row]:
    ordered = list(rows)
    for expr, descending, nulls_first in reversed(keys):  # stable sorts, last key first
        fn, _kind = compile_expr(expr, schema, "sort")
        present = [r for r in ordered if fn(r) is not None]
        missing = [r for r in ordered if fn(r) is None]
        present.sort(key=lambda r: sort_key(fn(r)), reverse=descending)
        ordered = missing + present if nulls_first else present + missing
    return ordered


def _sort(op: s.Sort, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    return schema, _sorted(op.keys, schema, rows)


def _take(op: s.Take, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    return schema, list(rows)[: op.count]


def _top(op: s.Top, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    return schema, _sorted((op.key,), schema, rows)[: op.count]


def _summarize(op: s.Summarize, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    by = _named(op.by, schema, "summarize")
    return summarize(op.aggregates, by, schema, rows)


def _count(op: s.Count, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    return {"Count": "long"}, [{"Count": len(list(rows))}]


def _distinct(op: s.Distinct, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    columns = _named(op.items, schema, "distinct")
    seen, out = set(), []
    for row in rows:
        values = {name: fn(row) for name, fn, _k in columns}
        key = tuple(hashable(v) for v in values.values())
        if key not in seen:
            seen.add(key)
            out.append(values)
    return {name: kind for name, _fn, kind in columns}, out


def _mv_expand(op: s.MvExpand, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    fn, _kind = compile_expr(op.expr, schema, "mv-expand")
    name = op.name or default_name(op.expr, 1)
    out = []
    for row in rows:
        value = fn(row)
        if isinstance(value, dict):
            items: list[Any] = [{k: v} for k, v in value.items()]
        else:
            items = value if isinstance(value, list) else [value]
        for item in (items or [None])[: op.limit]:
            out.append({**row, name: item})
    return {**schema, name: "dynamic"}, out


def _join(op: s.Join, schema: Schema, rows: Iterable[Row], tables: Tables) -> tuple[Schema, Iterable[Row]]:
    right = run(op.right, tables)
    for left_key, right_key in op.keys:
        if left_key not in schema:
            raise unknown_column("join", left_key)
        if right_key not in right.schema:
            raise unknown_column("join", right_key)
    renamed = _right_names(schema, right.schema)
    out_schema = {**schema, **{renamed[k]: v for k, v in right.schema.items()}}
    index: dict[tuple[Any, ...], list[Row]] = {}
    for row in right.rows:
        index.setdefault(tuple(hashable(row.get(r)) for _l, r in op.keys), []).append(row)
    left_rows, seen, out = list(rows), set(), []
    for row in left_rows:
        key = tuple(hashable(row.get(lk)) for lk, _r in op.keys)
        if op.kind == "innerunique":
            if key in seen:
                continue
            seen.add(key)
        matches = index.get(key, []) if None not in key else []
        if not matches and op.kind == "leftouter":
            out.append({**row, **{renamed[k]: None for k in right.schema}})
        for match in matches:
            out.append({**row, **{renamed[k]: v for k, v in match.items()}})
    return out_schema, out


def _right_names(left: Schema, right: Schema) -> dict[str, str]:
    """The right side's columns; a name the left has gets 1 appended (2, ... if that is taken too)."""
    names: dict[str, str] = {}
    taken = set(left)
    for name in right:
        new, n = name, 0
        while new in taken:
            n += 1
            new = f"{name}{n}"
        taken.add(new)
        names[name] = new
    return names


STEPS: dict[type, Callable[..., tuple[Schema, Iterable[Row]]]] = {
    s.Where: _where,
    s.Project: _project,
    s.ProjectAway: _project_away,
    s.Extend: _extend,
    s.Sort: _sort,
    s.Take: _take,
    s.Top: _top,
    s.Summarize: _summarize,
    s.Count: _count,
    s.Distinct: _distinct,
    s.MvExpand: _mv_expand,
    s.Join: _join,
}
