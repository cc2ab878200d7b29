"""Entra ID: discovery, signed tokens with the caller's claims, and the real AADSTS errors."""

from __future__ import annotations

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential


def _token_request(info, **form):
    data = {
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "grant_type": "client_credentials",
        "scope": "https://management.azure.com/.default",
        **form,
    }
    return requests.post(
        f"https://login.microsoftonline.com/{info['tenant_id']}/oauth2/v2.0/token", data=data, timeout=10
    )


def test_token_is_signed_and_names_the_caller(azure_env, emulator):
    token = ClientSecretCredential(
        azure_env["tenant_id"], azure_env["client_id"], azure_env["client_secret"]
    ).get_token("https://vault.azure.net/.default")
    config = requests.get(
        f"https://login.microsoftonline.com/{azure_env['tenant_id']}/v2.0/.well-known/openid-configuration", timeout=10
    ).json()
    jwks = requests.get(config["jwks_uri"], timeout=10).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(token.token, key.key, algorithms=["RS256"], audience="https://vault.azure.net")
    assert claims["tid"] == azure_env["tenant_id"]
    assert claims["appid"] == azure_env["client_id"]
    assert claims["oid"] == "9c4b2a1d-6e5f-4a3b-8c7d-2e1f0a9b8c6d"
    assert token.expires_on > claims["iat"]


def test_wrong_secret_is_aadsts7000215(azure_env, emulator):
    response = _token_request(azure_env, client_secret="not-the-secret")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert "not-the-secret" not in response.text


def test_unknown_client_is_aadsts700016(azure_env, emulator):
    response = _token_request(azure_env, client_id="00000000-1111-2222-3333-444444444444")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [700016]


def test_unknown_tenant_is_aadsts90002(azure_env, emulator):
    response = requests.get(
        "https://login.microsoftonline.com/no-such-tenant/v2.0/.well-known/openid-configuration", timeout=10
    )
    assert response.json()["error_codes"] == [90002]


def test_unknown_resource_is_aadsts500011(azure_env, emulator):
    response = _token_request(azure_env, scope="https://graph.example/.default")
    assert response.json()["error_codes"] == [500011]


def test_sdk_surfaces_the_aadsts_code(azure_env, emulator):
    credential = ClientSecretCredential(azure_env["tenant_id"], azure_env["client_id"], "wrong")
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token("https://management.azure.com/.default")
    assert "AADSTS7000215" in str(caught.value)


def test_management_refuses_a_vault_token(azure_env, emulator):
    token = ClientSecretCredential(
        azure_env["tenant_id"], azure_env["client_id"], azure_env["client_secret"]
    ).get_token("https://vault.azure.net/.default")
    response = requests.get(
        f"https://management.azure.com/subscriptions/{azure_env['subscription_id']}/resourcegroups?api-version=2025-03-01",
        headers={"Authorization": f"Bearer {token.token}"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_management_refuses_a_token_from_another_emulator_key(azure_env, emulator):
    forged = jwt.encode(
        {"aud": "https://management.azure.com", "tid": azure_env["tenant_id"], "oid": "x"}, "k" * 32, algorithm="HS256"
    )
    response = requests.get(
        f"https://management.azure.com/subscriptions/{azure_env['subscription_id']}/resourcegroups?api-version=2025-03-01",
        headers={"Authorization": f"Bearer {forged}"},
        timeout=10,
    )
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
