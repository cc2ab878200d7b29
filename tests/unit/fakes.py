"""Dict-backed stand-ins for the SDK clients, for tests of the resource layer that need no emulator: each
operation answers from a dict, and records the calls made to it. Only what a test asks of it exists: a call
it was not given fails the test."""

from __future__ import annotations

import base64
import json
from typing import Any

from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext

PUBLIC = get_cloud("AzureCloud")
SUB = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-0000000000aa"
CALLER = "00000000-0000-4000-8000-0000000000cc"


class Model:
    """An SDK model: the REST JSON it came from, as as_dict() gives it back."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.name = body.get("name")

    def as_dict(self) -> dict[str, Any]:
        return self.body


def not_found(what: str = "thing") -> Exception:
    from azure.core.exceptions import ResourceNotFoundError

    return ResourceNotFoundError(message=f"{what} was not found")


def groups(*names: str, location: str = "westeurope") -> Any:
    """Clients.resource_group for a subscription holding the resource groups ``names``."""

    def resource_group(name: str) -> dict[str, Any]:
        if name not in names:
            raise not_found(f"resource group {name}")
        return {"name": name, "location": location}

    return resource_group


class Operations:
    """``answers``: method name -> function of the call's arguments (or a value); calls are recorded."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        if method not in self.answers:
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((method, args, kwargs))
            answer = self.answers[method]
            result = answer(*args, **kwargs) if callable(answer) else answer
            if isinstance(result, Exception):
                raise result
            return result

        return call


def pool_row(body: dict[str, Any]) -> dict[str, Any]:
    """A pool's GET body as a row of _services.pool.pools_query (Resource Graph projects those columns)."""
    props = body.get("properties") or {}
    vmc = (props.get("deploymentConfiguration") or {}).get("virtualMachineConfiguration") or {}
    des = (((vmc.get("osDisk") or {}).get("managedDisk") or {}).get("diskEncryptionSet") or {}).get("id")
    return {
        "id": body["id"],
        "name": body["name"],
        "identity": body.get("identity"),
        "vmSize": props.get("vmSize") or "",
        "nodeAgentSkuId": vmc.get("nodeAgentSkuId") or "",
        "diskEncryption": vmc.get("diskEncryptionConfiguration"),
        "diskEncryptionSet": des or "",
        "dedicated": props.get("currentDedicatedNodes"),
        "lowPriority": props.get("currentLowPriorityNodes"),
    }


def graph_answering(pages: list[tuple[Any, Any, Any]]) -> Operations:
    """A Resource Graph client answering ``pages``: (rows, next skip token, headers) in order."""
    answers = iter(pages)

    def resources(body: Any, cls: Any) -> Any:
        rows, token, headers = next(answers)
        page = Namespace(data=rows, skip_token=token, result_truncated="false")
        return cls(Namespace(http_response=Namespace(headers=headers)), page, {})

    return Operations(resources=resources)


class Credential:
    """A token whose claims name the caller and its tenant (what RunContext.claims reads)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        claims = base64.urlsafe_b64encode(json.dumps({"oid": CALLER, "tid": TENANT}).encode()).decode().rstrip("=")

        class Token:
            token = f"e30.{claims}.sig"

        return Token()


class Clients:
    """Attributes as Clients has them (batch.batch_account, keyvault.vaults, ...), given as Operations."""

    def __init__(self, **services: Any) -> None:
        self.subscription_id = SUB
        self.cloud = PUBLIC
        self.timeout = 5
        self.credential = Credential()
        self.services = services

    def __getattr__(self, name: str) -> Any:
        if name not in self.services:
            raise AttributeError(name)
        return self.services[name]

    def knows_vault(self, vault_url: str) -> bool:
        """No vault's challenge is known (the reads go in order, as the fakes answer them)."""
        return False

    def for_subscription(self, subscription_id: str) -> Clients:
        """Another subscription's clients: the same fakes (their calls name the resources they read)."""
        return self


class Namespace:
    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)


class InOrder(RunContext):
    """A run whose reads are made in order, where the code asks for them: fakes answer a scripted sequence."""

    def read_ahead(self, key: Any, read: Any) -> None:
        return None


def context(check_mode: bool = False, **services: Any) -> RunContext:
    warnings: list[str] = []
    ctx = InOrder(Clients(**services), PUBLIC, check_mode, warnings.append)
    ctx.warnings = warnings  # type: ignore[attr-defined]
    return ctx
