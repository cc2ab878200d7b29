# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One principal's access to a vault's keys: its access-policy entry, or on an RBAC vault a role assignment.

Access policies change through accessPolicies/{add,replace,remove}, which touch one entry, so other
principals' entries are never rewritten (a whole-vault PUT would race and clobber them).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import uuid

from ansible_collections.azure_cmk.batch.plugins.module_utils._diff import canonical_set
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import ENCRYPTION_ROLE_NAME
from ansible_collections.azure_cmk.batch.plugins.module_utils._rules import missing_permissions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import dataplane
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import Service
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.principal import resolve_principal
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.roles import assignments_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.roles import find_role
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.roles import missing_data_actions
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.vault_view import vault_or_prediction
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import guid_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import key_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import vault_name_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import REPLICATION_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

KEY_PERMISSIONS = [
    "all", "get", "list", "create", "update", "import", "delete", "backup", "restore", "recover", "purge",
    "encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify", "release", "rotate",
    "getrotationpolicy", "setrotationpolicy",
]  # fmt: skip
SPELLING = {name.lower(): name for name in KEY_PERMISSIONS}
DEFAULT_PERMISSIONS = ["get", "wrapKey", "unwrapKey"]  # what a Batch CMK identity needs
DEFAULT_ROLE = ENCRYPTION_ROLE_NAME  # the same on an RBAC vault
# A fixed namespace makes the assignment name a function of (scope, principal, role): reruns find it.
ASSIGNMENT_NAMESPACE = uuid.UUID("6d1f5c0e-8b54-4f5e-9a63-2c2b7c7f3a11")


def spelled(permissions):
    """Permission names in Azure's spelling (wrapKey, not wrapkey)."""
    return [SPELLING.get(p, p) for p in canonical_set(permissions)]


class AccessService(Service):
    RESOURCE = "access"

    def __init__(self, module):
        super().__init__(module)
        self._vault = None
        self._principal = None
        self._role = None

    @property
    def MANAGED(self):
        return ("role", "scope") if self.vault["enable_rbac_authorization"] else ("key_permissions",)

    def validate(self):
        params = self.params
        problems = vault_name_problems(params["vault_name"])
        unknown = [p for p in params.get("key_permissions") or [] if p.lower() not in SPELLING]
        if unknown:
            problems.append(
                "key_permissions: unknown permission(s) {}; valid: {}".format(
                    ", ".join(unknown), ", ".join(KEY_PERMISSIONS)
                )
            )
        if params.get("caller"):
            others = [name for name in ("object_id", "identity", "batch_account") if params.get(name)]
            if others:
                problems.append("caller: true names the principal already; it excludes " + ", ".join(others))
        if params.get("key_permissions") == []:
            problems.append(
                "key_permissions: is empty; give the permissions to grant, or state: absent to remove the entry"
            )
        if params.get("object_id"):
            problems += guid_problems(params["object_id"], "object_id")
        if params.get("key_name"):
            problems += key_name_problems(params["key_name"], "key_name")
        return problems

    @property
    def vault(self):
        if self._vault is None:
            params = self.params
            # The prediction for a vault an earlier task creates: RBAC (the default of new vaults) unless the
            # task asks for access-policy permissions only.
            rbac = not (params.get("key_permissions") and not (params.get("role") or params.get("key_name")))
            assumed = (
                "; predicted as a role assignment on an RBAC vault (on an access-policy vault it is an access policy)"
                if rbac
                else "; predicted as an access policy (on an RBAC vault it is a role assignment)"
            )
            self._vault = vault_or_prediction(self.ctx, params["vault_name"], params["resource_group"], rbac, assumed)
        return self._vault

    @property
    def principal(self):
        """(object id or None when it cannot be known yet in check mode, how it was named)."""
        if self._principal is None:
            self._principal = resolve_principal(self.ctx, self.params, revoking=self.params["state"] == "absent")
        return self._principal

    @property
    def scope(self):
        key = self.params.get("key_name")
        return self.vault["id"] + ("/keys/" + key if key else "")

    def header(self, resource):
        return "{} -> {}".format(self.principal[1], self.vault["id"])

    def get(self):
        object_id = self.principal[0]
        if object_id is None or self.vault.get("unknown"):
            return None
        if self.vault["enable_rbac_authorization"]:
            return self._assignment(object_id)
        entry = self._entry(object_id)
        if entry is None or not entry["key_permissions"]:
            return None
        return self._result(object_id, key_permissions=spelled(entry["key_permissions"]))

    def _entry(self, object_id):
        for policy in self.vault["access_policies"]:
            same_tenant = (policy["tenant_id"] or "").lower() == (self.vault["tenant_id"] or "").lower()
            if (
                same_tenant
                and (policy["object_id"] or "").lower() == object_id.lower()
                and not policy["application_id"]
            ):
                return policy
        return None

    def _result(self, object_id, **fields):
        result = {
            "vault_id": self.vault["id"],
            "authorization": "rbac" if self.vault["enable_rbac_authorization"] else "access_policy",
            "principal_id": object_id,
            "tenant_id": self.vault["tenant_id"],
            "key_permissions": None,
            "role": None,
            "scope": None,
            "role_assignment_id": None,
        }
        result.update(fields)
        return result

    def _role_definition(self):
        if self._role is None:
            subscription = "/subscriptions/" + self.clients.subscription_id  # roles are defined there
            self._role = find_role(self.ctx, self.params.get("role") or DEFAULT_ROLE, subscription)
        return self._role

    def _assignment(self, object_id):
        role_id = self._role_definition()["id"]
        for body in assignments_of(self.ctx, object_id, self.scope):
            props = body.get("properties") or {}
            same_scope = (props.get("scope") or "").lower().rstrip("/") == self.scope.lower()
            if same_scope and props.get("roleDefinitionId", "").lower().endswith(role_id.rsplit("/", 1)[-1].lower()):
                return self._result(
                    object_id, role=self._role_definition()["name"], scope=self.scope, role_assignment_id=body["id"]
                )
        return None

    def desired(self, current):
        object_id = self.principal[0]
        if self.vault["enable_rbac_authorization"]:
            return self._result(object_id, role=self._role_definition()["name"], scope=self.scope)
        wanted = self.params.get("key_permissions")
        return self._result(object_id, key_permissions=spelled(DEFAULT_PERMISSIONS if wanted is None else wanted))

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
            self._guard("narrowing the key permissions of " + self.principal[1], current)
        return []

    def guard_delete(self, current):
        if self.vault["enable_rbac_authorization"] and not missing_data_actions(
            self.ctx, current["principal_id"], self.scope, without=current["role_assignment_id"]
        ):
            return  # the principal's other roles still give it the use of keys: no account loses its key
        self._guard("revoking the access of " + self.principal[1], current)

    def _guard(self, what, current):
        accounts = accounts_using(self.ctx, vault_name=self.vault["name"], principal_id=current["principal_id"])
        if self.vault["enable_rbac_authorization"] and self.params.get("key_name"):
            accounts = accounts_using(
                self.ctx,
                vault_name=self.vault["name"],
                key_name=self.params["key_name"],
                principal_id=current["principal_id"],
            )
        refuse_breaking("{} on vault '{}'".format(what, self.vault["name"]), accounts, self.params["force"], self.ctx)

    def create(self, desired):
        if self.vault["enable_rbac_authorization"]:
            self._assign(desired["principal_id"])
        else:
            self._policy("add", desired["principal_id"], {"keys": desired["key_permissions"]})
        self._until_effective(desired)

    def _until_effective(self, desired):
        """A grant reaches Key Vault minutes after Resource Manager shows it. Only the caller's own can be seen
        to arrive (by reading): wait for it, so the next task (a key to create) does not meet a 403."""
        if not self.params["wait"] or desired["principal_id"].lower() != (self.ctx.claims().get("oid") or "").lower():
            return
        granted = desired["key_permissions"]
        if granted is not None and not {"get", "all"} & {p.lower() for p in granted}:
            return  # this grant does not let the caller read keys: nothing to see arrive
        dataplane.wait_until_caller_may_read(self.ctx, self.vault["vault_uri"].rstrip("/"), self.params["wait_timeout"])

    def update(self, current, desired):
        entry = self._entry(current["principal_id"])
        permissions = {
            rest: entry[name]
            for rest, name in (("secrets", "secret_permissions"), ("certificates", "certificate_permissions"))
            if entry[name]
        }
        permissions["keys"] = desired["key_permissions"]
        self._policy("replace", current["principal_id"], permissions)
        self._until_effective(desired)

    def delete(self, current):
        if self.vault["enable_rbac_authorization"]:
            name = current["role_assignment_id"].rsplit("/", 1)[-1]
            operations = self.clients.authorization.role_assignments
            return self.call(
                "delete role assignment", current["role_assignment_id"], operations.delete, self.scope, name
            )
        # Remove sends Azure's stored spelling: the service matches permission names case-sensitively.
        entry = self._entry(current["principal_id"])
        return self._policy("remove", current["principal_id"], {"keys": entry["key_permissions"]})

    def _policy(self, kind, object_id, permissions):
        body = {
            "properties": {
                "accessPolicies": [
                    {"tenantId": self.vault["tenant_id"], "objectId": object_id, "permissions": permissions}
                ]
            }
        }
        operations = self.clients.keyvault.vaults
        self.call(
            f"{kind} access policy of {self.principal[1]} on",
            self.vault["id"],
            operations.update_access_policy,
            self.params["resource_group"],
            self.params["vault_name"],
            kind,
            body,
        )
        self.ctx.forget()
        self._vault = None  # re-read after the change

    def _assign(self, object_id):
        role = self._role_definition()
        name = str(
            uuid.uuid5(ASSIGNMENT_NAMESPACE, "|".join((self.scope.lower(), object_id.lower(), role["id"].lower())))
        )
        body = {
            "properties": {
                "roleDefinitionId": role["id"],
                "principalId": object_id,
                "principalType": self.params["principal_type"],
            }
        }
        operations = self.clients.authorization.role_assignments
        refused = []

        def attempt():
            try:
                return (
                    self.call(
                        f"assign role '{role['name']}' to {self.principal[1]} on",
                        self.scope,
                        operations.create,
                        self.scope,
                        name,
                        body,
                    ),
                )
            except CmkError as error:
                if error.code != "PrincipalNotFound":
                    raise
                refused[:] = [error]
                return None

        # A new identity reaches role assignments only once the directory has replicated it (Azure's message
        # says so): waited for, bounded.
        what = f"the directory to know {self.principal[1]} (a new identity is replicated late)"
        give_up = lambda timed_out: CmkTimeout(f"{timed_out.message}. Azure's last answer: {refused[0].message}")  # noqa: E731
        return until(attempt, self.params["wait_timeout"], what, REPLICATION_DELAY, self.ctx, give_up=give_up)[0]

    def predict(self, current, desired):
        return desired
