# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a resolved ``_auth.AuthConfig`` becomes: the azure-identity credential (``build_credential``), the
authority it signs in at, and what tells it from another credential for the run's token cache.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import hashlib
import os
from urllib.parse import urlsplit

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkMissingLibrary

# The Azure CLI's public client id: azure.azcollection signs users in with it when no client_id is given.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def _truthy(value):
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


def build_credential(config, cloud, **transport):
    """The azure-identity credential for ``config`` (imports azure-identity only now). ``transport``
    (``transport``, ``retry_policy_class``: the run's session and retry policy) goes to the credentials that
    talk to Entra ID themselves (secret, certificate, user), so sign-ins get the retries of every other call."""
    try:
        from azure import identity
    except ImportError as exc:
        raise CmkMissingLibrary("azure-identity", exc) from exc
    common = {"authority": config.get("adfs_authority_url") or cloud.authority_host, **transport}
    if _truthy(config.get("disable_instance_discovery")):
        common["disable_instance_discovery"] = True
    if config.kind == "service principal":
        return identity.ClientSecretCredential(
            config.get("tenant"), config.get("client_id"), config.get("secret"), **common
        )
    if config.kind == "certificate":
        return identity.CertificateCredential(
            config.get("tenant"),
            config.get("client_id"),
            certificate_path=config.get("x509_certificate_path"),
            **common,
        )
    if config.kind == "user":
        return identity.UsernamePasswordCredential(
            config.get("client_id") or AZURE_CLI_CLIENT_ID,
            config.get("ad_user"),
            config.get("password"),
            tenant_id=config.get("tenant") or "organizations",
            **common,
        )
    if config.kind == "msi":  # the host's metadata endpoint has its own retry rules in azure-identity
        client_id = config.get("client_id")
        return (
            identity.ManagedIdentityCredential(client_id=client_id)
            if client_id
            else identity.ManagedIdentityCredential()
        )
    return identity.AzureCliCredential(tenant_id=config.get("tenant") or "")


def authority_host(config):
    """The host of an authority other than the cloud's (ADFS), or None."""
    url = config.get("adfs_authority_url")
    if not url:
        return None
    return urlsplit(url if "//" in url else "https://" + url).hostname


def credential_identity(config, cloud, environ=None):
    """What tells one credential from another, for the token cache: everything that decides which tokens it
    gets, its secret (or the certificate file's content) included. The cache only ever stores a salted,
    stretched digest of it (``_token_cache.credential_digest``)."""
    environ = os.environ if environ is None else environ
    parts = {
        "kind": config.kind,
        "cloud": cloud.name,
        "authority": config.get("adfs_authority_url") or cloud.authority_host,
        "tenant": config.get("tenant"),
        "client_id": config.get("client_id"),
    }
    if config.kind == "service principal":
        parts["secret"] = config.get("secret")
    elif config.kind == "certificate":
        try:
            with open(config.get("x509_certificate_path"), "rb") as handle:
                parts["certificate"] = hashlib.sha256(handle.read()).hexdigest()
        except (OSError, TypeError):
            return None  # azure-identity will say what is wrong with it; nothing is cached meanwhile
    elif config.kind == "user":
        parts.update(user=config.get("ad_user"), password=config.get("password"))
    elif config.kind == "msi":
        parts["endpoint"] = environ.get("IDENTITY_ENDPOINT") or environ.get("MSI_ENDPOINT")
    else:  # the Azure CLI: whichever account its configuration directory is signed in with
        parts["config_dir"] = environ.get("AZURE_CONFIG_DIR") or os.path.expanduser("~/.azure")
    return parts
