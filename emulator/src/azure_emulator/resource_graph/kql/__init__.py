"""A documented subset of the Kusto Query Language, as Resource Graph speaks it (see the README's table).

``parse(text)`` turns a query into a ``Query`` (lexer.py, then parser.py's recursive descent); ``run(query,
tables)`` evaluates it over rows (operators.py, with expressions compiled to closures by compile.py).
Anything outside the subset is refused with the error Resource Graph gives (errors.py).
"""

from __future__ import annotations

from .errors import KqlError
from .operators import Result
from .operators import run
from .parser import parse

__all__ = ["KqlError", "Result", "parse", "run"]
