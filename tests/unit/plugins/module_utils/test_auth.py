"""Authentication: azure.azcollection's sources and order, resolved offline; credentials built lazily."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import AUTH_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import resolve
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import build_credential
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

SP = {"client_id": "param-client", "secret": "param-secret", "tenant": "param-tenant"}
ENV = {
    "AZURE_CLIENT_ID": "env-client",
    "AZURE_SECRET": "env-secret",
    "AZURE_TENANT": "env-tenant",
    "AZURE_SUBSCRIPTION_ID": "env-sub",
}


def params(**given):
    """Module parameters as AnsibleModule fills them: every option present, defaults applied."""
    values = {name: spec.get("default") for name, spec in AUTH_ARGSPEC.items()}
    values.update(given)
    return values


@pytest.fixture
def credentials_file(tmp_path):
    path = tmp_path / "credentials"
    path.write_text(
        "[default]\nsubscription_id = file-sub\nclient_id = file-client\nsecret = file-secret\ntenant = file-tenant\n\n"
        "[other]\nsubscription_id = other-sub\nad_user = someone@contoso.com\npassword = pw\ncloud_environment = AzureUSGovernment\n"
    )
    return str(path)


@pytest.mark.parametrize(
    ("given", "environ", "source", "client"),
    [
        (SP, ENV, "module parameters", "param-client"),  # parameters first
        ({}, ENV, "environment variables", "env-client"),  # then the environment
        ({"profile": "other"}, ENV, "profile 'other'", None),  # a profile parameter beats everything
        ({}, dict(ENV, AZURE_PROFILE="other"), "profile 'other'", None),  # AZURE_PROFILE names a profile
        ({}, {}, "profile 'default'", "file-client"),  # then the file's [default]
    ],
)
def test_auto_order(given, environ, source, client, credentials_file):
    config = resolve(params(**given), environ, credentials_file)
    assert config.source.startswith(source)
    assert config.get("client_id") == client


def test_auto_falls_back_to_the_cli(tmp_path):
    config = resolve(params(), {}, str(tmp_path / "none"))
    assert config.kind == "cli"
    # A failure later says where it looked first.
    assert config.source.startswith("the Azure CLI, after finding no credentials in the module options")
    assert "AZURE_CLIENT_ID" in config.source and str(tmp_path / "none") in config.source


@pytest.mark.parametrize(
    ("source", "given", "kind", "client"),
    [
        ("env", SP, "service principal", "env-client"),  # env ignores parameters
        ("credential_file", {}, "service principal", "file-client"),
        ("credential_file", {"profile": "other"}, "user", None),
        ("msi", {}, "msi", "env-client"),  # a user-assigned identity's client id from AZURE_CLIENT_ID
        ("msi", {"client_id": "uai-client"}, "msi", "uai-client"),
        ("cli", SP, "cli", None),
    ],
)
def test_explicit_sources(source, given, kind, client, credentials_file):
    config = resolve(params(auth_source=source, **given), ENV, credentials_file)
    assert config.kind == kind
    assert config.get("client_id") == client


def test_subscription_parameter_wins(credentials_file):
    assert resolve(params(subscription_id="param-sub"), ENV, credentials_file).subscription_id == "param-sub"
    assert resolve(params(), ENV, credentials_file).subscription_id == "env-sub"
    assert resolve(params(), {}, credentials_file).subscription_id == "file-sub"
    assert resolve(params(auth_source="cli"), ENV, credentials_file).subscription_id == "env-sub"


def test_cloud_from_profile_environment_or_parameter(credentials_file):
    assert resolve(params(profile="other"), {}, credentials_file).get("cloud_environment") == "AzureUSGovernment"
    env = dict(ENV, AZURE_CLOUD_ENVIRONMENT="AzureChinaCloud")
    assert resolve(params(), env, credentials_file).get("cloud_environment") == "AzureChinaCloud"
    assert (
        resolve(params(cloud_environment="AzureUSGovernment"), env, credentials_file).get("cloud_environment")
        == "AzureUSGovernment"
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"client_id": "c"}, "auth: the credentials from module parameters are incomplete"),
        ({"client_id": "c", "secret": "s"}, "tenant: required with service principal authentication"),
        ({"ad_user": "u"}, "are incomplete"),
        ({"profile": "nope"}, "profile: no section [nope]"),
        ({"cert_validation_mode": "ignore"}, "cert_validation_mode: 'ignore' is not supported"),
        ({"api_profile": "2019-03-01-hybrid"}, "api_profile: only 'latest'"),
    ],
)
def test_bad_credentials_are_refused_naming_the_option(given, message, credentials_file):
    with pytest.raises(CmkValidationError) as caught:
        resolve(params(**given), {}, credentials_file)
    assert message in caught.value.message


def test_messages_never_carry_the_secret(credentials_file):
    with pytest.raises(CmkValidationError) as caught:
        resolve(params(client_id="c", secret="SuperSecret!"), {}, credentials_file)
    assert "SuperSecret!" not in caught.value.message


@pytest.mark.parametrize(
    ("config_params", "cls"),
    [
        ({"auth_source": "auto", **SP}, "ClientSecretCredential"),
        (
            {"auth_source": "auto", "client_id": "c", "x509_certificate_path": "CERT", "tenant": "t"},
            "CertificateCredential",
        ),
        ({"auth_source": "auto", "ad_user": "u@contoso.com", "password": "p"}, "UsernamePasswordCredential"),
        ({"auth_source": "msi"}, "ManagedIdentityCredential"),
        ({"auth_source": "cli"}, "AzureCliCredential"),
    ],
)
def test_build_credential_picks_the_azure_identity_class(config_params, cls, credentials_file, tmp_path):
    if config_params.get("x509_certificate_path") == "CERT":  # a real certificate, which the credential loads
        import trustme

        pem = tmp_path / "client.pem"
        leaf = trustme.CA().issue_cert("client.example", key_type=trustme.KeyType.RSA)  # RS256 needs an RSA key
        leaf.private_key_and_cert_chain_pem.write_to_path(str(pem))
        config_params = dict(config_params, x509_certificate_path=str(pem))
    config = resolve(params(**config_params), {}, credentials_file)
    assert type(build_credential(config, get_cloud("AzureCloud"))).__name__ == cls
