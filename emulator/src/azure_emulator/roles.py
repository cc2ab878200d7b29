"""Built-in role definitions the emulator knows, and how Azure matches actions against them."""

from __future__ import annotations

import fnmatch
from typing import Any

# name -> (guid, actions, notActions, dataActions); ids are Azure's real built-in role ids.
BUILTIN_ROLES: dict[str, tuple[str, list[str], list[str], list[str]]] = {
    "Owner": ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", ["*"], [], []),
    "Contributor": (
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        ["*"],
        ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"],
        [],
    ),
    "Reader": ("acdd72a7-3385-48ef-bd42-f606fba81ae7", ["*/read"], [], []),
    "User Access Administrator": (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        ["*/read", "Microsoft.Authorization/*"],
        [],
        [],
    ),
    "Role Based Access Control Administrator": (
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        ["*/read", "Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"],
        [],
        [],
    ),
    "Key Vault Administrator": (
        "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        ["Microsoft.KeyVault/vaults/read"],
        [],
        ["Microsoft.KeyVault/vaults/*"],
    ),
    "Key Vault Crypto Officer": (
        "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
        ["Microsoft.KeyVault/vaults/read"],
        [],
        ["Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"],
    ),
    "Key Vault Crypto Service Encryption User": (
        "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        ["Microsoft.EventGrid/eventSubscriptions/read"],
        [],
        [
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
        ],
    ),
    "Key Vault Crypto User": (
        "12338af0-0e69-4776-bea7-57ae8d297424",
        [],
        [],
        [
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/update/action",
            "Microsoft.KeyVault/vaults/keys/backup/action",
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
            "Microsoft.KeyVault/vaults/keys/sign/action",
            "Microsoft.KeyVault/vaults/keys/verify/action",
        ],
    ),
    "Key Vault Reader": (
        "21090545-7ca7-4776-b22c-e363652d74d2",
        ["Microsoft.KeyVault/vaults/read"],
        [],
        ["Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/keys/read"],
    ),
}

ROLE_BY_GUID = {guid: name for name, (guid, *_rest) in BUILTIN_ROLES.items()}


def definition_body(name: str, scope: str) -> dict[str, Any]:
    guid, actions, not_actions, data_actions = BUILTIN_ROLES[name]
    return {
        "id": f"{definition_scope(scope)}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": f"Built-in role {name}",
            "assignableScopes": ["/"],
            "permissions": [
                {"actions": actions, "notActions": not_actions, "dataActions": data_actions, "notDataActions": []}
            ],
        },
    }


def definition_scope(scope: str) -> str:
    """Built-in definitions are addressed under the subscription of the scope asked about."""
    parts = scope.strip("/").split("/")
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return f"/subscriptions/{parts[1]}"
    return ""


def guid_of(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _matches(action: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def allows(role_guid: str, action: str, data: bool = False) -> bool:
    name = ROLE_BY_GUID.get(role_guid.lower())
    if name is None:
        return False
    _guid, actions, not_actions, data_actions = BUILTIN_ROLES[name]
    if data:
        return _matches(action, data_actions)
    return _matches(action, actions) and not _matches(action, not_actions)
