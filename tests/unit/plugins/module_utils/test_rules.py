"""The domain rules, as decision tables."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils import _rules
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

PUBLIC = get_cloud("AzureCloud")


@pytest.mark.parametrize(
    ("kty", "size", "ops", "fields"),
    [
        ("RSA", 2048, ["wrapKey", "unwrapKey"], []),
        ("RSA-HSM", 4096, ["wrapkey", "UNWRAPKEY", "encrypt"], []),
        ("EC", 2048, ["wrapKey", "unwrapKey"], ["key_type"]),
        ("RSA", 1024, ["wrapKey", "unwrapKey"], ["key_size"]),
        ("RSA", 3072, ["wrapKey"], ["key_ops"]),
        ("oct", 512, [], ["key_type", "key_size", "key_ops"]),
        (None, None, None, []),
    ],
)
def test_key_spec(kty, size, ops, fields):
    problems = _rules.key_spec_problems(kty, size, ops)
    assert [p.split(":")[0] for p in problems] == fields


@pytest.mark.parametrize(
    ("soft", "purge", "count"),
    [(True, True, 0), (True, False, 1), (False, True, 1), (False, False, 2)],
)
def test_vault_protections(soft, purge, count):
    assert len(_rules.vault_problems("kv", soft, purge)) == count


def test_tenant_and_permissions():
    assert _rules.tenant_problems("kv", "T1", "t1") == []
    assert "must be in the account's tenant" in _rules.tenant_problems("kv", "T1", "T2")[0]
    assert _rules.missing_permissions(["Get", "WRAPKEY"]) == ["unwrapKey"]
    assert _rules.missing_permissions(["all"]) == []
    assert _rules.missing_permissions(None) == ["get", "wrapKey", "unwrapKey"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://kv-one.vault.azure.net/keys/cmk", ("https://kv-one.vault.azure.net", "kv-one", "cmk", None)),
        (
            "https://KV-One.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef",
            ("https://kv-one.vault.azure.net", "kv-one", "cmk", "0123456789abcdef0123456789abcdef"),
        ),
        ("https://kv-one.vault.azure.net:443/keys/cmk/", ("https://kv-one.vault.azure.net", "kv-one", "cmk", None)),
    ],
)
def test_key_identifier_parses(url, expected):
    assert tuple(_rules.parse_key_identifier(url, PUBLIC)) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://kv-one.vault.azure.net/keys/cmk",
        "https://kv-one.vault.azure.net/secrets/cmk",
        "https://kv-one.vault.usgovcloudapi.net/keys/cmk",
        "https://kv-one.vault.azure.net/keys/cmk/notaversion",
        "https://kv--one.vault.azure.net/keys/cmk",
        "https://kv-one.vault.azure.net/keys/c_m_k",
        "",
    ],
)
def test_key_identifier_refused_naming_the_option(url):
    with pytest.raises(CmkValidationError) as caught:
        _rules.parse_key_identifier(url, PUBLIC, "key_identifier")
    assert "key_identifier" in caught.value.message


@pytest.mark.parametrize(
    ("check", "value", "ok"),
    [
        (_rules.batch_account_name_problems, "batchcmk01", True),
        (_rules.batch_account_name_problems, "Batch01", False),
        (_rules.batch_account_name_problems, "ab", False),
        (_rules.vault_name_problems, "kv-batch-01", True),
        (_rules.vault_name_problems, "1kv", False),
        (_rules.vault_name_problems, "kv--x", False),
        (_rules.vault_name_problems, "kv-", False),
        (_rules.key_name_problems, "batch-cmk", True),
        (_rules.key_name_problems, "batch_cmk", False),
    ],
)
def test_names(check, value, ok):
    assert (check(value) == []) is ok


def test_key_usability():
    assert _rules.key_usable_problems("k", True, None, None, now=100) == []
    assert _rules.key_usable_problems("k", False, 200, 50, now=100) == [
        "key 'k' is disabled",
        "key 'k' is not active yet (not_before is in the future)",
        "key 'k' has expired",
    ]


def test_require_joins_every_problem():
    with pytest.raises(CmkValidationError) as caught:
        _rules.require(["a: one", "", "b: two"])
    assert caught.value.message == "a: one; b: two"
    _rules.require([])
