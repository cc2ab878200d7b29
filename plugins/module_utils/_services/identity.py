# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""User-assigned managed identities (Microsoft.ManagedIdentity/userAssignedIdentities).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import Service
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import tracked_fields
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._base import write_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.batch_account_view import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.resource_group import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import GUID
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import identity_name_problems


def normalize(body):
    """REST body -> the identity as modules return it."""
    if body is None:
        return None
    props = body.get("properties") or {}
    return {
        **tracked_fields(body),
        "principal_id": props.get("principalId"),
        "client_id": props.get("clientId"),
        "tenant_id": props.get("tenantId"),
    }


def get_identity(ctx, resource_group, name):
    """User-assigned identity ``name`` in ``resource_group``, or None; read once per run."""

    def fetch():
        operations = ctx.clients.msi.user_assigned_identities
        return normalize(rest_dict(ctx.read("read user-assigned identity", name, operations.get, resource_group, name)))

    return ctx.once(("identity", resource_group.lower(), name.lower()), fetch)


def find_identity(ctx, reference, resource_group, option):
    """A user-assigned identity named by resource id or by name (in ``resource_group``); None if absent.

    When it is absent, check mode assumes an earlier task creates it - unless the resource group does not
    exist or an identity of that name lives in another group of the subscription: plain mistakes."""
    if reference.startswith("/"):
        try:
            parsed = _resource_id.parse_as(reference, "Microsoft.ManagedIdentity", "userAssignedIdentities")
        except ValueError as exc:
            raise CmkValidationError(f"{option}: {exc}") from exc
        resource_group, reference = parsed["resource_group"], parsed["name"]
    found = get_identity(ctx, resource_group, reference)
    if found is None:
        group_location(ctx, resource_group, option + " (its resource group)")
        if GUID.match(reference):
            raise CmkValidationError(_an_id_for_a_name(ctx, reference, resource_group, option))
        elsewhere = [i["resource_group"] for i in _listed(ctx) if i["name"].lower() == reference.lower()]
        if elsewhere:
            raise CmkValidationError(
                "{}: identity '{}' is not in resource group '{}' (an identity of that name is in {})".format(
                    option, reference, resource_group, ", ".join(sorted(elsewhere))
                )
            )
    return found


def _an_id_for_a_name(ctx, guid, resource_group, option):
    """What to say of a GUID given where an identity's name goes: often its client or principal id."""
    for identity in _listed(ctx):
        for field, what in (("client_id", "client id"), ("principal_id", "principal (object) id")):
            if (identity[field] or "").lower() == guid.lower():
                return (
                    f"{option}: '{guid}' is the {what} of user-assigned identity '{identity['name']}' (resource group "
                    f"'{identity['resource_group']}'); give the identity's name or resource id"
                )
    hint = " (a principal's object id goes in object_id)" if option == "identity" else ""
    return (
        f"{option}: '{guid}' is a GUID, and no user-assigned identity of that name is in resource group "
        f"'{resource_group}'; give the identity's name or resource id{hint}"
    )


def _listed(ctx):
    def fetch():
        operations = ctx.clients.msi.user_assigned_identities
        pages = ctx.call("list user-assigned identities", "the subscription", operations.list_by_subscription)
        return [normalize(rest_dict(item)) for item in ctx.call("list user-assigned identities", "", list, pages)]

    return ctx.once(("identities",), fetch)


class IdentityService(Service):
    RESOURCE = "identity"
    MANAGED = ("location", "tags")

    def validate(self):
        return identity_name_problems(self.params["name"])

    def get(self):
        return get_identity(self.ctx, self.params["resource_group"], self.params["name"])

    def desired(self, current):
        location = self.params.get("location") or (current or {}).get("location")
        if location is None:
            location = group_location(self.ctx, self.params["resource_group"])
        tags = merge_tags((current or {}).get("tags"), self.params.get("tags"), self.params.get("purge_tags"))
        return {"location": location, "tags": tags}

    def check(self, current, desired):
        if current is None and self.params.get("location"):
            group_location(self.ctx, self.params["resource_group"])  # a missing group fails here, before any write
        if current and _norm(current["location"]) != _norm(desired["location"]):
            return [
                "location: identity '{}' is in {}; the location of an identity cannot change (delete and "
                "recreate it, then grant the new principal)".format(current["name"], current["location"])
            ]
        return []

    def create(self, desired):
        body = {"location": desired["location"], "tags": desired["tags"]}
        self.call(
            "create user-assigned identity",
            self.params["name"],
            self.clients.msi.user_assigned_identities.create_or_update,
            self.params["resource_group"],
            self.params["name"],
            body,
        )

    def update(self, current, desired):  # only tags can change
        write_tags(self.ctx, current["id"], self._tags_to_write(desired), self.params.get("purge_tags"))

    def guard_delete(self, current):
        accounts = accounts_using(self.ctx, identity_id=current["id"])
        refuse_breaking(f"deleting identity '{current['name']}'", accounts, self.params["force"], self.ctx)

    def delete(self, current):
        self.call(
            "delete user-assigned identity",
            current["id"],
            self.clients.msi.user_assigned_identities.delete,
            self.params["resource_group"],
            self.params["name"],
        )

    def predict(self, current, desired):
        predicted = dict(current or _unknown(self))
        predicted.update(desired)
        return predicted

    def list(self, resource_group=None):
        operations = self.clients.msi.user_assigned_identities
        if resource_group:
            pages = self.call(
                "list user-assigned identities", resource_group, operations.list_by_resource_group, resource_group
            )
        else:
            pages = self.call("list user-assigned identities", "the subscription", operations.list_by_subscription)
        return [normalize(rest_dict(item)) for item in self.call("list user-assigned identities", "", list, pages)]


def _unknown(service):
    """What check mode can say of an identity it would create: ids Azure assigns are unknown."""
    return {
        "id": _resource_id.build(
            service.clients.subscription_id,
            service.params["resource_group"],
            "Microsoft.ManagedIdentity",
            "userAssignedIdentities",
            service.params["name"],
        ),
        "name": service.params["name"],
        "resource_group": service.params["resource_group"],
        "principal_id": None,
        "client_id": None,
        "tenant_id": None,
    }


def _norm(location):
    return (location or "").replace(" ", "").lower()
