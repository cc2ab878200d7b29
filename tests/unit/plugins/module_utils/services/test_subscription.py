"""_services/subscription.py: resource groups, and who the caller is, from its token (no call)."""

from __future__ import annotations

import pytest
from fakes import CALLER
from fakes import SUB
from fakes import TENANT
from fakes import context
from fakes import groups

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import subscription as api


def test_a_group_is_read_once_and_a_missing_one_names_the_option():
    ctx = context()
    reads = []

    def resource_group(name):
        reads.append(name)
        return groups("rg")(name)

    ctx.clients.resource_group = resource_group
    assert api.group_location(ctx, "rg") == api.group_location(ctx, "RG") == "westeurope"
    with pytest.raises(
        CmkValidationError, match=f"identity_resource_group: 'nope' does not exist in subscription {SUB}"
    ):
        api.group_location(ctx, "nope", "identity_resource_group")
    assert reads == ["rg", "nope"]


def test_the_callers_tenant_and_object_id_come_from_its_token():
    ctx = context()
    assert api.subscription_tenant(ctx) == TENANT and api.caller_object_id(ctx) == CALLER
