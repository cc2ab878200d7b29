# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authentication the way azure.azcollection does it, built on azure-identity credentials.

The options, their environment variables and the ``auth_source=auto`` order (module parameters ->
environment -> default profile of ~/.azure/credentials -> Azure CLI) are azure.azcollection's, so
AWX's "Microsoft Azure Resource Manager" credential works unchanged. ``resolve`` is pure and offline:
it decides where the credentials come from and checks them; ``_credential.build_credential`` makes the
azure-identity credential.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import configparser
import json
import os
import re

from ansible.module_utils.common.parameters import env_fallback

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkAuthError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

AUTH_SOURCES = ["auto", "cli", "credential_file", "env", "msi"]
# What Entra ID takes as a tenant in its URLs (azure-identity refuses anything else, less clearly).
TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")

AUTH_ARGSPEC = dict(
    auth_source=dict(
        type="str", default="auto", choices=AUTH_SOURCES, fallback=(env_fallback, ["ANSIBLE_AZURE_AUTH_SOURCE"])
    ),
    profile=dict(type="str"),
    subscription_id=dict(type="str"),
    client_id=dict(type="str"),
    secret=dict(type="str", no_log=True),
    tenant=dict(type="str"),
    ad_user=dict(type="str"),
    password=dict(type="str", no_log=True),
    x509_certificate_path=dict(type="path"),
    thumbprint=dict(type="str"),
    cloud_environment=dict(type="str", default="AzureCloud"),
    adfs_authority_url=dict(type="str"),
    cert_validation_mode=dict(type="str", choices=["ignore", "validate"]),
    disable_instance_discovery=dict(type="bool", default=False),
    api_profile=dict(type="str", default="latest"),
    token_cache=dict(type="bool", default=True, fallback=(env_fallback, ["AZURE_CMK_TOKEN_CACHE"])),
    token_cache_dir=dict(type="path"),
)

# Option -> environment variable, as azure.azcollection maps them.
ENV_MAPPING = dict(
    profile="AZURE_PROFILE",
    subscription_id="AZURE_SUBSCRIPTION_ID",
    client_id="AZURE_CLIENT_ID",
    secret="AZURE_SECRET",
    tenant="AZURE_TENANT",
    ad_user="AZURE_AD_USER",
    password="AZURE_PASSWORD",
    cloud_environment="AZURE_CLOUD_ENVIRONMENT",
    cert_validation_mode="AZURE_CERT_VALIDATION_MODE",
    adfs_authority_url="AZURE_ADFS_AUTHORITY_URL",
    x509_certificate_path="AZURE_X509_CERTIFICATE_PATH",
    thumbprint="AZURE_THUMBPRINT",
    disable_instance_discovery="AZURE_DISABLE_INSTANCE_DISCOVERY",
)
CREDENTIAL_FIELDS = [name for name in ENV_MAPPING if name != "profile"]


def credentials_file():
    return os.path.expanduser("~/.azure/credentials")


class AuthConfig:
    """Where the credentials came from (``source``), what kind they are, and their values."""

    def __init__(self, source, kind, fields):
        self.source = source
        self.kind = kind
        self.fields = fields

    def get(self, name):
        return self.fields.get(name)

    @property
    def subscription_id(self):
        return self.fields.get("subscription_id")


def _kind(fields, origin):
    if fields.get("client_id") and fields.get("secret"):
        kind = "service principal"
    elif fields.get("client_id") and fields.get("x509_certificate_path"):
        kind = "certificate"
    elif fields.get("ad_user") and fields.get("password"):
        return "user"
    else:
        raise CmkValidationError(
            f"auth: the credentials from {origin} are incomplete: give client_id, secret and tenant (service "
            "principal), client_id, x509_certificate_path and tenant (certificate), or ad_user and "
            "password (user)"
        )
    if not fields.get("tenant"):
        raise CmkValidationError(f"tenant: required with {kind} authentication (from {origin})")
    if not TENANT.match(fields["tenant"]):
        raise CmkValidationError(
            "tenant: '{}' (from {}) is not a tenant id or domain (a GUID, or letters, digits, dots and "
            "hyphens such as contoso.onmicrosoft.com)".format(fields["tenant"], origin)
        )
    return kind


def _from_params(params):
    return AuthConfig("module parameters", None, {k: params.get(k) for k in CREDENTIAL_FIELDS})


def _from_env(environ):
    return AuthConfig(
        "environment variables", None, {k: environ.get(v) for k, v in ENV_MAPPING.items() if k != "profile"}
    )


def _from_profile(name, path):
    parser = configparser.ConfigParser()
    parser.read(path)
    if not parser.has_section(name):
        raise CmkValidationError(f"profile: no section [{name}] in the credentials file {path}")
    section = dict(parser.items(name))
    return AuthConfig(f"profile '{name}' of {path}", None, {k: section.get(k) for k in CREDENTIAL_FIELDS})


def _with_kind(config):
    config.kind = _kind(config.fields, config.source)
    return config


def _auto(params, environ, path):
    if params.get("profile"):
        return _with_kind(_from_profile(params["profile"], path))
    if params.get("client_id") or params.get("ad_user"):
        return _with_kind(_from_params(params))
    if environ.get("AZURE_PROFILE"):
        return _with_kind(_from_profile(environ["AZURE_PROFILE"], path))
    if environ.get("AZURE_CLIENT_ID") or environ.get("AZURE_AD_USER"):
        return _with_kind(_from_env(environ))
    if os.path.exists(path):
        parser = configparser.ConfigParser()
        parser.read(path)
        if parser.has_section("default"):
            return _with_kind(_from_profile("default", path))
    tried = (
        "the Azure CLI, after finding no credentials in the module options (client_id, ad_user, profile), the "
        f"environment (AZURE_CLIENT_ID, AZURE_AD_USER, AZURE_PROFILE) or a [default] profile in {path}"
    )
    return _cli(params, environ, tried)


def _cli(params, environ, source="the Azure CLI"):
    return AuthConfig(source, "cli", {"subscription_id": environ.get("AZURE_SUBSCRIPTION_ID")})


def _msi(params, environ):
    fields = {
        "client_id": params.get("client_id") or environ.get("AZURE_CLIENT_ID"),
        "subscription_id": environ.get("AZURE_SUBSCRIPTION_ID"),
    }
    return AuthConfig("the managed identity of this host", "msi", fields)


def resolve(params, environ=None, path=None):
    """Decide, offline, which credentials a module run uses; fail naming the option when they are wrong."""
    environ = os.environ if environ is None else environ
    path = path or credentials_file()
    if (params.get("cert_validation_mode") or environ.get("AZURE_CERT_VALIDATION_MODE")) == "ignore":
        raise CmkValidationError(
            "cert_validation_mode: 'ignore' is not supported; trust your proxy's CA instead (REQUESTS_CA_BUNDLE)"
        )
    if params.get("api_profile", "latest") != "latest":
        raise CmkValidationError("api_profile: only 'latest' is supported")
    source = params.get("auth_source") or "auto"
    if source == "auto":
        config = _auto(params, environ, path)
    elif source == "env":
        name = environ.get("AZURE_PROFILE")
        config = _with_kind(_from_profile(name, path) if name else _from_env(environ))
    elif source == "credential_file":
        config = _with_kind(_from_profile(params.get("profile") or environ.get("AZURE_PROFILE") or "default", path))
    elif source == "cli":
        config = _cli(params, environ)
    else:
        config = _msi(params, environ)
    # An explicit subscription_id always wins; the environment fills it in for any source.
    subscription = params.get("subscription_id") or config.subscription_id or environ.get("AZURE_SUBSCRIPTION_ID")
    config.fields["subscription_id"] = subscription
    # The cloud: an explicit option (its default, AzureCloud, cannot be told from "not given"), else the
    # source's own (a profile's, AZURE_CLOUD_ENVIRONMENT), else the public cloud.
    explicit = params.get("cloud_environment")
    source_cloud = config.fields.get("cloud_environment") or environ.get(ENV_MAPPING["cloud_environment"])
    config.fields["cloud_environment"] = (
        explicit if explicit not in (None, "AzureCloud") else source_cloud or "AzureCloud"
    )
    for name in ("adfs_authority_url", "disable_instance_discovery"):
        config.fields[name] = params.get(name) or config.fields.get(name) or environ.get(ENV_MAPPING[name])
    return config


def cli_default_subscription(run_command):
    """The subscription the Azure CLI is set to (``az account show``), as azure.azcollection falls back to.
    ``run_command`` is ``AnsibleModule.run_command``: modules run no subprocess of their own."""
    try:
        rc, out, err = run_command(["az", "account", "show", "--output", "json"], handle_exceptions=False)
    except OSError as exc:
        raise CmkAuthError(f"auth_source=cli: the Azure CLI (az) could not be run: {exc}") from exc
    if rc != 0:
        raise CmkAuthError(f"auth_source=cli: 'az account show' failed; run 'az login' first: {err.strip()}")
    return json.loads(out)["id"]
