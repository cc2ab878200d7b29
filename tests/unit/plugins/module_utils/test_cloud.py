"""Cloud selection: Entra ID authority, Resource Manager endpoint and Key Vault suffix per cloud."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import vault_url
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError


@pytest.mark.parametrize(
    ("name", "authority", "arm", "vault"),
    [
        ("AzureCloud", "login.microsoftonline.com", "https://management.azure.com", "vault.azure.net"),
        ("azurecloud", "login.microsoftonline.com", "https://management.azure.com", "vault.azure.net"),
        ("AzurePublicCloud", "login.microsoftonline.com", "https://management.azure.com", "vault.azure.net"),
        (
            "AzureUSGovernment",
            "login.microsoftonline.us",
            "https://management.usgovcloudapi.net",
            "vault.usgovcloudapi.net",
        ),
        ("AzureChinaCloud", "login.chinacloudapi.cn", "https://management.chinacloudapi.cn", "vault.azure.cn"),
        (None, "login.microsoftonline.com", "https://management.azure.com", "vault.azure.net"),
    ],
)
def test_endpoints(name, authority, arm, vault):
    cloud = get_cloud(name)
    assert (cloud.authority_host, cloud.arm_endpoint, cloud.vault_suffix) == (authority, arm, vault)
    assert cloud.arm_scope == arm + "/.default"
    assert vault_url(cloud, "KV-One") == f"https://kv-one.{vault}"


def test_unknown_cloud_names_the_option():
    with pytest.raises(CmkValidationError) as caught:
        get_cloud("AzureGermanCloud")
    assert caught.value.message.startswith("cloud_environment: 'AzureGermanCloud' is not a known Azure cloud")
