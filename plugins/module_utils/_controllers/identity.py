# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""user_identity's controller: a user-assigned managed identity, its location and tags.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._controllers._base import Controller
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import accounts_using
from ansible_collections.azure_cmk.batch.plugins.module_utils._guards import refuse_breaking
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import identity as api
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import merge_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import same_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import tags_to_write
from ansible_collections.azure_cmk.batch.plugins.module_utils._services._arm import write_tags
from ansible_collections.azure_cmk.batch.plugins.module_utils._services.subscription import group_location
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import identity_name_problems


class IdentityController(Controller):
    RESOURCE = "identity"
    MANAGED = ("location", "tags")

    def __init__(self, ctx, params):
        super().__init__(ctx, Request(params))

    def validate(self):
        return identity_name_problems(self.request["name"])

    def get(self):
        return api.get_identity(self.ctx, self.request["resource_group"], self.request["name"])

    def desired(self, current):
        request = self.request
        location = request.get("location") or (current or {}).get("location")
        if location is None:
            location = group_location(self.ctx, request["resource_group"])
        tags = merge_tags((current or {}).get("tags"), request.get("tags"), request.get("purge_tags"))
        return {"location": location, "tags": tags}

    def check(self, current, desired):
        if current is None and self.request.get("location"):
            group_location(self.ctx, self.request["resource_group"])  # a missing group fails here, before any write
        if current and not same_location(current["location"], desired["location"]):
            message = (
                "location: identity '{}' is in {}; the location of an identity cannot change (delete and "
                "recreate it, then grant the new principal)".format(current["name"], current["location"])
            )
            return [message], {}
        return [], {}

    def create(self, desired, found):
        api.create_identity(
            self.ctx, self.request["resource_group"], self.request["name"], desired["location"], desired["tags"]
        )

    def update(self, current, desired, found):  # only tags can change
        write_tags(self.ctx, current["id"], tags_to_write(self.request, desired), self.request.get("purge_tags"))

    def guard_delete(self, current):
        accounts = accounts_using(self.ctx, identity_id=current["id"])
        refuse_breaking(f"deleting identity '{current['name']}'", accounts, self.request["force"], self.ctx)

    def delete(self, current):
        api.delete_identity(self.ctx, self.request["resource_group"], self.request["name"], current["id"])

    def predict(self, current, desired, found):
        predicted = dict(current or self._unknown())
        predicted.update(desired)
        return predicted

    def _unknown(self):
        """What check mode can say of an identity it would create: ids Azure assigns are unknown."""
        request = self.request
        return {
            "id": api.identity_id(self.ctx.subscription_id, request["resource_group"], request["name"]),
            "name": request["name"],
            "resource_group": request["resource_group"],
            "principal_id": None,
            "client_id": None,
            "tenant_id": None,
        }
