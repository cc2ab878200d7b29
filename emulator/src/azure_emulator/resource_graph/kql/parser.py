"""Recursive descent over the tokens: a query is an optional table, then ``| operator`` steps.

Expressions bind, loosest first: ``or``, ``and``, comparisons (``==`` ``!=`` ``=~`` ``!~`` ``<`` ... and the
string operators ``has`` ``contains`` ``startswith`` ``endswith`` with their ``!`` and ``_cs`` forms,
``in``/``in~``/``!in``/``!in~`` with a list, ``matches regex``), ``+ -``, ``* / %``, unary ``-``, then member
access (``a.b``, ``a['b']``, ``a[0]``). ``not(...)`` is a function, as in Kusto.
"""

from __future__ import annotations

from typing import Any

from . import syntax as s
from .errors import parser_failure
from .errors import unsupported
from .lexer import Token
from .lexer import tokenize

STRING_OPS = {
    f"{neg}{base}{cs}"
    for base in ("has", "contains", "startswith", "endswith")
    for neg in ("", "!")
    for cs in ("", "_cs")
}
COMPARISONS = {"==", "!=", "=~", "!~", "<", "<=", ">", ">=", "<>"}
IN_OPS = {"in", "in~", "!in", "!in~"}
# Operators Kusto has and the emulator does not (Resource Graph supports some: union, sample, project-rename).
UNSUPPORTED = {
    "parse", "mv-apply", "union", "sample", "evaluate", "make-series", "render", "lookup", "as", "invoke",
    "getschema", "project-rename", "project-reorder", "project-keep", "serialize", "search", "find", "print",
    "range", "externaldata", "partition", "scan", "facet", "fork", "sample-distinct", "top-nested",
    "top-hitters", "reduce", "let", "parse-where", "parse-kv", "mvexpand", "mv-expand-apply",
}  # fmt: skip
TABULAR = {"where", "filter", "project", "project-away", "extend", "order", "sort", "limit", "take", "top"}
TABULAR |= {"summarize", "count", "distinct", "join", "mv-expand"}
MV_EXPAND_LIMIT = (128, 400)  # Resource Graph: RowLimit default 128, at most 400 (query-language.md)


def parse(text: str) -> s.Query:
    parser = _Parser(tokenize(text))
    query = parser.query()
    parser.expect_end()
    return query


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.i = tokens, 0

    # Token helpers --------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def at(self, *texts: str) -> bool:
        t = self.tok
        return t.kind in ("op", "name") and t.text.lower() in texts

    def take(self) -> Token:
        token = self.tok
        self.i += 1
        return token

    def fail(self, token: Token | None = None) -> Exception:
        token = token or self.tok
        return parser_failure(token.line, token.column, token.text)

    def expect(self, *texts: str) -> Token:
        if not self.at(*texts):
            raise self.fail()
        return self.take()

    def expect_end(self) -> None:
        if self.tok.kind != "end":
            raise self.fail()

    def name(self) -> str:
        if self.tok.kind == "name":
            return str(self.take().value)
        if self.at("["):  # ['name with.dots']
            self.take()
            if self.tok.kind != "string":
                raise self.fail()
            value = str(self.take().value)
            self.expect("]")
            return value
        raise self.fail()

    def integer(self) -> int:
        if self.tok.kind != "number" or not isinstance(self.tok.value, int):
            raise self.fail()
        return int(self.take().value)  # type: ignore[call-overload]

    # Query ------------------------------------------------------------------------------------
    def query(self) -> s.Query:
        table = None
        if self.tok.kind == "name" and self.tok.text.lower() not in TABULAR | UNSUPPORTED:
            table = self.take().text
        elif self.tok.kind == "name":
            operators = [self.operator()]  # "where ..." alone: the default table
            return s.Query(None, tuple(operators + self.steps()))
        return s.Query(table, tuple(self.steps()))

    def steps(self) -> list[s.Operator]:
        found = []
        while self.at("|"):
            self.take()
            found.append(self.operator())
        return found

    def operator(self) -> s.Operator:
        token = self.tok
        word = token.text.lower() if token.kind == "name" else ""
        if word in UNSUPPORTED:
            raise unsupported(token.text)
        handler = getattr(self, "op_" + word.replace("-", "_"), None)
        if word not in TABULAR or handler is None:
            raise self.fail()
        self.take()
        return handler()

    def op_where(self) -> s.Operator:
        return s.Where(self.expr())

    op_filter = op_where

    def op_project(self) -> s.Operator:
        return s.Project(tuple(self.named_list()))

    def op_project_away(self) -> s.Operator:
        names = [self.name()]
        while self.at(","):
            self.take()
            names.append(self.name())
        return s.ProjectAway(tuple(names))

    def op_extend(self) -> s.Operator:
        return s.Extend(tuple(self.named_list()))

    def op_order(self) -> s.Operator:
        self.expect("by")
        keys = [self.sort_key()]
        while self.at(","):
            self.take()
            keys.append(self.sort_key())
        return s.Sort(tuple(keys))

    op_sort = op_order

    def sort_key(self) -> tuple[s.Expr, bool, bool]:
        expr = self.expr()
        descending = True  # Kusto sorts descending unless told
        if self.at("asc", "desc"):
            descending = self.take().text.lower() == "desc"
        nulls_first = not descending
        if self.at("nulls"):
            self.take()
            nulls_first = self.expect("first", "last").text.lower() == "first"
        return expr, descending, nulls_first

    def op_limit(self) -> s.Operator:
        return s.Take(self.integer())

    op_take = op_limit

    def op_top(self) -> s.Operator:
        count = self.integer()
        self.expect("by")
        return s.Top(count, self.sort_key())

    def op_summarize(self) -> s.Operator:
        aggregates = [] if self.at("by") else self.named_list()
        by = []
        if self.at("by"):
            self.take()
            by = self.named_list()
        return s.Summarize(tuple(aggregates), tuple(by))

    def op_count(self) -> s.Operator:
        return s.Count()

    def op_distinct(self) -> s.Operator:
        return s.Distinct(tuple(self.named_list()))

    def op_join(self) -> s.Operator:
        kind = "innerunique"
        if self.at("kind"):
            self.take()
            self.expect("=")
            kind = self.name().lower()
            if kind not in ("innerunique", "inner", "leftouter"):
                raise unsupported(f"kind={kind}")
        self.expect("(")
        right = self.query()
        self.expect(")")
        self.expect("on")
        keys = [self.join_key()]
        while self.at(","):
            self.take()
            keys.append(self.join_key())
        return s.Join(kind, right, tuple(keys))

    def join_key(self) -> tuple[str, str]:
        if not self.at("$"):
            name = self.name()
            return name, name
        sides = {}
        for _ in range(2):
            self.expect("$")
            side = self.expect("left", "right").text.lower()
            self.expect(".")
            sides[side] = self.name()
            if len(sides) == 1:
                self.expect("==")
        if set(sides) != {"left", "right"}:
            raise self.fail()
        return sides["left"], sides["right"]

    def op_mv_expand(self) -> s.Operator:
        name = self.assigned_name()
        expr = self.expr()
        limit = MV_EXPAND_LIMIT[0]
        if self.at("limit"):
            self.take()
            limit = self.integer()
            if limit > MV_EXPAND_LIMIT[1]:
                raise parser_failure(self.tok.line, self.tok.column, str(limit))
        return s.MvExpand(name, expr, limit)

    # Named expressions ------------------------------------------------------------------------
    def assigned_name(self) -> str | None:
        nxt = self.tokens[self.i + 1]
        if (self.tok.kind == "name" and nxt.kind == "op" and nxt.text == "=") or (
            self.at("[") and self.tokens[self.i + 3].text == "="
        ):
            name = self.name()
            self.expect("=")
            return name
        return None

    def named_list(self) -> list[s.Named]:
        items = [(self.assigned_name(), self.expr())]
        while self.at(","):
            self.take()
            items.append((self.assigned_name(), self.expr()))
        return items

    # Expressions ------------------------------------------------------------------------------
    def expr(self) -> s.Expr:
        left = self.and_expr()
        while self.at("or"):
            self.take()
            left = s.Binary("or", left, self.and_expr())
        return left

    def and_expr(self) -> s.Expr:
        left = self.comparison()
        while self.at("and"):
            self.take()
            left = s.Binary("and", left, self.comparison())
        return left

    def comparison(self) -> s.Expr:
        left = self.additive()
        word = self.tok.text.lower() if self.tok.kind in ("op", "name") else ""
        if word in COMPARISONS or word in STRING_OPS:
            self.take()
            return s.Binary(word, left, self.additive())
        if word in IN_OPS:
            self.take()
            return s.InList(word, left, tuple(self.call_args()))
        if word == "matches":
            self.take()
            self.expect("regex")
            return s.Binary("matches regex", left, self.additive())
        return left

    def additive(self) -> s.Expr:
        left = self.multiplicative()
        while self.at("+", "-"):
            op = self.take().text
            left = s.Binary(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> s.Expr:
        left = self.unary()
        while self.at("*", "/", "%"):
            op = self.take().text
            left = s.Binary(op, left, self.unary())
        return left

    def unary(self) -> s.Expr:
        if self.at("-"):
            self.take()
            return s.Neg(self.unary())
        return self.postfix(self.primary())

    def postfix(self, expr: s.Expr) -> s.Expr:
        while self.at(".", "["):
            if self.take().text == ".":
                expr = s.Member(expr, self.name())
                continue
            key: Any = self.take().value if self.tok.kind in ("string", "number") else None
            if key is None:
                raise self.fail()
            self.expect("]")
            expr = s.Member(expr, key)
        return expr

    def primary(self) -> s.Expr:
        token = self.tok
        if token.kind in ("string", "number"):
            return s.Lit(self.take().value)
        if self.at("("):
            self.take()
            inner = self.expr()
            self.expect(")")
            return inner
        if self.at("["):
            return s.Col(self.name())
        if token.kind != "name":
            raise self.fail()
        word = token.text.lower()
        if word in ("true", "false"):
            self.take()
            return s.Lit(word == "true")
        if word == "dynamic" and self.tokens[self.i + 1].text == "(":
            return self.dynamic()
        self.take()
        if self.at("("):
            return s.Call(word, tuple(self.call_args()))
        if word in TABULAR | UNSUPPORTED | {"by", "on", "kind", "and", "or"}:
            raise self.fail()  # a keyword where a value belongs: Kusto fails on what follows it
        return s.Col(token.text)

    def call_args(self) -> list[s.Expr]:
        self.expect("(")
        args: list[s.Expr] = []
        if not self.at(")"):
            args.append(self.expr())
            while self.at(","):
                self.take()
                args.append(self.expr())
        self.expect(")")
        return args

    def dynamic(self) -> s.Expr:
        self.take()
        self.expect("(")
        value = self.json_value()
        self.expect(")")
        return s.Lit(value)

    def json_value(self) -> Any:
        if self.tok.kind in ("string", "number"):
            return self.take().value
        if self.at("-"):
            self.take()
            return -self.json_value()
        if self.at("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[self.take().text.lower()]
        if self.at("["):
            return self.json_items("]", lambda: self.json_value())
        if self.at("{"):
            return dict(self.json_items("}", self.json_pair))
        raise self.fail()

    def json_pair(self) -> tuple[str, Any]:
        if self.tok.kind != "string":
            raise self.fail()
        key = str(self.take().value)
        self.expect(":")
        return key, self.json_value()

    def json_items(self, close: str, item: Any) -> list[Any]:
        self.take()
        found = []
        while not self.at(close):
            found.append(item())
            if not self.at(close):
                self.expect(",")
        self.take()
        return found
