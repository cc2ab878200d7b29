# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""User-assigned managed identities (Microsoft.ManagedIdentity/userAssignedIdentities): the calls, and the
identity as modules return it.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import rest_dict
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import tracked_fields
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import GUID

NAMESPACE, TYPE = "Microsoft.ManagedIdentity", "userAssignedIdentities"


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


def identity_id(subscription_id, resource_group, name):
    return _resource_id.build(subscription_id, resource_group, NAMESPACE, TYPE, name)


def get_identity(ctx, resource_group, name):
    """User-assigned identity ``name`` in ``resource_group``, or None; read once per run."""

    def fetch():
        operations = ctx.clients.msi.user_assigned_identities
        return normalize(rest_dict(ctx.read("read user-assigned identity", name, operations.get, resource_group, name)))

    return ctx.once(("identity", resource_group.lower(), name.lower()), fetch)


def list_identities(ctx, resource_group=None):
    """The identities of a resource group, or of the subscription (listed once per run)."""

    def fetch():
        operations = ctx.clients.msi.user_assigned_identities
        where = resource_group or "the subscription"
        if resource_group:
            pages = ctx.call("list user-assigned identities", where, operations.list_by_resource_group, resource_group)
        else:
            pages = ctx.call("list user-assigned identities", where, operations.list_by_subscription)
        return [normalize(rest_dict(item)) for item in ctx.call("list user-assigned identities", where, list, pages)]

    return ctx.once(("identities", (resource_group or "").lower()), fetch)


def create_identity(ctx, resource_group, name, location, tags):
    operations = ctx.clients.msi.user_assigned_identities
    body = {"location": location, "tags": tags}
    ctx.call("create user-assigned identity", name, operations.create_or_update, resource_group, name, body)


def delete_identity(ctx, resource_group, name, resource_id):
    operations = ctx.clients.msi.user_assigned_identities
    ctx.call("delete user-assigned identity", resource_id, operations.delete, resource_group, name)


def find_identity(ctx, reference, resource_group, option, group_option=None):
    """A user-assigned identity named by resource id or by name (in ``resource_group``); None if absent.

    When it is absent, check mode may assume an earlier task creates it - unless the resource group does not
    exist (named as ``group_option``), an identity of that name lives in another group, or the name is a GUID:
    plain mistakes."""
    if reference.startswith("/"):
        try:
            parsed = _resource_id.parse_as(reference, NAMESPACE, TYPE)
        except ValueError as exc:
            raise CmkValidationError(f"{option}: {exc}") from exc
        resource_group, reference = parsed["resource_group"], parsed["name"]
    found = get_identity(ctx, resource_group, reference)
    if found is None:
        group_location(ctx, resource_group, group_option or option + " (its resource group)")
        if GUID.match(reference):
            raise CmkValidationError(_an_id_for_a_name(list_identities(ctx), reference, resource_group, option))
        elsewhere = [i["resource_group"] for i in list_identities(ctx) if i["name"].lower() == reference.lower()]
        if elsewhere:
            raise CmkValidationError(
                "{}: identity '{}' is not in resource group '{}' (an identity of that name is in {})".format(
                    option, reference, resource_group, ", ".join(sorted(elsewhere))
                )
            )
    return found


def _an_id_for_a_name(identities, guid, resource_group, option):
    """What to say of a GUID given where an identity's name goes: often its client or principal id."""
    for identity in identities:
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
