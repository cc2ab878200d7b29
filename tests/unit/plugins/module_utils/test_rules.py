"""The CMK rules and the offline input checks, as decision tables."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils import _rules
from ansible_collections.azure_cmk.batch.plugins.module_utils import _validate
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError

PUBLIC = get_cloud("AzureCloud")
SUBJECT = _rules.key_subject("kv-batch", "cmk", "0123")
NOW = datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp()


def at(day):
    return datetime(2027, 1, day, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("kty", "size", "ops", "codes"),
    [
        ("RSA", 2048, ["wrapKey", "unwrapKey"], []),
        ("RSA-HSM", 4096, ["wrapkey", "UNWRAPKEY", "encrypt"], []),
        ("EC", 2048, ["wrapKey", "unwrapKey"], ["key_type_unsupported"]),
        ("RSA", 1024, ["wrapKey", "unwrapKey"], ["key_size_unsupported"]),
        ("RSA", 3072, ["wrapKey"], ["key_ops_missing"]),
        ("oct", 512, [], ["key_type_unsupported", "key_size_unsupported", "key_ops_missing"]),
        (None, None, None, []),
    ],
)
def test_key_spec(kty, size, ops, codes):
    found = _rules.key_spec_findings(kty, size, ops, SUBJECT)
    assert [f["code"] for f in found] == codes
    assert all(f["severity"] == "error" and f["subject"] == SUBJECT for f in found)
    assert all("key 'cmk' (version 0123) in vault 'kv-batch'" in f["message"] for f in found)


@pytest.mark.parametrize(
    ("enabled", "not_before", "expires", "days", "codes"),
    [
        (True, None, None, None, []),
        (None, at(1), at(2), 30, ["key_expiring"]),
        (False, None, None, None, ["key_disabled"]),
        (True, None, at(1), 30, ["key_expired"]),
        (True, at(2), None, None, ["key_not_yet_active"]),
        (True, None, at(20), 10, []),
        (True, None, at(20), None, []),
    ],
)
def test_key_state(enabled, not_before, expires, days, codes):
    found = _rules.key_state_findings(enabled, not_before, expires, SUBJECT, now=NOW, expiry_days=days)
    assert [f["code"] for f in found] == codes
    severities = {"key_expiring": "warning"}
    assert [f["severity"] for f in found] == [severities.get(c, "error") for c in codes]


def test_expired_names_the_moment_and_the_version():
    (found,) = _rules.key_state_findings(True, None, at(1), SUBJECT, now=NOW)
    assert found["message"] == "key 'cmk' (version 0123) in vault 'kv-batch' expired at 2027-01-01T00:00:00Z"
    assert found["field"] == "expires"


@pytest.mark.parametrize(
    ("soft", "purge", "tenant", "codes"),
    [
        (True, True, "T1", []),
        (True, False, "t1", ["vault_purge_protection_disabled"]),
        (False, True, "T1", ["vault_soft_delete_disabled"]),
        (True, True, "T2", ["vault_tenant_mismatch"]),
    ],
)
def test_vault(soft, purge, tenant, codes):
    vault = {"name": "kv", "tenant_id": tenant, "enable_soft_delete": soft, "enable_purge_protection": purge}
    assert [f["code"] for f in _rules.vault_findings(vault, "T1")] == codes


def test_grants():
    assert _rules.missing_permissions(["Get", "WRAPKEY"]) == ["unwrapKey"]
    assert _rules.missing_permissions(["all"]) == []
    assert _rules.missing_permissions(None) == ["get", "wrapKey", "unwrapKey"]
    assert _rules.grant_findings([], "identity 'id'", "kv", rbac=False) == []
    (found,) = _rules.grant_findings(["unwrapKey"], "user-assigned identity 'id-batch'", "kv", rbac=True)
    assert found["code"] == "identity_lacks_access" and found["subject"] == "user-assigned identity 'id-batch'"
    assert "Key Vault Crypto Service Encryption User" in found["message"]


@pytest.mark.parametrize(
    ("pinned", "newest", "rotates", "codes"),
    [
        (None, "b", True, []),
        ("a", "a", False, []),
        ("a", "b", False, ["pinned_old_version"]),
        ("a", "a", True, ["pinned_version_with_rotation_policy"]),
        ("a", "b", True, ["pinned_old_version", "pinned_version_with_rotation_policy"]),
    ],
)
def test_pinned_versions(pinned, newest, rotates, codes):
    found = _rules.rotation_findings(pinned, newest, rotates, SUBJECT, "https://kv.vault.azure.net/keys/cmk")
    assert [f["code"] for f in found] == codes
    assert all(f["severity"] == "warning" for f in found)


def test_counts_by_severity_list_every_severity():
    findings = [_rules.finding("a", "error", "s", "m"), _rules.finding("b", "warning", "s", "m")]
    assert _rules.by_severity(findings) == {"error": 1, "warning": 1, "unknown": 0}
    assert _rules.errors(findings) == findings[:1]


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
    assert tuple(_validate.parse_key_identifier(url, PUBLIC)) == expected


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
        _validate.parse_key_identifier(url, PUBLIC, "key_identifier")
    assert "key_identifier" in caught.value.message


@pytest.mark.parametrize(
    ("check", "value", "ok"),
    [
        (_validate.batch_account_name_problems, "batchcmk01", True),
        (_validate.batch_account_name_problems, "Batch01", False),
        (_validate.batch_account_name_problems, "ab", False),
        (_validate.vault_name_problems, "kv-batch-01", True),
        (_validate.vault_name_problems, "1kv", False),
        (_validate.vault_name_problems, "kv--x", False),
        (_validate.vault_name_problems, "kv-", False),
        (_validate.key_name_problems, "batch-cmk", True),
        (_validate.key_name_problems, "batch_cmk", False),
        (_validate.resource_group_problems, "rg-batch.prod_(1)", True),
        (_validate.resource_group_problems, "", False),
        (_validate.resource_group_problems, "rg.", False),
    ],
)
def test_names(check, value, ok):
    assert (check(value) == []) is ok


def test_times_parse_as_utc_and_print_back():
    assert _validate.iso(_validate.parse_time("2027-01-31T12:00:00", "expires")) == "2027-01-31T12:00:00Z"
    assert _validate.iso(_validate.parse_time("2027-01-31T13:00:00+01:00", "expires")) == "2027-01-31T12:00:00Z"
    with pytest.raises(CmkValidationError, match="expires: 'soon' is not an ISO 8601 date-time"):
        _validate.parse_time("soon", "expires")


def test_require_joins_every_problem():
    with pytest.raises(CmkValidationError) as caught:
        _validate.require(["a: one", "", "b: two"])
    assert caught.value.message == "a: one; b: two"
    _validate.require([])
