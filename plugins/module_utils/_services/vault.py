# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key Vault vaults (Microsoft.KeyVault/vaults) fit for customer-managed keys.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import dataplane
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import Service
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import write_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import account_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import accounts_on
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import subscription_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.resource_group import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.roles import missing_data_actions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import get_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import normalize
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import vault_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import DNS_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

# Managed field -> property name in the REST body.
PROPERTIES = {
    "tenant_id": "tenantId",
    "enable_rbac_authorization": "enableRbacAuthorization",
    "soft_delete_retention_days": "softDeleteRetentionInDays",
    "enable_purge_protection": "enablePurgeProtection",
    "public_network_access": "publicNetworkAccess",
}


class VaultService(Service):
    RESOURCE = "vault"
    MANAGED = (
        "location",
        "tags",
        "tenant_id",
        "sku",
        "enable_rbac_authorization",
        "soft_delete_retention_days",
        "enable_purge_protection",
        "public_network_access",
    )

    def validate(self):
        days = self.params.get("soft_delete_retention_days")
        problems = vault_name_problems(self.params["name"], "name")
        if days is not None and not 7 <= days <= 90:
            problems.append(f"soft_delete_retention_days: {days} is out of range; use 7 to 90")
        return problems

    def get(self):
        return get_vault(self.ctx, self.params["resource_group"], self.params["name"])

    def _param(self, name, current, default):
        value = self.params.get(name)
        if value is not None:
            return value
        return (current or {}).get(name, default) if current else default

    def desired(self, current):
        params = self.params
        location = params.get("location") or (current or {}).get("location")
        if location is None:
            location = group_location(self.ctx, params["resource_group"])
        tenant = params.get("vault_tenant") or (current or {}).get("tenant_id")
        if tenant is None:
            tenant = self.call("read subscription", self.clients.subscription_id, self.clients.subscription)["tenantId"]
        return {
            "location": location,
            "tags": merge_tags((current or {}).get("tags"), params.get("tags"), params.get("purge_tags")),
            "tenant_id": tenant,
            "sku": self._param("sku", current, "standard"),
            # Azure's own default for new vaults since api-version 2026-02-01; stated, not left to the default.
            "enable_rbac_authorization": self._param("enable_rbac_authorization", current, True),
            "soft_delete_retention_days": self._param("soft_delete_retention_days", current, 90),
            "enable_purge_protection": self._param("enable_purge_protection", current, False),
            "public_network_access": self._param("public_network_access", current, "Enabled"),
        }

    def check(self, current, desired):
        problems = []
        name = self.params["name"]
        wanted_tenant = self.params.get("vault_tenant")
        own = subscription_tenant(self.ctx) if wanted_tenant else None
        if wanted_tenant and wanted_tenant.lower() != own.lower():
            problems.append(
                f"vault_tenant: {wanted_tenant} is not the tenant of subscription {self.clients.subscription_id} "
                f"({own}); a Batch account can use keys only in a vault of its own tenant"
            )
        if current is None:
            problems += [] if problems else self._name_free(name)
        else:
            problems += _one_way_problems(current, desired, self.params)
            if desired["enable_rbac_authorization"] and not current["enable_rbac_authorization"] and not problems:
                self._guard_rbac_switch(current)
        if not desired["enable_purge_protection"]:
            problems.append(
                f"enable_purge_protection: vault '{name}' would have no purge protection, which Batch "
                "customer-managed keys need; set enable_purge_protection: true (it can never be turned "
                "off again)"
            )
        return problems

    def _guard_rbac_switch(self, current):
        """Access policies stop counting on an RBAC vault: accounts whose identity has no role lose their key."""
        broken = [
            account_label(account)
            for account, key_id in accounts_on(self.ctx, vault_name=current["name"])
            if not account["principal_id"]
            or missing_data_actions(self.ctx, account["principal_id"], "{}/keys/{}".format(current["id"], key_id.name))
        ]
        refuse_breaking(
            "switching vault '{}' to RBAC (its access policies then stop counting)".format(current["name"]),
            broken,
            self.params["force"],
            self.ctx,
        )

    def guard_delete(self, current):
        accounts = accounts_using(self.ctx, vault_name=current["name"])
        refuse_breaking(f"deleting vault '{current['name']}'", accounts, self.params["force"], self.ctx)

    def _name_free(self, name):
        group_location(self.ctx, self.params["resource_group"])  # a missing group fails here, before any write
        if self._deleted() is not None:
            return (
                []
                if self.params.get("recover")
                else [
                    f"name: vault '{name}' is soft-deleted in this subscription; set recover: true to recover it, or "
                    "choose another name"
                ]
            )
        answer = self.ctx.call_safe(
            "check the vault name",
            name,
            self.clients.keyvault.vaults.check_name_availability,
            {"name": name, "type": "Microsoft.KeyVault/vaults"},
        )
        if not answer.name_available:
            return [f"name: vault name '{name}' is not available: {answer.message or answer.reason}"]
        return []

    def _deleted(self):
        operations = self.clients.keyvault.vaults
        for deleted in self.call("list deleted key vaults", "the subscription", list, operations.list_deleted()):
            if deleted.name.lower() == self.params["name"].lower():
                return deleted
        return None

    def create(self, desired):
        params = self.params
        deleted = self._deleted() if params.get("recover") else None
        operations = self.clients.keyvault.vaults
        if deleted is not None:
            body = {
                "location": deleted.properties.location,
                "properties": {
                    "tenantId": desired["tenant_id"],
                    "sku": {"family": "A", "name": desired["sku"]},
                    "createMode": "recover",
                },
            }
            poller = self.call(
                "recover key vault",
                params["name"],
                operations.begin_create_or_update,
                params["resource_group"],
                params["name"],
                body,
            )
            self.call(
                "recover key vault",
                params["name"],
                _lro.wait,
                poller,
                params["wait_timeout"],
                "recovery of vault " + params["name"],
            )
            self.ctx.forget()
            self.update(self.get(), desired)
            return
        body = {"location": desired["location"], "tags": desired["tags"], "properties": _properties(desired, full=True)}
        # A new vault answers RegisteringDns with no retry hint (the SDK would poll every 30 s): poll it here,
        # backing off, then wait until its name resolves - Resource Manager's Succeeded comes first.
        self.call(
            "create key vault",
            params["name"],
            operations.begin_create_or_update,
            params["resource_group"],
            params["name"],
            body,
            polling=False,
        )
        until(
            self._provisioned,
            params["wait_timeout"],
            f"vault '{params['name']}' to be provisioned",
            DNS_DELAY,
            self.ctx,
        )
        dataplane.wait_until_resolves(self.ctx, vault_url(self.ctx.cloud, params["name"]), params["wait_timeout"])

    def _provisioned(self):
        self.ctx.forget()
        found = self.get()
        if found is not None and (found["provisioning_state"] or "").lower() == "failed":
            raise CmkError(f"Azure failed to create vault '{self.params['name']}' (provisioningState Failed)")
        return found if found is not None and found["provisioning_state"] == "Succeeded" else None

    def update(self, current, desired):
        changed = {k: v for k, v in desired.items() if current.get(k) != v}
        properties = _properties(changed)
        if properties:
            operations = self.clients.keyvault.vaults
            self.call(
                "update key vault",
                current["id"],
                operations.update,
                self.params["resource_group"],
                self.params["name"],
                {"properties": properties},
            )
        if "tags" in changed:
            write_tags(self.ctx, current["id"], self._tags_to_write(desired), self.params.get("purge_tags"))

    def delete(self, current):
        operations = self.clients.keyvault.vaults
        self.call(
            "delete key vault", current["id"], operations.delete, self.params["resource_group"], self.params["name"]
        )

    def predict(self, current, desired):
        predicted = dict(
            current or {"id": self._id(), "name": self.params["name"], "resource_group": self.params["resource_group"]}
        )
        predicted.update(desired)
        predicted.setdefault("vault_uri", vault_url(self.ctx.cloud, self.params["name"]) + "/")
        predicted.setdefault("enable_soft_delete", True)
        predicted.setdefault("access_policies", [])
        predicted.setdefault("provisioning_state", None)
        return predicted

    def _id(self):
        return _resource_id.build(
            self.clients.subscription_id,
            self.params["resource_group"],
            "Microsoft.KeyVault",
            "vaults",
            self.params["name"],
        )

    def list(self, resource_group=None):
        operations = self.clients.keyvault.vaults
        if resource_group:
            pages = operations.list_by_resource_group(resource_group)
        else:
            pages = operations.list_by_subscription()
        return [
            normalize(rest_dict(v))
            for v in self.call("list key vaults", resource_group or "the subscription", list, pages)
        ]


def _one_way_problems(current, desired, params):
    problems = []
    name = current["name"]
    if current["enable_purge_protection"] and not desired["enable_purge_protection"]:
        problems.append(
            f"enable_purge_protection: purge protection is on for vault '{name}' and can never be turned off"
        )
    if desired["soft_delete_retention_days"] != current["soft_delete_retention_days"]:
        problems.append(
            "soft_delete_retention_days: vault '{}' keeps deleted objects {} days; this is set once, at "
            "creation, and cannot change".format(name, current["soft_delete_retention_days"])
        )
    if desired["location"].replace(" ", "").lower() != current["location"].replace(" ", "").lower():
        problems.append("location: vault '{}' is in {}; a vault cannot move".format(name, current["location"]))
    if desired["tenant_id"].lower() != (current["tenant_id"] or "").lower():
        problems.append(
            "vault_tenant: vault '{}' is in tenant {}; moving it is not supported".format(name, current["tenant_id"])
        )
    return problems


def _properties(fields, full=False):
    props = {PROPERTIES[k]: v for k, v in fields.items() if k in PROPERTIES}
    if "sku" in fields:
        props["sku"] = {"family": "A", "name": fields["sku"]}
    if props.get("enablePurgeProtection") is False:
        del props["enablePurgeProtection"]  # it is only ever sent to turn it on
    if full:
        props.update(enableSoftDelete=True, accessPolicies=[])
    return props
