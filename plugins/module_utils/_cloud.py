# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure clouds: where Entra ID, Resource Manager and Key Vault live in each.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

Cloud = namedtuple("Cloud", "name authority_host arm_endpoint arm_scope vault_suffix vault_scope")

CLOUDS = {
    "AzureCloud": Cloud(
        "AzureCloud",
        "login.microsoftonline.com",
        "https://management.azure.com",
        "https://management.azure.com/.default",
        "vault.azure.net",
        "https://vault.azure.net/.default",
    ),
    "AzureUSGovernment": Cloud(
        "AzureUSGovernment",
        "login.microsoftonline.us",
        "https://management.usgovcloudapi.net",
        "https://management.usgovcloudapi.net/.default",
        "vault.usgovcloudapi.net",
        "https://vault.usgovcloudapi.net/.default",
    ),
    "AzureChinaCloud": Cloud(
        "AzureChinaCloud",
        "login.chinacloudapi.cn",
        "https://management.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/.default",
        "vault.azure.cn",
        "https://vault.azure.cn/.default",
    ),
}
# The names azure-cli and msrestazure also use for the same clouds.
ALIASES = {
    "azurepubliccloud": "AzureCloud",
    "azureusgovernmentcloud": "AzureUSGovernment",
    "azurechina": "AzureChinaCloud",
}


def get_cloud(name):
    """The cloud for ``cloud_environment`` (names compare case-insensitively)."""
    wanted = (name or "AzureCloud").strip()
    for key, cloud in CLOUDS.items():
        if key.lower() == wanted.lower():
            return cloud
    if wanted.lower() in ALIASES:
        return CLOUDS[ALIASES[wanted.lower()]]
    raise CmkValidationError(
        "cloud_environment: '{}' is not a known Azure cloud; use one of {}".format(wanted, ", ".join(CLOUDS))
    )


def vault_url(cloud, vault_name):
    return f"https://{vault_name.lower()}.{cloud.vault_suffix}"
