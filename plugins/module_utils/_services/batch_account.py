# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch accounts: identity and encryption (customer-managed key), plus what creating one needs.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import batch_account_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import parse_key_identifier
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import cmk
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import Service
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import PLATFORM
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import account_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import normalize
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import with_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import find_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.resource_group import group_location

TWO_PHASE = (
    "a system-assigned identity does not exist before the account does, so it cannot have been granted "
    "the key yet. Use two steps: run once with identity_type: SystemAssigned and key_source: Microsoft.Batch, grant "
    "the returned principal_id get, wrapKey and unwrapKey on the vault (azure_cmk.batch.keyvault_access_policy "
    "batch_account: {name}), then run again with key_source: Microsoft.KeyVault. Or use a user-assigned identity, "
    "which can be granted before the account exists."
)


def identity_body(desired):
    if desired["identity_type"] == "UserAssigned":
        return {"type": "UserAssigned", "userAssignedIdentities": {desired["user_assigned_identity"]: {}}}
    return {"type": desired["identity_type"]}


def encryption_body(desired):
    if desired["key_source"] == KEY_VAULT:
        return {"keySource": KEY_VAULT, "keyVaultProperties": {"keyIdentifier": desired["key_identifier"]}}
    return {"keySource": PLATFORM}


class BatchAccountService(Service):
    RESOURCE = "batch_account"
    MANAGED = (
        "location",
        "tags",
        "identity_type",
        "user_assigned_identity",
        "key_source",
        "key_identifier",
        "pool_allocation_mode",
        "auto_storage_account",
        "public_network_access",
    )

    def validate(self):
        params = self.params
        problems = batch_account_name_problems(params["name"])
        if params.get("key_identifier"):
            parse_key_identifier(params["key_identifier"], self.module.cloud)
        storage = params.get("auto_storage_account")
        if storage:
            try:
                parsed = _resource_id.parse(storage)
                ok = (parsed["namespace"] or "").lower() == "microsoft.storage" and (
                    parsed["type"] or ""
                ).lower() == "storageaccounts"
            except ValueError:
                ok = False
            if not ok:
                problems.append(f"auto_storage_account: '{storage}' is not a storage account resource id")
        return problems

    def get(self):
        params = self.params
        operations = self.clients.batch.batch_account
        account = normalize(
            rest_dict(
                self.read(
                    "read Batch account", params["name"], operations.get, params["resource_group"], params["name"]
                )
            )
        )
        return with_key_access(self, account) if account else None

    def desired(self, current):
        params, now = self.params, current or {}
        location = params.get("location") or now.get("location") or group_location(self, params["resource_group"])
        identity_type = params.get("identity_type") or now.get("identity_type") or "None"
        key_source = params.get("key_source") or now.get("key_source") or PLATFORM
        return {
            "location": location,
            "tags": merge_tags(now.get("tags"), params.get("tags"), params.get("purge_tags")),
            "identity_type": identity_type,
            "user_assigned_identity": self._identity_id(now) if identity_type == "UserAssigned" else None,
            "key_source": key_source,
            "key_identifier": (params.get("key_identifier") or now.get("key_identifier"))
            if key_source == KEY_VAULT
            else None,
            "pool_allocation_mode": params.get("pool_allocation_mode")
            or now.get("pool_allocation_mode")
            or "BatchService",
            "auto_storage_account": _same_case(params.get("auto_storage_account"), now.get("auto_storage_account")),
            "public_network_access": params.get("public_network_access")
            or now.get("public_network_access")
            or "Enabled",
        }

    def _identity_id(self, current):
        """The user-assigned identity's resource id (names resolve in identity_resource_group); Azure's casing kept."""
        wanted = self.params.get("user_assigned_identity")
        if not wanted:
            return current.get("user_assigned_identity")
        if not wanted.startswith("/"):
            group = self.params.get("identity_resource_group") or self.params["resource_group"]
            wanted = _resource_id.build(
                self.clients.subscription_id, group, "Microsoft.ManagedIdentity", "userAssignedIdentities", wanted
            )
        return _same_case(wanted, current.get("user_assigned_identity"))

    def check(self, current, desired):
        problems = []
        name = self.params["name"]
        for field in ("location", "pool_allocation_mode"):
            if (
                current
                and (desired[field] or "").replace(" ", "").lower() != (current[field] or "").replace(" ", "").lower()
            ):
                problems.append(
                    "{}: Batch account '{}' has {} {}; it cannot change".format(
                        field, name, field.replace("_", " "), current[field]
                    )
                )
        if current and current["unavailable"] and _differs(current, desired, self.MANAGED):
            problems.append(
                "Batch account '{}' is unavailable: {}. Azure allows only deletion until the account's identity can "
                "use its key again - restore the grant, enable or recover the key, then run again".format(
                    name, current["unavailable_reason"]
                )
            )
        if current is None:
            group_location(self, self.params["resource_group"])  # a missing group fails here, before any write
        principal = self._principal(current, desired, problems)
        # The key is checked when this run would (re)point the account at it: what Azure then validates.
        fields = ("identity_type", "user_assigned_identity", "key_source", "key_identifier")
        if (
            desired["key_source"] == KEY_VAULT
            and not problems
            and (current is None or _differs(current, desired, fields))
        ):
            problems += self._key_problems(current, desired, principal)
        return problems

    def _principal(self, current, desired, problems):
        """The object id the account will reach its key with (None when not known yet)."""
        if desired["identity_type"] == "UserAssigned":
            found = find_identity(self, desired["user_assigned_identity"], None, "user_assigned_identity")
            if found is None:
                self.not_yet(
                    "user_assigned_identity",
                    "identity '{}' does not exist".format(desired["user_assigned_identity"]),
                    problems,
                )
                return None
            return found["principal_id"]
        if desired["identity_type"] == "SystemAssigned":
            if desired["key_source"] == KEY_VAULT and (current is None or current["identity_type"] != "SystemAssigned"):
                # In check mode an earlier task of the same run may be the first of the two steps.
                name = self.params["name"]
                early = f"Batch account '{name}' has no system-assigned identity yet to grant the key to"
                self.not_yet("key_source", TWO_PHASE.format(name=name), problems, check_message=early)
            return (
                (current or {}).get("principal_id")
                if (current or {}).get("identity_type") == "SystemAssigned"
                else None
            )
        if desired["key_source"] == KEY_VAULT:
            message = "key_source Microsoft.KeyVault needs a managed identity; set SystemAssigned or UserAssigned"
            if current is None and not self.params.get("identity_type"):
                self.not_yet("identity_type", message, problems)  # an earlier task may create the account
            else:
                problems.append("identity_type: " + message)
        return None

    def _key_problems(self, current, desired, principal):
        if principal is None:  # not known yet in check mode: the grant cannot be checked
            return []
        findings = cmk.key_access_findings(
            self,
            principal,
            desired["key_identifier"],
            account_tenant(self),
            None,
            self.params.get("key_vault_resource_group"),
        )
        problems = []
        for item in findings:
            if item["severity"] == "error" and not (self.module.check_mode and item["code"] in cmk.NOT_YET):
                problems.append("key_identifier: {} [{}]".format(item["message"], item["code"]))
            elif item["severity"] != "warning":
                self.module.warn("key_identifier: {} [{}]".format(item["message"], item["code"]))
        return problems

    def create(self, desired):
        params = self.params
        props = {
            "poolAllocationMode": desired["pool_allocation_mode"],
            "encryption": encryption_body(desired),
            "publicNetworkAccess": desired["public_network_access"],
        }
        if desired["auto_storage_account"]:
            props["autoStorage"] = {"storageAccountId": desired["auto_storage_account"]}
        body = {
            "location": desired["location"],
            "tags": desired["tags"],
            "identity": identity_body(desired),
            "properties": props,
        }
        operations = self.clients.batch.batch_account
        poller = self.call(
            "create Batch account",
            params["name"],
            operations.begin_create,
            params["resource_group"],
            params["name"],
            body,
        )
        if params["wait"]:
            self.call(
                "create Batch account",
                params["name"],
                _lro.wait,
                poller,
                params["wait_timeout"],
                "creation of Batch account " + params["name"],
            )

    def update(self, current, desired):
        changed = {k for k in self.MANAGED if current.get(k) != desired[k]}
        body, props = {}, {}
        if changed & {"identity_type", "user_assigned_identity"}:
            body["identity"] = identity_body(desired)
        if changed & {"key_source", "key_identifier"}:
            props["encryption"] = encryption_body(desired)
        if "auto_storage_account" in changed:
            props["autoStorage"] = (
                {"storageAccountId": desired["auto_storage_account"]} if desired["auto_storage_account"] else None
            )
        if "public_network_access" in changed:
            props["publicNetworkAccess"] = desired["public_network_access"]
        if "tags" in changed:
            body["tags"] = desired["tags"]
        if props:
            body["properties"] = props
        operations = self.clients.batch.batch_account
        self.call(
            "update Batch account",
            current["id"],
            operations.update,
            self.params["resource_group"],
            self.params["name"],
            body,
        )

    def delete(self, current):
        params = self.params
        operations = self.clients.batch.batch_account
        poller = self.call(
            "delete Batch account", current["id"], operations.begin_delete, params["resource_group"], params["name"]
        )
        if params["wait"]:
            self.call(
                "delete Batch account",
                current["id"],
                _lro.wait,
                poller,
                params["wait_timeout"],
                "deletion of Batch account " + params["name"],
            )

    def predict(self, current, desired):
        predicted = dict(
            current or {"id": self._id(), "name": self.params["name"], "resource_group": self.params["resource_group"]}
        )
        predicted.update(desired)
        if current is None or current["identity_type"] != desired["identity_type"]:
            predicted.update(principal_id=None, tenant_id=None)
        if current is None:
            predicted.update(
                provisioning_state=None,
                account_endpoint=None,
                key_access=[],
                unavailable=False,
                unavailable_reason=None,
            )
        return predicted

    def _id(self):
        return _resource_id.build(
            self.clients.subscription_id,
            self.params["resource_group"],
            "Microsoft.Batch",
            "batchAccounts",
            self.params["name"],
        )

    def list(self, resource_group=None, expiry_days=None):
        operations = self.clients.batch.batch_account
        pages = operations.list_by_resource_group(resource_group) if resource_group else operations.list()
        found = self.call("list Batch accounts", resource_group or "the subscription", list, pages)
        return [with_key_access(self, normalize(rest_dict(a)), expiry_days) for a in found]


def _same_case(wanted, current):
    """``wanted``, but spelled as Azure has it when they are the same id (ids compare case-insensitively)."""
    if wanted and current and _resource_id.same(wanted, current):
        return current
    return wanted or current


def _differs(current, desired, fields):
    return any(current.get(f) != desired.get(f) for f in fields)
