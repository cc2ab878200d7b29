# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keyvault_access_policy's controller: one principal's access to a vault's keys - its access-policy entry, or
on an RBAC vault a role assignment - compared as a set, changed without touching other principals.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers._base import Controller
from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers.principal import resolve_principal
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ENCRYPTION_ROLE_NAME
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import missing_permissions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import access as api
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import dataplane
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import read_ahead as read_vault_ahead
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault import vault_or_prediction
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import guid_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import key_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import vault_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import REPLICATION_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

DEFAULT_PERMISSIONS = ["get", "wrapKey", "unwrapKey"]  # what a Batch CMK identity needs
DEFAULT_ROLE = ENCRYPTION_ROLE_NAME  # the same on an RBAC vault


def request_problems(request):
    """The task's options alone: permission names, one principal, GUIDs and names."""
    problems = vault_name_problems(request["vault_name"])
    unknown = [p for p in request.get("key_permissions") or [] if p.lower() not in api.SPELLING]
    if unknown:
        problems.append(
            "key_permissions: unknown permission(s) {}; valid: {}".format(
                ", ".join(unknown), ", ".join(api.KEY_PERMISSIONS)
            )
        )
    others = [name for name in ("object_id", "identity", "batch_account") if request.get(name)]
    if request.get("caller") and others:
        problems.append("caller: true names the principal already; it excludes " + ", ".join(others))
    if request.get("key_permissions") == []:
        problems.append(
            "key_permissions: is empty; give the permissions to grant, or state: absent to remove the entry"
        )
    if request.get("object_id"):
        problems += guid_problems(request["object_id"], "object_id")
    if request.get("key_name"):
        problems += key_name_problems(request["key_name"], "key_name")
    return problems


class AccessController(Controller):
    RESOURCE = "access"

    def __init__(self, ctx, params):
        super().__init__(ctx, Request(params))

    @property
    def MANAGED(self):
        return ("role", "scope") if self._vault()["enable_rbac_authorization"] else ("key_permissions",)

    def validate(self):
        return request_problems(self.request)

    def _vault(self):
        """The vault, or in check mode the prediction of one an earlier task creates: RBAC (the default of new
        vaults) unless the task asks for access-policy permissions only. Read (and warned about) once."""
        request = self.request
        rbac = not (request.get("key_permissions") and not (request.get("role") or request.get("key_name")))
        assumed = (
            "; predicted as a role assignment on an RBAC vault (on an access-policy vault it is an access policy)"
            if rbac
            else "; predicted as an access policy (on an RBAC vault it is a role assignment)"
        )
        key = ("vault or prediction", request["resource_group"].lower(), request["vault_name"].lower())

        def read():
            return vault_or_prediction(self.ctx, request["vault_name"], request["resource_group"], rbac, assumed)

        # A role assignment does not change an RBAC vault: it is not read again after the grant.
        return self.ctx.once(key, read, lasting=lambda vault: vault["enable_rbac_authorization"])

    def _principal(self):
        """(object id or None when it cannot be known yet in check mode, how it is named); resolved once."""
        revoking = self.request["state"] == "absent"

        def resolve():
            return resolve_principal(self.ctx, self.request, revoking=revoking)

        return self.ctx.once(("principal",), resolve, lasting=True)  # a grant does not change who is granted

    def _scope(self):
        key = self.request.get("key_name")
        return self._vault()["id"] + ("/keys/" + key if key else "")

    def _role(self):
        subscription = "/subscriptions/" + self.ctx.subscription_id  # roles are defined there
        return api.find_role(self.ctx, self.request.get("role") or DEFAULT_ROLE, subscription)

    def header(self, resource):
        return "{} -> {}".format(self._principal()[1], self._vault()["id"])

    def get(self):
        if not self.request.get("caller") and not self.request.get("object_id"):  # the principal is read first
            read_vault_ahead(self.ctx, self.request["resource_group"], self.request["vault_name"])
        object_id, vault = self._principal()[0], self._vault()
        if object_id is None or vault.get("unknown"):
            return None
        if vault["enable_rbac_authorization"]:
            return self._assignment(object_id)
        entry = api.policy_entry(vault, object_id)
        if entry is None or not entry["key_permissions"]:
            return None
        return self._result(object_id, key_permissions=api.spelled(entry["key_permissions"]))

    def _result(self, object_id, **fields):
        vault = self._vault()
        result = {
            "vault_id": vault["id"],
            "authorization": "rbac" if vault["enable_rbac_authorization"] else "access_policy",
            "principal_id": object_id,
            "tenant_id": vault["tenant_id"],
            "key_permissions": None,
            "role": None,
            "scope": None,
            "role_assignment_id": None,
        }
        result.update(fields)
        return result

    def _assignment(self, object_id):
        role, scope = self._role(), self._scope()
        role_guid = role["id"].rsplit("/", 1)[-1].lower()
        for body in api.assignments_of(self.ctx, object_id, scope):
            props = body.get("properties") or {}
            same_scope = (props.get("scope") or "").lower().rstrip("/") == scope.lower()
            if same_scope and props.get("roleDefinitionId", "").lower().endswith(role_guid):
                return self._result(object_id, role=role["name"], scope=scope, role_assignment_id=body["id"])
        return None

    def desired(self, current):
        object_id = self._principal()[0]
        if self._vault()["enable_rbac_authorization"]:
            return self._result(object_id, role=self._role()["name"], scope=self._scope())
        wanted = self.request.get("key_permissions")
        return self._result(object_id, key_permissions=api.spelled(DEFAULT_PERMISSIONS if wanted is None else wanted))

    # key_permissions apply to access-policy vaults and role/key_name to RBAC vaults: a task may give both,
    # so that it works whichever mode the vault is in; the other is not used (documented, not warned).

    def check(self, current, desired):
        narrows = (
            current
            and current["key_permissions"] is not None
            and missing_permissions(desired["key_permissions"])
            and not missing_permissions(current["key_permissions"])
        )
        if narrows:
            self._guard("narrowing the key permissions of " + self._principal()[1], current)
        return [], {}

    def guard_delete(self, current):
        if self._vault()["enable_rbac_authorization"] and not api.missing_data_actions(
            self.ctx, current["principal_id"], self._scope(), without=current["role_assignment_id"]
        ):
            return  # the principal's other roles still give it the use of keys: no account loses its key
        self._guard("revoking the access of " + self._principal()[1], current)

    def _guard(self, what, current):
        vault, key_name = self._vault(), self.request.get("key_name")
        if not (vault["enable_rbac_authorization"] and key_name):
            key_name = None  # an access policy, or a role on the vault: every key of the vault
        accounts = accounts_using(
            self.ctx, vault_name=vault["name"], key_name=key_name, principal_id=current["principal_id"]
        )
        refuse_breaking("{} on vault '{}'".format(what, vault["name"]), accounts, self.request["force"], self.ctx)

    def create(self, desired, found):
        if self._vault()["enable_rbac_authorization"]:
            self._assign(desired["principal_id"])
        else:
            self._change("add", desired["principal_id"], {"keys": desired["key_permissions"]})
        self._until_effective(desired)

    def update(self, current, desired, found):
        entry = api.policy_entry(self._vault(), current["principal_id"])
        permissions = {
            rest: entry[name]
            for rest, name in (("secrets", "secret_permissions"), ("certificates", "certificate_permissions"))
            if entry[name]
        }
        permissions["keys"] = desired["key_permissions"]
        self._change("replace", current["principal_id"], permissions)
        self._until_effective(desired)

    def delete(self, current):
        if self._vault()["enable_rbac_authorization"]:
            return api.delete_assignment(self.ctx, self._scope(), current["role_assignment_id"])
        # Remove sends Azure's stored spelling: the service matches permission names case-sensitively.
        entry = api.policy_entry(self._vault(), current["principal_id"])
        return self._change("remove", current["principal_id"], {"keys": entry["key_permissions"]})

    def _change(self, kind, object_id, permissions):
        api.change_policy(self.ctx, self._vault(), kind, object_id, permissions, self._principal()[1])
        self.ctx.forget()  # re-read after the change

    def _assign(self, object_id):
        """The role assignment; a new identity reaches role assignments only once the directory has replicated
        it (Azure's PrincipalNotFound says so): waited for, bounded."""
        refused = []

        def attempt():
            try:
                principal_type = self.request["principal_type"]
                return (
                    api.create_assignment(
                        self.ctx, self._scope(), object_id, self._role(), principal_type, self._principal()[1]
                    ),
                )
            except CmkError as error:
                if error.code != "PrincipalNotFound":
                    raise
                refused[:] = [error]
                return None

        what = f"the directory to know {self._principal()[1]} (a new identity is replicated late)"

        def give_up(timed_out):
            return CmkTimeout(f"{timed_out.message}. Azure's last answer: {refused[0].message}")

        return until(attempt, self.request["wait_timeout"], what, REPLICATION_DELAY, self.ctx, give_up=give_up)[0]

    def _until_effective(self, desired):
        """A grant reaches Key Vault minutes after Resource Manager shows it. Only the caller's own can be seen
        to arrive (by reading): wait for it, so the next task (a key to create) does not meet a 403."""
        if not self.request["wait"] or desired["principal_id"].lower() != (self.ctx.claims().get("oid") or "").lower():
            return
        granted = desired["key_permissions"]
        if granted is not None and not {"get", "all"} & {p.lower() for p in granted}:
            return  # this grant does not let the caller read keys: nothing to see arrive
        vault_uri = self._vault()["vault_uri"].rstrip("/")
        dataplane.wait_until_caller_may_read(self.ctx, vault_uri, self.request["wait_timeout"])

    def predict(self, current, desired, found):
        return desired
