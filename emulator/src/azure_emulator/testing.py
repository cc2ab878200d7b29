"""pytest plugin: a guarded network, one in-process emulator per session (reset per test), the
environment that points clients at it, and a contract check of every response after each test.

Use it with ``pytest_plugins = ["azure_emulator.testing"]``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Iterator

import network_guard
import pytest

from . import Emulator
from . import settings_from_env

# The environment as the session found it: for tools that must reach the package registries (pip).
PRISTINE_ENV = dict(os.environ)
GUARD_LOG = Path(os.environ.get(network_guard.LOG_ENV) or Path(tempfile.mkdtemp(prefix="netguard-")) / "refused.log")
os.environ[network_guard.ENV] = "1"
os.environ[network_guard.LOG_ENV] = str(GUARD_LOG)
network_guard.install()

# Calls no saved spec describes: long-running-operation polls and role definitions.
UNSPECIFIED = re.compile(r"/(operationResults|accountOperationResults|poolOperationResults)/|/roleDefinitions", re.I)
_SPECS: Any = None


def specs() -> Any:
    """(SpecIndex, Validator), loaded once."""
    global _SPECS
    if _SPECS is None:
        from .contract import SpecIndex
        from .contract import Validator

        index = SpecIndex()
        _SPECS = (index, Validator(index))
    return _SPECS


def contract_violations(emulator: Emulator) -> list[str]:
    """Every JSON body the emulator answered, checked against the spec operation it belongs to."""
    index, validator = specs()
    versions = {op.api_version for op in index.operations}
    problems = []
    for entry in emulator.journal.entries():
        if entry.refused or entry.fault or entry.response is None or entry.api_version not in versions:
            continue
        if UNSPECIFIED.search(entry.path):
            continue
        op = index.find(entry.method, entry.host, entry.path, entry.api_version)
        if op is None:
            problems.append(f"{entry.method} {entry.host}{entry.path}: no operation in the {entry.api_version} spec")
            continue
        try:
            schema, file = index.response_schema(op, entry.status)
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        if schema is not None:
            problems += [
                f"{op.operation_id} {entry.status}: {e}" for e in validator.validate(entry.response, schema, file)
            ]
    return problems


# The session emulator's settings before AZURE_EMULATOR_SETTINGS: instant answers (the emulator's default is
# Azure's timing; a test that wants a delay says so), no throttling (a test that tests it turns it on), and a
# 10 ms poll hint keep tests fast.
SESSION_SETTINGS: dict[str, Any] = {
    "timing": "instant",
    "arm_throttling": False,
    "resource_graph_throttling": False,
    "lro_retry_after_ms": 10,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emulator_settings(**values): settings for this test's emulator, on top of the session's "
        "(which AZURE_EMULATOR_SETTINGS, a JSON object, sets); the next test starts from the session's again",
    )


@pytest.fixture(scope="session")
def emulator_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    settings = {**SESSION_SETTINGS, **settings_from_env()}
    emu = Emulator(ca_dir=tmp_path_factory.mktemp("ca"), keep_bodies=True, settings=settings).start()
    emu.store.check_reads = True  # reads run side by side: each must leave the state as it found it
    yield emu
    emu.stop()


@pytest.fixture
def emulator(emulator_instance: Emulator, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The session's emulator, back at its seed and start-up settings, plus the test's
    ``@pytest.mark.emulator_settings(...)``; its responses are contract-checked after the test."""
    emulator_instance.reset()
    emulator_instance.store.read_violations.clear()
    for marker in reversed(list(request.node.iter_markers("emulator_settings"))):
        emulator_instance.settings.update(marker.kwargs)  # the closest marker (the function's) last
    yield emulator_instance
    assert not emulator_instance.store.read_violations, "\n".join(emulator_instance.store.read_violations)
    problems = contract_violations(emulator_instance)
    assert not problems, "responses that break the spec:\n" + "\n".join(problems)


def client_environment(info: dict[str, Any]) -> dict[str, str]:
    """What a process needs to reach the emulator: the proxy and its CA (requests ignores SSL_CERT_FILE)."""
    return {
        "HTTPS_PROXY": info["proxy_url"],
        "HTTP_PROXY": info["proxy_url"],
        "NO_PROXY": "localhost,127.0.0.1",
        "REQUESTS_CA_BUNDLE": info["ca_file"],
    }


def credential_environment(info: dict[str, Any]) -> dict[str, str]:
    """The AZURE_* variables AWX's Azure credential sets, for the seeded service principal."""
    return {
        "AZURE_SUBSCRIPTION_ID": info["subscription_id"],
        "AZURE_CLIENT_ID": info["client_id"],
        "AZURE_SECRET": info["client_secret"],
        "AZURE_TENANT": info["tenant_id"],
    }


@pytest.fixture
def azure_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Point this process at the emulator (no credentials in the environment; see ``azure_credentials_env``)."""
    info = emulator.ready_info()
    for name in ("https_proxy", "http_proxy", "no_proxy", "ALL_PROXY", "all_proxy", "AZURE_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in client_environment(info).items():
        monkeypatch.setenv(name, value)
    return info


@pytest.fixture
def azure_credentials_env(azure_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for name, value in credential_environment(azure_env).items():
        monkeypatch.setenv(name, value)
    return azure_env


@pytest.fixture
def control(emulator: Emulator) -> Callable[..., Any]:
    """Call the control API over plain HTTP, as a test in another process would."""
    import requests

    def call(method: str, path: str, **kwargs: Any) -> Any:
        session = requests.Session()
        session.trust_env = False  # the control API is reached directly, not through the proxy
        response = session.request(method, f"{emulator.control_url}/{path.lstrip('/')}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    return call


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    refused = GUARD_LOG.read_text().strip() if GUARD_LOG.exists() else ""
    if refused:
        print(f"\nnetwork guard refused connections during the run:\n{refused}")
        session.exitstatus = 1
