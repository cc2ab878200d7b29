"""The parsed form of a query: expressions and tabular operators (plain frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Union


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Member:
    """``base.key``, ``base['key']`` or ``base[0]``."""

    base: Expr
    key: Any


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class InList:
    op: str  # in, in~, !in, !in~
    left: Expr
    items: tuple[Expr, ...]


Expr = Union[Lit, Col, Member, Call, Binary, Neg, InList]
Named = tuple[Union[str, None], Expr]  # "name = expr", or an expression named after itself


@dataclass(frozen=True)
class Where:
    predicate: Expr


@dataclass(frozen=True)
class Project:
    items: tuple[Named, ...]


@dataclass(frozen=True)
class ProjectAway:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Extend:
    items: tuple[Named, ...]


@dataclass(frozen=True)
class Sort:
    keys: tuple[tuple[Expr, bool, bool], ...]  # (expression, descending, nulls first)


@dataclass(frozen=True)
class Take:
    count: int


@dataclass(frozen=True)
class Top:
    count: int
    key: tuple[Expr, bool, bool]


@dataclass(frozen=True)
class Summarize:
    aggregates: tuple[Named, ...]
    by: tuple[Named, ...]


@dataclass(frozen=True)
class Count:
    pass


@dataclass(frozen=True)
class Distinct:
    items: tuple[Named, ...]


@dataclass(frozen=True)
class Join:
    kind: str
    right: Query
    keys: tuple[tuple[str, str], ...]  # (left column, right column)


@dataclass(frozen=True)
class MvExpand:
    name: str | None
    expr: Expr
    limit: int


Operator = Union[Where, Project, ProjectAway, Extend, Sort, Take, Top, Summarize, Count, Distinct, Join, MvExpand]


@dataclass(frozen=True)
class Query:
    table: str | None
    operators: tuple[Operator, ...] = field(default=())

    def limits_rows(self) -> bool:
        """A ``limit``/``take``/``top`` anywhere: Resource Graph does not page such a query."""
        return any(isinstance(op, (Take, Top)) for op in self.operators)
