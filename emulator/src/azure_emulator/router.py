"""Routing: host -> service; within a service an explicit list of (method, path template, handler)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Callable

from .errors import EmulatorError
from .http import Request
from .http import Response

if TYPE_CHECKING:
    from . import Emulator

Handler = Callable[["Emulator", Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    """``{name}`` matches one path segment, ``{name*}`` one or more (ARM scopes).

    ``write`` routes change state (the journal counts them); ``exclusive`` reads change state too (a
    long-running operation's poll moves it on), so both run alone instead of beside other reads.
    """

    method: str
    template: str
    handler: Handler
    write: bool = False
    exclusive: bool = False
    regex: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        pieces = re.split(r"(\{\w+\*?\})", self.template)
        pattern = "".join(_placeholder(p) if p.startswith("{") else re.escape(p) for p in pieces)
        object.__setattr__(self, "regex", re.compile(pattern + "/?", re.IGNORECASE))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(path)
        return found.groupdict() if found else None

    @property
    def name(self) -> str:
        return self.handler.__name__


def _placeholder(piece: str) -> str:
    name = piece.strip("{}*")
    return f"(?P<{name}>.+?)" if piece.endswith("*}") else f"(?P<{name}>[^/]+)"


class Service:
    """One Azure endpoint family. Subclasses set ``hosts`` and ``routes`` and may authenticate."""

    name = "service"
    hosts: tuple[str, ...] = ()
    routes: list[Route] = []

    def serves(self, host: str) -> bool:
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.hosts)

    def exists(self, emu: Emulator, host: str) -> bool:
        """Whether ``host`` names something that exists now (a vault's DNS name, say)."""
        return True

    def authenticate(self, emu: Emulator, request: Request, route: Route) -> None:
        """Set ``request.principal`` or raise; the default lets everything through."""

    def not_found(self, request: Request) -> EmulatorError:
        raise NotImplementedError

    def method_not_allowed(self, request: Request) -> EmulatorError:
        return self.not_found(request)

    def headers(self, request: Request, request_id: str) -> dict[str, str]:
        return {}

    def resolve(self, request: Request) -> tuple[Route, dict[str, str]]:
        path_matched = False
        for candidate in self.routes:
            params = candidate.match(request.path)
            if params is None:
                continue
            if candidate.method == request.method:
                return candidate, params
            path_matched = True
        raise self.method_not_allowed(request) if path_matched else self.not_found(request)


class Router:
    def __init__(self, services: list[Service]) -> None:
        self.services = services

    def service_for(self, host: str) -> Service | None:
        host = host.lower()
        return next((s for s in self.services if s.serves(host)), None)
