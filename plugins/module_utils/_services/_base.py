# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every resource service shares: parameters, clients, Azure calls with error translation.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils import _resource_id
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import translate


class Service:
    RESOURCE = "resource"
    MANAGED = ()

    def __init__(self, module):
        self.module = module
        self.params = module.params

    @property
    def clients(self):
        return self.module.clients

    def call(self, action, resource, func, *args, **kwargs):
        """``func(*args, **kwargs)``; an Azure failure becomes one CmkError naming action and resource."""
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            raise translate(exc, action, resource) from exc

    def read(self, action, resource, func, *args, **kwargs):
        """Like call(), but a 404 means None (the resource does not exist)."""
        try:
            return self.call(action, resource, func, *args, **kwargs)
        except CmkNotFound:
            return None

    def not_yet(self, option, message, problems=None, check_message=None):
        """Something an earlier task of the same run creates: in check mode, warn and go on (None);
        otherwise fail naming the option (or add the problem to ``problems``)."""
        if self.module.check_mode:
            self.module.warn((check_message or message) + " (check mode: assuming an earlier task creates it)")
            return None
        text = f"{option}: {message}"
        if problems is None:
            raise CmkValidationError(text)
        problems.append(text)
        return None

    def validate(self):
        return []

    def check(self, current, desired):
        return []

    def header(self, resource):
        return (resource or {}).get("id") or self.params.get("name")

    def predict(self, current, desired):
        predicted = dict(current or {})
        predicted.update(desired)
        return predicted


def tracked_fields(body):
    """What every tracked Azure resource returns the same way: id, name, resource group, location, tags."""
    return {
        "id": body["id"],
        "name": body["name"],
        "resource_group": _resource_id.parse(body["id"])["resource_group"],
        "location": body.get("location"),
        "tags": body.get("tags") or {},
    }


def merge_tags(current, wanted, purge):
    """The tags to have: ``wanted`` added to ``current`` (kept unless ``purge``); None = leave alone."""
    current = dict(current or {})
    if wanted is None:
        return current
    if purge:
        return dict(wanted)
    current.update(wanted)
    return current
