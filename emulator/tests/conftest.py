"""Fixtures for the emulator's own tests: a guarded network, one emulator per session reset per test,
clients built from the real SDKs, and a contract check of every response each test received."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Iterator

import network_guard
import pytest
from contract import SpecIndex
from contract import Validator

from azure_emulator import Emulator

# The environment as the session found it: for tools that must reach the package registries (pip).
PRISTINE_ENV = dict(os.environ)
GUARD_LOG = Path(os.environ.get(network_guard.LOG_ENV) or Path(tempfile.mkdtemp(prefix="netguard-")) / "refused.log")
os.environ[network_guard.ENV] = "1"
os.environ[network_guard.LOG_ENV] = str(GUARD_LOG)
network_guard.install()

# Calls no saved spec describes: long-running-operation polls and role definitions.
UNSPECIFIED = re.compile(r"/(operationResults|accountOperationResults)/|/roleDefinitions", re.I)
_SPECS: tuple[SpecIndex, Validator] | None = None


def specs() -> tuple[SpecIndex, Validator]:
    global _SPECS
    if _SPECS is None:
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
            errors = validator.validate(entry.response, schema, file)
            problems += [f"{op.operation_id} {entry.status}: {e}" for e in errors]
    return problems


@pytest.fixture(scope="session")
def emulator_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = Emulator(ca_dir=tmp_path_factory.mktemp("ca"), keep_bodies=True).start()
    yield emu
    emu.stop()


@pytest.fixture
def emulator(emulator_instance: Emulator) -> Iterator[Emulator]:
    """The session's emulator, back at its seed, with its responses contract-checked after the test."""
    emulator_instance.reset()
    yield emulator_instance
    problems = contract_violations(emulator_instance)
    assert not problems, "responses that break the spec:\n" + "\n".join(problems)


@pytest.fixture
def azure_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    info = emulator.ready_info()
    monkeypatch.setenv("HTTPS_PROXY", info["proxy_url"])
    monkeypatch.setenv("HTTP_PROXY", info["proxy_url"])
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", info["ca_file"])  # requests ignores SSL_CERT_FILE
    for name in ("https_proxy", "http_proxy", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return info


@dataclass
class Clients:
    info: dict[str, Any]
    credential: Any

    @property
    def sub(self) -> str:
        return self.info["subscription_id"]

    @property
    def rg(self) -> str:
        return self.info["resource_group"]

    @property
    def tenant(self) -> str:
        return self.info["tenant_id"]

    def batch(self) -> Any:
        from azure.mgmt.batch import BatchManagementClient

        return BatchManagementClient(self.credential, self.sub)

    def vaults(self) -> Any:
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self.credential, self.sub)

    def msi(self) -> Any:
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return ManagedServiceIdentityClient(self.credential, self.sub)

    def authorization(self) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self.credential, self.sub)

    def keys(self, vault_name: str) -> Any:
        from azure.keyvault.keys import KeyClient

        return KeyClient(f"https://{vault_name}.vault.azure.net", self.credential)


@pytest.fixture
def clients(azure_env: dict[str, Any]) -> Clients:
    from azure.identity import ClientSecretCredential

    credential = ClientSecretCredential(azure_env["tenant_id"], azure_env["client_id"], azure_env["client_secret"])
    return Clients(azure_env, credential)


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
