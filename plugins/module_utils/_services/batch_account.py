# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch accounts: identity and encryption (customer-managed key), plus what creating one needs.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import Service
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import write_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_checks import judge
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_checks import judge_current
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_checks import placement_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_checks import principal_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_checks import vault_group_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import KEY_VAULT
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import KNOWN_AFTER_APPLY
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import PLATFORM
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import get_account
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import principal_label
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import subscription_tenant
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.cmk import Target
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.cmk import key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.cmk import with_key_access
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.resource_group import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.roles import granted_at
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import find_vault
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import batch_account_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_key_identifier
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import same_key
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import GRANT_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import GRANT_SECONDS
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import RECOVERY_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import sparse
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

# A refused write is made at most this often (a grant still on its way may need ten minutes).
MOST_REFUSED_WRITES = 6
# What check mode shows for a key identifier that an earlier task returns only once it has run.
KEY_FIELDS = ("identity_type", "user_assigned_identity", "key_source", "key_identifier")


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

    def __init__(self, module):
        super().__init__(module)
        self.audit = []  # the findings for the key the account ends up with
        self.principal = None  # the object id it reaches the key with

    @property
    def target(self):
        return Target(self.params.get("key_vault_resource_group"), near=self.params["resource_group"])

    def validate(self):
        params = self.params
        problems = batch_account_name_problems(params["name"])
        if params.get("key_identifier"):
            parse_key_identifier(params["key_identifier"], self.ctx.cloud)
        elif params.get("key_source") == KEY_VAULT and not self.ctx.check_mode:
            # required_if is met by an explicit null; in check mode that is an id an earlier task returns.
            problems.append(
                "key_identifier: is null or empty; key_source Microsoft.KeyVault needs the key's identifier"
            )
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
        return get_account(self.ctx, self.params["resource_group"], self.params["name"])

    def desired(self, current):
        params, now = self.params, current or {}
        location = params.get("location") or now.get("location") or group_location(self.ctx, params["resource_group"])
        identity_type = params.get("identity_type") or now.get("identity_type") or "None"
        key_source = params.get("key_source") or now.get("key_source") or PLATFORM
        return {
            "location": location,
            "tags": merge_tags(now.get("tags"), params.get("tags"), params.get("purge_tags")),
            "identity_type": identity_type,
            "user_assigned_identity": self._identity_id(now) if identity_type == "UserAssigned" else None,
            "key_source": key_source,
            "key_identifier": self._key_identifier(now) if key_source == KEY_VAULT else None,
            "pool_allocation_mode": params.get("pool_allocation_mode")
            or now.get("pool_allocation_mode")
            or "BatchService",
            "auto_storage_account": _same_case(params.get("auto_storage_account"), now.get("auto_storage_account")),
            "public_network_access": params.get("public_network_access")
            or now.get("public_network_access")
            or "Enabled",
        }

    def _key_identifier(self, current):
        params = self.params
        wanted = params.get("key_identifier")
        if wanted and current.get("key_identifier") and same_key(wanted, current["key_identifier"], self.ctx.cloud):
            return current["key_identifier"]  # the same key as Azure compares them: never rewritten
        if wanted:
            return wanted.rstrip("/")
        if params.get("key_source") == KEY_VAULT:  # null: check mode only (validate refuses it otherwise)
            self.ctx.warn("key_identifier is null (check mode: assuming an earlier task returns it)")
            return KNOWN_AFTER_APPLY
        return current.get("key_identifier")

    def _identity_id(self, current):
        """The user-assigned identity's resource id (names resolve in identity_resource_group)."""
        wanted = self.params.get("user_assigned_identity")
        if not wanted:
            return current.get("user_assigned_identity")
        if not wanted.startswith("/"):
            group = self.params.get("identity_resource_group") or self.params["resource_group"]
            wanted = _resource_id.build(
                self.ctx.subscription_id, group, "Microsoft.ManagedIdentity", "userAssignedIdentities", wanted
            )
        return _same_case(wanted, current.get("user_assigned_identity"))

    def check(self, current, desired):
        problems = placement_problems(self, current, desired) + vault_group_problems(self, desired)
        principal = self.principal = principal_of(self, current, desired, problems)
        repoints = current is None or _differs(current, desired, KEY_FIELDS)
        if current and current["key_source"] == KEY_VAULT and repoints and not problems:
            problems += judge_current(self, current)
        if desired["key_source"] == KEY_VAULT and desired["key_identifier"] != KNOWN_AFTER_APPLY and not problems:
            self.audit = key_access(
                self.ctx,
                principal,
                self._principal_label(desired),
                desired["key_identifier"],
                subscription_tenant(self.ctx),
                self.target,
                grants=principal is not None,
            )
            problems += judge(self, self.audit, repoints, only_warns=self._identity_only(current, desired))
        return problems

    def _identity_only(self, current, desired):
        """The task sets the identity, not the key, and writes nothing: the first step of the system-assigned
        flow, whose grant comes next - a rerun must get past it to restore a lost grant."""
        params = self.params
        sets_key = params.get("key_source") or params.get("key_identifier")
        unchanged = current is not None and not _differs(current, desired, self.MANAGED)
        return bool(params.get("identity_type")) and not sets_key and unchanged

    def _principal_label(self, desired):
        return principal_label(dict(desired, name=self.params["name"]))

    def present(self, resource):
        """The account as the module returns it: with the findings for its key."""
        if resource is None:
            return None
        findings = self.audit if resource["key_source"] == KEY_VAULT else []
        account = with_key_access(resource, findings, lenient=self.ctx.check_mode)
        if account["recovering"]:  # not an error: nothing is wrong any more, Batch is only slow to see it
            waits = ""
            if self.ctx.check_mode and self.params["wait"]:
                waits = " (a real run waits for it, up to wait_timeout)"
            self.ctx.warn("Batch account '{}': {}{}".format(account["name"], account["unavailable_reason"], waits))
        return account

    def ready(self, account):
        """An account whose key access has just returned stays Invalid for a while (Batch CMK FAQ: up to 10
        minutes): with ``wait``, wait for Batch to make it available, so that green means usable. Only when the
        rules hold: an account that cannot use its key for a cause the audit names will not recover by waiting."""
        if not self.params["wait"] or not _recovering(account, self.audit):
            return account

        def available():
            self.ctx.forget()
            found = self.get()
            return (found or account,) if found is None or not _recovering(found, self.audit) else None

        what = "Batch account '{}' to become available again (its key is reachable)".format(self.params["name"])
        return until(available, self.params["wait_timeout"], what, RECOVERY_DELAY, self.ctx)[0]

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
        poller = self._through_propagation(
            desired,
            lambda: self.call(
                "create Batch account",
                params["name"],
                operations.begin_create,
                params["resource_group"],
                params["name"],
                body,
                polling_interval=_lro.POLL_SECONDS,  # Batch's 202 carries no Retry-After
            ),
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
        if props:
            body["properties"] = props
        if "tags" in changed:
            write_tags(self.ctx, current["id"], self._tags_to_write(desired), self.params.get("purge_tags"))
        if not body:
            return
        operations = self.clients.batch.batch_account
        self._through_propagation(
            desired if current["key_source"] != KEY_VAULT else dict(desired, key_source=KEY_VAULT),
            lambda: self.call(
                "update Batch account",
                current["id"],
                operations.update,
                self.params["resource_group"],
                self.params["name"],
                body,
            ),
            current,
        )

    def _through_propagation(self, desired, write, current=None):
        """``write()``, tried again while Batch refuses it, when the account is or will be on a customer-managed
        key and the refusal can be Azure catching up: Batch checks the key with grants as they were minutes
        ago, and keeps a restored account unavailable a while longer. A refusal whose cause the checks before
        the write named (allow_unavailable), or that comes although the identity's role is older than Azure's
        documented delay, fails at once. The writes are spaced out (2 s, then four times longer each time; six
        at most, within wait_timeout): a refusal writes nothing, and the pauses are listed in ``absorbed``."""
        if desired["key_source"] != KEY_VAULT:
            return write()
        refused = []
        known = "; ".join(f["message"] for f in errors(self.audit))

        def attempt():
            try:
                return (write(),)
            except CmkError as error:
                if error.status not in (400, 403, 409):
                    raise
                if known:
                    raise CmkError(f"{error.message} (the checks before the write found: {known})") from error
                if not refused and not _recovering(current or {"key_source": None}, self.audit):
                    self._refuse_if_settled(desired, error)
                refused[:] = [error]
                return None

        return until(
            attempt,
            self.params["wait_timeout"],
            "Batch to accept the key for account '{}'".format(self.params["name"]),
            GRANT_DELAY + "; " + RECOVERY_DELAY,
            self.ctx,
            give_up=lambda timed_out: CmkTimeout(f"{timed_out.message}. Azure's last answer: {refused[0].message}"),
            pauses=sparse,
            tries=MOST_REFUSED_WRITES,
        )[0]

    def _refuse_if_settled(self, desired, error):
        """Fail at once when the identity's role on an RBAC vault was granted longer ago than Azure documents
        for a grant to arrive: waiting cannot help (access policies carry no date: they are waited for)."""
        if self.principal is None or desired["key_identifier"] in (None, KNOWN_AFTER_APPLY):
            return
        key_id = parse_key_identifier(desired["key_identifier"], self.ctx.cloud)
        vault = find_vault(self.ctx, key_id.vault_name, self.target.vault_group, self.target.near)
        if vault is None or not vault["enable_rbac_authorization"]:
            return
        granted = granted_at(self.ctx, self.principal, "{}/keys/{}".format(vault["id"], key_id.name))
        if granted is not None and time.time() - granted.timestamp() > GRANT_SECONDS:
            raise CmkError(
                "{} - although the identity's role on vault '{}' was granted at {}, longer ago than the {} s Azure "
                "documents for a grant to arrive: not waited for".format(
                    error.message, vault["name"], iso(granted), GRANT_SECONDS
                ),
                code=error.code,
                status=error.status,
                request_id=error.request_id,
            ) from error

    def delete(self, current):
        params = self.params
        operations = self.clients.batch.batch_account
        poller = self.call(
            "delete Batch account",
            current["id"],
            operations.begin_delete,
            params["resource_group"],
            params["name"],
            polling_interval=_lro.POLL_SECONDS,
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
            predicted.update(provisioning_state=None, account_endpoint=None)
        return predicted

    def _id(self):
        return _resource_id.build(
            self.clients.subscription_id,
            self.params["resource_group"],
            "Microsoft.Batch",
            "batchAccounts",
            self.params["name"],
        )


def _same_case(wanted, current):
    """``wanted``, but spelled as Azure has it when they are the same id (ids compare case-insensitively)."""
    if wanted and current and _resource_id.same(wanted, current):
        return current
    return wanted or current


def _recovering(account, findings):
    invalid = account["key_source"] == KEY_VAULT and account.get("provisioning_state") == "Invalid"
    return invalid and not errors(findings)


def _differs(current, desired, fields):
    return any(current.get(f) != desired.get(f) for f in fields)
