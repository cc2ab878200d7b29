# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""batch_account_cmk's controller: a Batch account's identity and encryption (customer-managed key), and what
creating one needs. Every CMK rule it can see is checked with the account's own identity before writing.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import Target
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._audit import with_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers._base import Controller
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_account_checks import judge
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_account_checks import judge_current
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_account_checks import (
    placement_problems,
)
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_account_checks import principal_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_account_checks import request_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_account_checks import (
    vault_group_problems,
)
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_refusals import recovering
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.batch_refusals import through_propagation
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import key_id_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import batch_account as api
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import same_case
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import tags_to_write
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import write_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import KNOWN_AFTER_APPLY
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account import PLATFORM
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.identity import identity_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.key import read_ahead
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import subscription_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import read_ahead as read_vault_ahead
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import same_key
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import RECOVERY_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

# What decides the key the account reaches, and with which identity.
KEY_FIELDS = ("identity_type", "user_assigned_identity", "key_source", "key_identifier")


class BatchAccountController(Controller):
    RESOURCE = "batch_account"
    MANAGED = ("location", "tags", *KEY_FIELDS, "pool_allocation_mode", "auto_storage_account", "public_network_access")

    def __init__(self, ctx, params):
        super().__init__(ctx, Request(params, key_id=key_id_of(params, ctx.cloud)))

    def _target(self):
        return Target(self.request.get("key_vault_resource_group"), near=self.request["resource_group"])

    def validate(self):
        return request_problems(self.ctx, self.request)

    def get(self):
        key_id = self.request.key_id
        if key_id and self.request.get("key_source") != PLATFORM:  # what the checks read, beside the account's read
            read_ahead(self.ctx, key_id)
            group = self.request.get("key_vault_resource_group") or self.request["resource_group"]
            read_vault_ahead(self.ctx, group, key_id.vault_name)
        return api.get_account(self.ctx, self.request["resource_group"], self.request["name"])

    def desired(self, current):
        request, now = self.request, current or {}
        location = request.get("location") or now.get("location") or group_location(self.ctx, request["resource_group"])
        identity_type = request.get("identity_type") or now.get("identity_type") or "None"
        key_source = request.get("key_source") or now.get("key_source") or PLATFORM
        return {
            "location": location,
            "tags": merge_tags(now.get("tags"), request.get("tags"), request.get("purge_tags")),
            "identity_type": identity_type,
            "user_assigned_identity": self._identity_id(now) if identity_type == "UserAssigned" else None,
            "key_source": key_source,
            "key_identifier": self._key_identifier(now) if key_source == KEY_VAULT else None,
            "pool_allocation_mode": request.get("pool_allocation_mode")
            or now.get("pool_allocation_mode")
            or "BatchService",
            "auto_storage_account": same_case(request.get("auto_storage_account"), now.get("auto_storage_account")),
            "public_network_access": request.get("public_network_access")
            or now.get("public_network_access")
            or "Enabled",
        }

    def _key_identifier(self, current):
        wanted = self.request.get("key_identifier")
        if wanted and current.get("key_identifier") and same_key(wanted, current["key_identifier"], self.ctx.cloud):
            return current["key_identifier"]  # the same key as Azure compares them: never rewritten
        if wanted:
            return wanted.rstrip("/")
        if self.request.get("key_source") == KEY_VAULT:  # null: check mode only (validate refuses it otherwise)
            self.ctx.warn("key_identifier is null (check mode: assuming an earlier task returns it)")
            return KNOWN_AFTER_APPLY
        return current.get("key_identifier")

    def _identity_id(self, current):
        """The user-assigned identity's resource id (names resolve in identity_resource_group)."""
        wanted = self.request.get("user_assigned_identity")
        if not wanted:
            return current.get("user_assigned_identity")
        if not wanted.startswith("/"):
            group = self.request.get("identity_resource_group") or self.request["resource_group"]
            wanted = identity_id(self.ctx.subscription_id, group, wanted)
        return same_case(wanted, current.get("user_assigned_identity"))

    def check(self, current, desired):
        ctx, request, target = self.ctx, self.request, self._target()
        problems = placement_problems(ctx, request, current, desired) + vault_group_problems(ctx, request, desired)
        principal = principal_of(ctx, request, current, desired, problems)
        repoints = current is None or any(current.get(f) != desired.get(f) for f in KEY_FIELDS)
        if current and current["key_source"] == KEY_VAULT and repoints and not problems:
            problems += judge_current(ctx, request, current, target)
        audit = []
        if desired["key_source"] == KEY_VAULT and desired["key_identifier"] != KNOWN_AFTER_APPLY and not problems:
            label = api.principal_label(dict(desired, name=request["name"]))
            tenant = subscription_tenant(ctx)
            audit = key_access(
                ctx, principal, label, desired["key_identifier"], tenant, target, grants=principal is not None
            )
            problems += judge(ctx, request, audit, repoints, only_warns=self._identity_only(current, desired))
        return problems, {"audit": audit, "principal": principal, "target": target}

    def _identity_only(self, current, desired):
        """The task sets the identity, not the key, and writes nothing: the first step of the system-assigned
        flow, whose grant comes next - a rerun must get past it to restore a lost grant."""
        request = self.request
        sets_key = request.get("key_source") or request.get("key_identifier")
        unchanged = current is not None and not any(current.get(k) != desired[k] for k in self.MANAGED)
        return bool(request.get("identity_type")) and not sets_key and unchanged

    def present(self, resource, found):
        """The account as the module returns it: with the findings for its key."""
        if resource is None:
            return None
        findings = (found.get("audit") or []) if resource["key_source"] == KEY_VAULT else []
        account = with_key_access(resource, findings, lenient=self.ctx.check_mode)
        if account["recovering"]:  # not an error: nothing is wrong any more, Batch is only slow to see it
            waits = (
                " (a real run waits for it, up to wait_timeout)" if self.ctx.check_mode and self.request["wait"] else ""
            )
            self.ctx.warn("Batch account '{}': {}{}".format(account["name"], account["unavailable_reason"], waits))
        return account

    def ready(self, resource, found):
        """An account whose key access has just returned stays Invalid for a while (Batch CMK FAQ: up to 10
        minutes): with ``wait``, wait for Batch to make it available, so that green means usable. Only when the
        rules hold: an account that cannot use its key for a cause the audit names will not recover by waiting."""
        account = resource
        audit = found.get("audit") or []
        if not self.request["wait"] or not recovering(account, audit):
            return account

        def available():
            self.ctx.forget()
            now = self.get()
            return (now or account,) if now is None or not recovering(now, audit) else None

        what = "Batch account '{}' to become available again (its key is reachable)".format(self.request["name"])
        return until(available, self.request["wait_timeout"], what, RECOVERY_DELAY, self.ctx)[0]

    def create(self, desired, found):
        request, group, name = self.request, self.request["resource_group"], self.request["name"]

        def create():
            return api.create_account(self.ctx, group, name, api.create_body(desired))

        poller = through_propagation(self.ctx, request, desired, create, found)
        if request["wait"]:
            api.wait_for(
                self.ctx,
                poller,
                request["wait_timeout"],
                "create Batch account",
                name,
                "creation of Batch account " + name,
            )

    def update(self, current, desired, found):
        request, group, name = self.request, self.request["resource_group"], self.request["name"]
        if current.get("tags") != desired["tags"]:
            write_tags(self.ctx, current["id"], tags_to_write(request, desired), request.get("purge_tags"))
        body = api.update_body(current, {k: desired[k] for k in self.MANAGED if k != "tags"})
        if not body:
            return
        # An account leaving its key is checked as one on it: Batch refuses writes to an account that lost it.
        on_key = desired if current["key_source"] != KEY_VAULT else dict(desired, key_source=KEY_VAULT)

        def write():
            return api.update_account(self.ctx, group, name, current["id"], body)

        through_propagation(self.ctx, request, on_key, write, found, current)

    def delete(self, current):
        request, group, name = self.request, self.request["resource_group"], self.request["name"]
        poller = api.delete_account(self.ctx, group, name, current["id"])
        if request["wait"]:
            api.wait_for(
                self.ctx,
                poller,
                request["wait_timeout"],
                "delete Batch account",
                current["id"],
                "deletion of Batch account " + name,
            )

    def predict(self, current, desired, found):
        request = self.request
        account_id = api.account_id(self.ctx.subscription_id, request["resource_group"], request["name"])
        predicted = dict(
            current or {"id": account_id, "name": request["name"], "resource_group": request["resource_group"]}
        )
        predicted.update(desired)
        if current is None or current["identity_type"] != desired["identity_type"]:
            predicted.update(principal_id=None, tenant_id=None)
        if current is None:
            predicted.update(provisioning_state=None, account_endpoint=None)
        return predicted
