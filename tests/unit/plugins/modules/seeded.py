"""The emulator's seeded principals and places, as the module tests use them - read from the emulator's own
default seed, not copied into each test file."""

from __future__ import annotations

from azure_emulator.seed import DEFAULT_SEED
from azure_emulator.seed import primary

_PRINCIPALS = {p["display_name"]: p for p in DEFAULT_SEED["principals"]}
_FIRST = primary(DEFAULT_SEED)

RG = _FIRST["resource_group"]
# The automation: the seed's first principal, Owner of the first subscription; what the ready file hands to clients.
AUTOMATION = _PRINCIPALS["cmk-automation"]["object_id"]
# The key permissions the automation grants itself to manage keys (the cmk_vault_key role's, plus delete).
OFFICER = ["get", "list", "create", "update", "delete", "recover", "rotate", "getrotationpolicy", "setrotationpolicy"]
# A principal of the other tenant, owner of its production subscription only: module auth options.
_FABRIKAM = _PRINCIPALS["fabrikam-automation"]
FABRIKAM = {
    "client_id": _FABRIKAM["client_id"],
    "secret": _FABRIKAM["secret"],
    "tenant": _FABRIKAM["tenant_id"],
    "subscription_id": next(
        g["subscription_id"] for g in DEFAULT_SEED["resource_groups"] if g["name"] == "rg-fabrikam"
    ),
}
OTHER_TENANT = _FABRIKAM["tenant_id"]
