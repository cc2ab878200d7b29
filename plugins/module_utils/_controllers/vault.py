# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keyvault's controller: a vault fit for customer-managed keys - soft delete, one-way purge protection,
its tenant, authorization mode, SKU, retention and tags.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers._base import Controller
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import dependents
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import holders_on
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ENCRYPTION_ROLE_NAME
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import dataplane
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import vault as api
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import same_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import tags_to_write
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import write_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.access import missing_data_actions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import subscription_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import vault_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import DNS_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

DEFAULTS = {
    "sku": "standard",
    # Azure's own default for new vaults since api-version 2026-02-01; stated, not left to the default.
    "enable_rbac_authorization": True,
    "soft_delete_retention_days": 90,
    "enable_purge_protection": False,
    "public_network_access": "Enabled",
}


class VaultController(Controller):
    RESOURCE = "vault"
    MANAGED = ("location", "tags", "tenant_id", *DEFAULTS)

    def __init__(self, ctx, params):
        super().__init__(ctx, Request(params))

    def validate(self):
        days = self.request.get("soft_delete_retention_days")
        problems = vault_name_problems(self.request["name"], "name")
        if days is not None and not 7 <= days <= 90:
            problems.append(f"soft_delete_retention_days: {days} is out of range; use 7 to 90")
        return problems

    def get(self):
        return api.get_vault(self.ctx, self.request["resource_group"], self.request["name"])

    def desired(self, current):
        request, now = self.request, current or {}
        location = request.get("location") or now.get("location") or group_location(self.ctx, request["resource_group"])
        desired = {
            "location": location,
            "tags": merge_tags(now.get("tags"), request.get("tags"), request.get("purge_tags")),
            "tenant_id": request.get("vault_tenant") or now.get("tenant_id") or subscription_tenant(self.ctx),
        }
        for name, default in DEFAULTS.items():
            desired[name] = request.get(name) if request.get(name) is not None else now.get(name, default)
        return desired

    def check(self, current, desired):
        problems, name = self._tenant_problems(), self.request["name"]
        if current is None:
            problems += [] if problems else self._name_free(name)
        else:
            problems += one_way_problems(current, desired)
            if desired["enable_rbac_authorization"] and not current["enable_rbac_authorization"] and not problems:
                self._guard_rbac_switch(current)
        if not desired["enable_purge_protection"]:
            problems.append(
                f"enable_purge_protection: vault '{name}' would have no purge protection, which Batch "
                "customer-managed keys need; set enable_purge_protection: true (it can never be turned "
                "off again)"
            )
        return problems, {}

    def _tenant_problems(self):
        wanted = self.request.get("vault_tenant")
        own = subscription_tenant(self.ctx) if wanted else None
        if not wanted or wanted.lower() == own.lower():
            return []
        return [
            f"vault_tenant: {wanted} is not the tenant of subscription {self.ctx.subscription_id} ({own}); a Batch "
            "account can use keys only in a vault of its own tenant"
        ]

    def _guard_rbac_switch(self, current):
        """Access policies stop counting on an RBAC vault: accounts whose identity has no role lose their key."""
        broken = dependents(
            (holder, key_id)
            for holder, key_id in holders_on(self.ctx, vault_name=current["name"])
            if not holder["principal_id"]
            or missing_data_actions(self.ctx, holder["principal_id"], "{}/keys/{}".format(current["id"], key_id.name))
        )
        what = "switching vault '{}' to RBAC (its access policies then stop counting)".format(current["name"])
        remedy = (
            f"grant their identities the role '{ENCRYPTION_ROLE_NAME}' on the vault or key "
            "(azure_cmk.batch.keyvault_access_policy with role)"
        )
        refuse_breaking(what, broken, self.request["force"], self.ctx, remedy)

    def guard_delete(self, current):
        accounts = accounts_using(self.ctx, vault_name=current["name"])
        refuse_breaking(f"deleting vault '{current['name']}'", accounts, self.request["force"], self.ctx)

    def _name_free(self, name):
        group_location(self.ctx, self.request["resource_group"])  # a missing group fails here, before any write
        if api.find_deleted_vault(self.ctx, name) is not None:
            if self.request.get("recover"):
                return []
            return [
                f"name: vault '{name}' is soft-deleted in this subscription; set recover: true to recover it, or "
                "choose another name"
            ]
        available, why = api.name_available(self.ctx, name)
        return [] if available else [f"name: vault name '{name}' is not available: {why}"]

    def create(self, desired, found):
        request, name = self.request, self.request["name"]
        deleted = api.find_deleted_vault(self.ctx, name) if request.get("recover") else None
        if deleted is not None:
            group, timeout = request["resource_group"], request["wait_timeout"]
            location = deleted.properties.location
            api.recover_vault(self.ctx, group, name, location, desired["tenant_id"], desired["sku"], timeout)
            self.ctx.forget()
            self.update(self.get(), desired, found)
            return
        body = {
            "location": desired["location"],
            "tags": desired["tags"],
            "properties": api.properties(desired, full=True),
        }
        api.create_vault(self.ctx, request["resource_group"], name, body)
        # Resource Manager says Succeeded before the name resolves: wait for both, polling with back-off.
        until(self._provisioned, request["wait_timeout"], f"vault '{name}' to be provisioned", DNS_DELAY, self.ctx)
        dataplane.wait_until_resolves(self.ctx, vault_url(self.ctx.cloud, name), request["wait_timeout"])

    def _provisioned(self):
        self.ctx.forget()
        found = self.get()
        if found is not None and (found["provisioning_state"] or "").lower() == "failed":
            raise CmkError(f"Azure failed to create vault '{self.request['name']}' (provisioningState Failed)")
        return found if found is not None and found["provisioning_state"] == "Succeeded" else None

    def update(self, current, desired, found):
        changed = {k: v for k, v in desired.items() if current.get(k) != v}
        props = api.properties(changed)
        if props:
            api.update_vault(self.ctx, self.request["resource_group"], self.request["name"], current["id"], props)
        if "tags" in changed:
            write_tags(self.ctx, current["id"], tags_to_write(self.request, desired), self.request.get("purge_tags"))

    def delete(self, current):
        api.delete_vault(self.ctx, self.request["resource_group"], self.request["name"], current["id"])

    def predict(self, current, desired, found):
        request = self.request
        predicted = dict(
            current
            or {
                "id": api.vault_id(self.ctx.subscription_id, request["resource_group"], request["name"]),
                "name": request["name"],
                "resource_group": request["resource_group"],
            }
        )
        predicted.update(desired)
        predicted.setdefault("vault_uri", vault_url(self.ctx.cloud, request["name"]) + "/")
        predicted.setdefault("enable_soft_delete", True)
        predicted.setdefault("access_policies", [])
        predicted.setdefault("provisioning_state", None)
        return predicted


def one_way_problems(current, desired):
    """What a vault cannot undo or change: purge protection, retention, location, tenant."""
    problems, name = [], current["name"]
    if current["enable_purge_protection"] and not desired["enable_purge_protection"]:
        problems.append(
            f"enable_purge_protection: purge protection is on for vault '{name}' and can never be turned off"
        )
    if desired["soft_delete_retention_days"] != current["soft_delete_retention_days"]:
        problems.append(
            "soft_delete_retention_days: vault '{}' keeps deleted objects {} days; this is set once, at "
            "creation, and cannot change".format(name, current["soft_delete_retention_days"])
        )
    if not same_location(desired["location"], current["location"]):
        problems.append("location: vault '{}' is in {}; a vault cannot move".format(name, current["location"]))
    if desired["tenant_id"].lower() != (current["tenant_id"] or "").lower():
        problems.append(f"vault_tenant: vault '{name}' is in tenant {current['tenant_id']}; moving it is not supported")
    return problems
