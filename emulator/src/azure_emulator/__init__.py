"""azure_emulator: a local, stateful Azure reached through an HTTPS proxy.

``Emulator`` owns the state, the CA, the token key, the journal and the fault plan; the proxy hands
it decrypted requests. ``Emulator(...).start()`` runs it on a thread (pytest); the ``azure-emulator``
command runs it as a process.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import lro
from . import propagation
from .authz import Tokens
from .ca import CertificateAuthority
from .errors import ArmError
from .errors import EmulatorError
from .errors import new_request_id
from .faults import Fault
from .faults import FaultPlan
from .http import DropConnection
from .http import Request
from .http import Response
from .journal import Journal
from .proxy import ProxyServer
from .resource_graph.index import GraphIndex
from .resource_graph.quota import UserQuota
from .router import Router
from .router import Service
from .seed import apply_seed
from .seed import load_seed
from .seed import primary
from .settings import SETTINGS_ENV
from .settings import TIMING_PROFILES
from .settings import Settings
from .settings import settings_from_env
from .store import Store
from .throttling import Throttle

__all__ = ["SETTINGS_ENV", "TIMING_PROFILES", "Emulator", "Settings", "settings_from_env"]
log = logging.getLogger("azure_emulator")


class Emulator:
    def __init__(
        self,
        state_file: Path | None = None,
        seed_file: Path | None = None,
        ca_dir: Path | None = None,
        keep_bodies: bool = False,
        settings: dict[str, Any] | None = None,
    ) -> None:
        from .services import build_services
        from .services.control import ControlService
        from .services.imds.handlers import ImdsService

        self.ca_dir = Path(ca_dir).resolve() if ca_dir else Path(tempfile.mkdtemp(prefix="azure-emulator-"))
        self.ca = CertificateAuthority(self.ca_dir)
        self.tokens = Tokens(self.ca_dir)
        self.seed = load_seed(Path(seed_file) if seed_file else None)
        self.store = Store(Path(state_file) if state_file else None, self.seed.get("name", "default"))
        if not self.store.loaded_from_file:
            apply_seed(self.store, self.seed)
            self.store.commit()
        self.graph = GraphIndex(self)
        self.store.observer = self.graph.before
        self.journal = Journal(keep_bodies)
        self.faults = FaultPlan()
        self.throttle = Throttle()
        self.graph_quota = UserQuota()
        self.startup_settings = dict(settings or {})
        self.settings = Settings()
        self.settings.update(self.startup_settings)
        self.router = Router(build_services())
        self.control = ControlService()
        self.imds = ImdsService()
        self._server: ProxyServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle --------------------------------------------------------------------------------
    def start(self, port: int = 0) -> Emulator:
        self._server = ProxyServer(self, port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="azure-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the emulator is not started"
        return self._server.port

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def control_url(self) -> str:
        return f"{self.proxy_url}/_emulator"

    @property
    def ca_file(self) -> Path:
        return self.ca.ca_file

    def ready_info(self) -> dict[str, Any]:
        info = {"proxy_url": self.proxy_url, "ca_file": str(self.ca_file), "control_url": self.control_url}
        return {**info, **primary(self.seed)}

    def reset(self) -> None:
        """Back to the seed: state, journal, faults, and the settings the emulator started with."""
        from .store import empty_state

        with self.store.lock:
            self.store.replace(empty_state(self.seed.get("name", "default")))
            apply_seed(self.store, self.seed)
            self.store.commit()
            self.graph.clear()
        self.journal.clear()
        self.faults.clear()
        self.throttle.clear()
        self.graph_quota.clear()
        self.settings = Settings()
        self.settings.update(self.startup_settings)

    # Requests ---------------------------------------------------------------------------------
    def connect_refusal(self, host: str, port: str) -> tuple[int, str] | None:
        """Why a CONNECT is refused (status, reason), or None to accept it."""
        service = self.router.service_for(host)
        if port != "443" or service is None:
            return 403, f"the emulator does not serve {host}:{port} and never connects elsewhere"
        if not service.exists(self, host):
            # What a corporate proxy answers when the name does not resolve.
            return 502, f"{host} does not resolve"
        return None

    def refuse(self, method: str, target: str, status: int, why: str) -> None:
        log.warning("refused %s %s: %s", method, target, why)
        self.journal.record(host=target, method=method, path="", api_version=None, status=status, refused=True)

    def handle(self, request: Request, scheme: str) -> Response:
        started = time.perf_counter()
        service = {"http": self.control, "imds": self.imds}.get(scheme) or self.router.service_for(request.host)
        assert service is not None
        fault = self.faults.take(request.method, request.host, request.path) if scheme == "https" else None
        if fault is not None and fault.kind in ("status", "drop"):
            return self._answer_fault(service, request, fault)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
        request_id = new_request_id()
        response, write, operation = self._dispatch(service, request, request_id)
        response.headers.update(service.headers(request, request_id))
        if scheme == "http":
            return response  # the control API is not Azure traffic: it stays out of the journal
        self.journal.record(
            host=request.host,
            method=request.method,
            path=request.path,
            api_version=request.api_version,
            status=response.status,
            write=write,
            principal=request.principal.object_id if request.principal else None,
            fault=fault.kind if fault else None,
            operation=operation,
            request_id=request_id,
            response=response.payload,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        if fault is not None and fault.kind == "lost":
            raise DropConnection()
        return response

    def _dispatch(self, service: Service, request: Request, request_id: str) -> tuple[Response, bool, str | None]:
        try:
            route, params = service.resolve(request)
        except EmulatorError as exc:
            return exc.render(request_id), False, None
        if lro.due(self):  # operations whose time is up complete first, alone
            with self.store.lock:
                lro.advance(self)
        # Writes run alone, each as one transaction; reads run side by side (store.py).
        alone = route.write or route.exclusive
        with (
            self.store.lock if alone else self.store.read_transaction(f"{request.method} {request.host}{request.path}")
        ):
            before = None
            try:
                service.authenticate(self, request, route)
                # A refused write leaves no trace.
                before = self.store.snapshot() if route.write else None
                response = route.handler(self, request, params)
                if route.write:
                    self.store.touch()
            except EmulatorError as exc:
                if before is not None:
                    # What the refused write saw (an account's key access back) is kept: Azure's clock runs on.
                    seen = propagation.observations(self.store.data)
                    self.store.replace(before)
                    propagation.keep_observations(self.store, seen)
                response = exc.render(request_id)
            except Exception:  # a bug in the emulator: answer as Azure would, keep the traceback
                log.exception("unhandled error for %s %s%s", request.method, request.host, request.path)
                response = ArmError(500, "InternalServerError", "Encountered internal server error.").render(request_id)
            self.graph.commit()  # what changed reaches the Resource Graph index, stamped now
        self.store.commit()  # saved before the answer leaves, when anything changed
        return response, route.write, route.name

    def _answer_fault(self, service: Service, request: Request, fault: Fault) -> Response:
        self.journal.record(
            host=request.host,
            method=request.method,
            path=request.path,
            api_version=request.api_version,
            status=0 if fault.kind == "drop" else fault.status,
            fault=fault.kind,
        )
        if fault.kind == "drop":
            raise DropConnection()
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.retry_after_ms is not None:
            headers["Retry-After-ms"] = str(fault.retry_after_ms)
        code = fault.code or ("TooManyRequests" if fault.status == 429 else "ServiceUnavailable")
        error = ArmError(fault.status, code, f"Injected fault: {code}.", headers=headers)
        response = error.render(new_request_id())
        response.headers.update(service.headers(request, new_request_id()))
        return response
