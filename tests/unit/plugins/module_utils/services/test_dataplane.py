"""_services/dataplane.py: a vault's tenant, as its Key Vault challenge names it."""

from __future__ import annotations

import pytest
from fakes import context

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import dataplane

T = "a3d9b1c7-8e2f-4b6a-9d5c-0f1e2a3b4c5d"


@pytest.mark.parametrize(
    ("header", "tenant"),
    [
        (f'Bearer authorization="https://login.windows.net/{T}", resource="https://vault.azure.net"', T),
        (f'Bearer authorization_uri="https://login.microsoftonline.com/{T}", resource="https://vault.azure.net"', T),
        (f'Bearer Authorization="https://login.microsoftonline.us/{T}/", scope="x"', T),
        ("Bearer realm=x", None),
        (None, None),
    ],
)
def test_the_challenge_names_the_tenant(header, tenant):
    ctx = context()
    asked = []
    ctx.clients.vault_challenge = lambda url: asked.append(url) or header
    assert dataplane.vault_tenant(ctx, "https://kv.vault.azure.net") == tenant
    assert dataplane.vault_tenant(ctx, "https://KV.vault.azure.net") == tenant and len(asked) == 1  # once per vault


def test_a_name_that_does_not_resolve_is_unreachable():
    from azure.core.exceptions import ServiceRequestError

    ctx = context()

    def unreachable(url):
        raise ServiceRequestError("Unable to connect to proxy")

    ctx.clients.vault_challenge = unreachable
    with pytest.raises(CmkUnreachable):
        dataplane.vault_tenant(ctx, "https://kv.vault.azure.net")
