"""What Resource Graph answers for a query it cannot run: 400 BadRequest whose details start with
InvalidQuery, then one detail naming the cause. Real bodies show ParserFailure (line, characterPositionInLine,
token), InvalidQueryLanguage (an operator Resource Graph does not support, e.g. ``parse``) and
UnknownFunction ("Unknown function: 'cout'."); an unknown column's detail code is the emulator's own
(Kusto's message, SEM0100 "'where' operator: Failed to resolve scalar expression named 'x'")."""

from __future__ import annotations

from typing import Any


class KqlError(Exception):
    """A query Resource Graph would refuse; ``detail`` is the second entry of the error's details."""

    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__(detail.get("message", ""))
        self.detail = detail


def parser_failure(line: int, column: int, token: str) -> KqlError:
    return KqlError(
        {
            "code": "ParserFailure",
            "message": "ParserFailure",
            "line": line,
            "characterPositionInLine": column,
            "token": token,
        }
    )


def unsupported(token: str) -> KqlError:
    return KqlError(
        {
            "code": "InvalidQueryLanguage",
            "message": "InvalidQueryLanguage",
            "line": -1,
            "characterPositionInLine": -1,
            "token": token,
        }
    )


def unknown_function(name: str) -> KqlError:
    return KqlError({"code": "UnknownFunction", "message": f"Unknown function: '{name}'."})


def unknown_column(operator: str, name: str) -> KqlError:
    return KqlError(
        {
            "code": "FailedToResolveScalarExpression",
            "message": f"'{operator}' operator: Failed to resolve scalar expression named '{name}'",
        }
    )


def unknown_table(name: str) -> KqlError:
    return KqlError({"code": "UnknownTable", "message": f"Unknown table: '{name}'."})


def semantic(message: str) -> KqlError:
    return KqlError({"code": "SemanticError", "message": message})
