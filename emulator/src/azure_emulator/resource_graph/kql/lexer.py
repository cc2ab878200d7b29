"""Tokens of a KQL query: names (with ``-`` inside operator names such as ``mv-expand``), strings ('..', "..",
@'verbatim'), numbers, and punctuation; comments (``//``) are skipped. Positions are kept for the errors."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import parser_failure

# Longest first: "!contains" before "!", "=~" before "=".
OPERATORS = (
    "!~", "==", "!=", "=~", "<=", ">=", "<>",
    "|", ",", "(", ")", "[", "]", "{", "}", ".", "=", "<", ">", "+", "-", "*", "/", "%", ":", ";", "$",
)  # fmt: skip
# A name that "~" may follow (in~) or "!" may precede (!in, !contains, !has_cs...): lexed as one operator.
WORD_OPERATOR = re.compile(r"!?(?:in~|in\b|(?:has|contains|startswith|endswith)(?:_cs)?\b)")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-(?:expand|away|rename|reorder|keep|apply|kv)\b)?")
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Token:
    kind: str  # name | string | number | op | end
    text: str
    value: object
    line: int
    column: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, line, line_start = 0, 1, 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            i, line, line_start = i + 1, line + 1, i + 1
            continue
        if ch.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        column = i - line_start
        token, i = _one(text, i, line, column)
        tokens.append(token)
    tokens.append(Token("end", "<EOF>", None, line, len(text) - line_start))
    return tokens


def _one(text: str, i: int, line: int, column: int) -> tuple[Token, int]:
    ch = text[i]
    if ch in "'\"" or (ch in "@hH" and text[i + 1 : i + 2] in ("'", '"')):
        return _string(text, i, line, column)
    found = NUMBER.match(text, i)
    if found:
        raw = found.group()
        value: object = float(raw) if any(c in raw for c in ".eE") else int(raw)
        return Token("number", raw, value, line, column), found.end()
    word = WORD_OPERATOR.match(text, i)
    if word and (word.group().startswith("!") or word.group().endswith("~")):
        return Token("op", word.group(), word.group(), line, column), word.end()
    found = NAME.match(text, i)
    if found:
        return Token("name", found.group(), found.group(), line, column), found.end()
    for op in OPERATORS:
        if text.startswith(op, i):
            return Token("op", op, op, line, column), i + len(op)
    raise parser_failure(line, column, ch)


def _string(text: str, i: int, line: int, column: int) -> tuple[Token, int]:
    verbatim = text[i] in "@hH"
    start = i + 1 if verbatim else i
    quote = text[start]
    j, out = start + 1, []
    while j < len(text):
        ch = text[j]
        if ch == quote:
            if verbatim and text[j + 1 : j + 2] == quote:
                out.append(quote)
                j += 2
                continue
            return Token("string", text[i : j + 1], "".join(out), line, column), j + 1
        if ch == "\\" and not verbatim and j + 1 < len(text):
            nxt = text[j + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            j += 2
            continue
        out.append(ch)
        j += 1
    raise parser_failure(line, column, text[i:])
