"""Scalar functions the subset knows: name -> (implementation over evaluated arguments, result type).

A result type of None takes the type of the function's second argument (``iff``) or first (``coalesce``)."""

from __future__ import annotations

import json
import re
from typing import Any
from typing import Callable

from .values import stable_hash
from .values import tostring
from .values import truthy


def _number(value: Any, kind: type) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        return None


def _tobool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, (int, float)):
        return value != 0
    return None


def _parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _split(text: Any, sep: Any, index: Any = None) -> Any:
    parts = tostring(text).split(tostring(sep))
    if index is None:
        return parts
    return parts[index] if isinstance(index, int) and -len(parts) <= index < len(parts) else None


def _substring(text: Any, start: Any, length: Any = None) -> str:
    value = tostring(text)
    begin = max(0, int(start or 0))
    return value[begin:] if length is None else value[begin : begin + max(0, int(length))]


def _extract(pattern: Any, group: Any, text: Any) -> str:
    found = re.search(tostring(pattern), tostring(text))
    return found.group(int(group)) or "" if found else ""


def _array_length(value: Any) -> Any:
    return len(value) if isinstance(value, list) else None


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if not _empty(v)), None)


Impl = Callable[..., Any]
FUNCTIONS: dict[str, tuple[Impl, str | None, tuple[int, int]]] = {
    # name: (implementation, result type, (fewest, most) arguments)
    "tostring": (tostring, "string", (1, 1)),
    "tolower": (lambda v: tostring(v).lower(), "string", (1, 1)),
    "toupper": (lambda v: tostring(v).upper(), "string", (1, 1)),
    "toint": (lambda v: _number(v, int), "long", (1, 1)),
    "tolong": (lambda v: _number(v, int), "long", (1, 1)),
    "todouble": (lambda v: _number(v, float), "real", (1, 1)),
    "toreal": (lambda v: _number(v, float), "real", (1, 1)),
    "tobool": (_tobool, "bool", (1, 1)),
    "toboolean": (_tobool, "bool", (1, 1)),
    "todynamic": (_parse_json, "dynamic", (1, 1)),
    "parse_json": (_parse_json, "dynamic", (1, 1)),
    "strlen": (lambda v: len(tostring(v)), "long", (1, 1)),
    "strcat": (lambda *v: "".join(tostring(x) for x in v), "string", (1, 64)),
    "isempty": (_empty, "bool", (1, 1)),
    "isnotempty": (lambda v: not _empty(v), "bool", (1, 1)),
    "isnull": (lambda v: v is None, "bool", (1, 1)),
    "isnotnull": (lambda v: v is not None, "bool", (1, 1)),
    "not": (lambda v: not truthy(v), "bool", (1, 1)),
    "iff": (lambda c, a, b: a if truthy(c) else b, None, (3, 3)),
    "iif": (lambda c, a, b: a if truthy(c) else b, None, (3, 3)),
    "coalesce": (_coalesce, None, (1, 64)),
    "split": (_split, "dynamic", (2, 3)),
    "array_length": (_array_length, "long", (1, 1)),
    "bag_keys": (lambda v: list(v) if isinstance(v, dict) else None, "dynamic", (1, 1)),
    "substring": (_substring, "string", (2, 3)),
    "indexof": (lambda t, p: tostring(t).find(tostring(p)), "long", (2, 2)),
    "extract": (_extract, "string", (3, 3)),
    "replace_string": (lambda t, a, b: tostring(t).replace(tostring(a), tostring(b)), "string", (3, 3)),
    "trim": (lambda p, t: re.sub(f"^(?:{tostring(p)})+|(?:{tostring(p)})+$", "", tostring(t)), "string", (2, 2)),
    "hash": (
        lambda v, mod=None: stable_hash(v) % mod if isinstance(mod, int) and mod else stable_hash(v),
        "long",
        (1, 2),
    ),
}

# Aggregations in summarize: name -> (default column prefix, takes an argument, result type or None for the arg's).
AGGREGATES: dict[str, tuple[str, bool, str | None]] = {
    "count": ("count_", False, "long"),
    "countif": ("countif_", True, "long"),
    "dcount": ("dcount_", True, "long"),
    "sum": ("sum_", True, None),
    "min": ("min_", True, None),
    "max": ("max_", True, None),
    "avg": ("avg_", True, "real"),
    "make_set": ("set_", True, "dynamic"),
    "make_list": ("list_", True, "dynamic"),
    "any": ("any_", True, None),
    "take_any": ("any_", True, None),
}
