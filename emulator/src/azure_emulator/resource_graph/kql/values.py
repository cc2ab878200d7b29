"""Kusto's value semantics over JSON values: conversions, equality, the string operators, ordering."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any


def tostring(value: Any) -> str:
    """Kusto's tostring: null is "", booleans are true/false, dynamic values are compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, str) or isinstance(right, str):
        return tostring(left) == tostring(right)
    return bool(left == right)


def equal_ci(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    return tostring(left).casefold() == tostring(right).casefold()


def _has(left: str, term: str) -> bool:
    """``has``: the term is a whole token of the text (tokens are runs of letters and digits)."""
    if not term:
        return True
    start = r"(?<![0-9a-z])" if term[0].isalnum() else ""
    end = r"(?![0-9a-z])" if term[-1].isalnum() else ""
    return re.search(start + re.escape(term) + end, left) is not None


STRING_TESTS = {
    "has": lambda text, term: _has(text.casefold(), term.casefold()),
    "has_cs": lambda text, term: _has(text, term),
    "contains": lambda text, term: term.casefold() in text.casefold(),
    "contains_cs": lambda text, term: term in text,
    "startswith": lambda text, term: text.casefold().startswith(term.casefold()),
    "startswith_cs": lambda text, term: text.startswith(term),
    "endswith": lambda text, term: text.casefold().endswith(term.casefold()),
    "endswith_cs": lambda text, term: text.endswith(term),
}


def string_test(op: str, left: Any, right: Any) -> bool:
    """``has``, ``!contains``, ``startswith_cs``...: a null left side never matches (negated or not)."""
    negated = op.startswith("!")
    test = STRING_TESTS[op.lstrip("!")]
    if left is None:
        return False
    found = test(tostring(left), tostring(right))
    return not found if negated else found


def order(left: Any, right: Any, op: str) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, str) != isinstance(right, str):
        left, right = tostring(left), tostring(right)
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    except TypeError:
        return False


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers before strings before anything else; null handled by the caller."""
    if isinstance(value, bool):
        return 0, int(value)
    if isinstance(value, (int, float)):
        return 0, value
    if isinstance(value, str):
        return 1, value
    return 2, tostring(value)


def hashable(value: Any) -> Any:
    return tostring(value) if isinstance(value, (dict, list)) else value


def stable_hash(value: Any) -> int:
    """A 63-bit hash of the text (not Kusto's xxhash64: the values differ, the partitions work alike)."""
    digest = hashlib.blake2b(tostring(value).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def member(base: Any, key: Any) -> Any:
    if isinstance(base, dict) and isinstance(key, str):
        return base.get(key)
    if isinstance(base, list) and isinstance(key, int) and -len(base) <= key < len(base):
        return base[key]
    return None


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
