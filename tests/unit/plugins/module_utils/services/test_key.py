"""_services/key.py: the key as modules return it, and its reads (made once per run), on a fake client."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest
from fakes import Namespace
from fakes import Operations
from fakes import context
from fakes import not_found

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._services import key as api

URL = "https://kv.vault.azure.net"


def sdk_key(version="v1", size=3072, ops=("wrapKey", "unwrapKey"), enabled=True, kty="RSA", created=1):
    props = Namespace(
        vault_url=URL + "/",
        version=version,
        enabled=enabled,
        not_before=None,
        expires_on=datetime(2030, 1, 1, tzinfo=timezone.utc),
        tags=None,
        recovery_level="Recoverable+Purgeable",
        created_on=datetime.fromtimestamp(created, timezone.utc),
        updated_on=None,
    )
    material = Namespace(n=b"\x01" * (size // 8)) if size else Namespace()
    return Namespace(
        id=f"{URL}/keys/cmk/{version}",
        name="cmk",
        properties=props,
        key_type=kty,
        key=material,
        key_operations=list(ops),
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            sdk_key(),
            {"key_size": 3072, "key_ops": ["unwrapKey", "wrapKey"], "enabled": True, "expires": "2030-01-01T00:00:00Z"},
        ),
        (sdk_key(size=0, kty="EC"), {"key_size": None, "key_type": "EC"}),
        (sdk_key(ops=("WRAPKEY", "encrypt")), {"key_ops": ["encrypt", "wrapKey"]}),
        (sdk_key(enabled=False), {"enabled": False, "tags": {}, "deleted": False}),
    ],
)
def test_normalize(key, expected):
    found = api.normalize(key, {"expires_in": "P1Y"})
    assert {k: found[k] for k in expected} == expected
    assert found["versionless_id"] == URL + "/keys/cmk" and found["rotation_policy"] == {"expires_in": "P1Y"}


@pytest.mark.parametrize(("given", "spelled"), [(["wrapkey", "UNWRAPKEY"], ["unwrapKey", "wrapKey"]), ([], [])])
def test_spelled_ops(given, spelled):
    assert api.spelled_ops(given) == spelled


def test_the_read_key_names_version_without_case():
    assert api.key_read(URL + "/", "CMK", "ABC") == api.key_read(URL, "cmk", "abc")
    assert api.key_read(URL, "cmk") == ("key", URL, "cmk", None)


def _ctx(**answers):
    client = Operations(**answers)
    return context(keys=lambda url: client), client


def test_a_key_is_read_once_per_run_and_a_404_is_none():
    ctx, client = _ctx(get_key=lambda name, version, **kw: sdk_key() if name == "cmk" else not_found())
    assert api.get_key(ctx, URL, "cmk")["version"] == "v1"
    assert api.get_key(ctx, URL, "cmk")["version"] == "v1"
    assert api.get_key(ctx, URL, "gone") is None
    assert [c[1][0] for c in client.calls] == ["cmk", "gone"]


def test_a_policy_the_caller_may_not_read_is_asked_once():
    from azure.core.exceptions import HttpResponseError

    ctx, client = _ctx(get_key_rotation_policy=lambda name: HttpResponseError(message="Forbidden"))
    for _attempt in range(2):
        with pytest.raises(CmkError, match="Forbidden"):
            api.get_rotation_policy(ctx, URL, "cmk")
        assert api.get_rotation_policy_or_none(ctx, URL, "cmk") is None
    assert len(client.calls) == 1


def test_a_key_without_a_policy_has_none():
    ctx, _client = _ctx(get_key_rotation_policy=lambda name: not_found())
    assert api.get_rotation_policy(ctx, URL, "cmk") is None


def test_a_deleted_key_the_caller_may_not_read_is_none():
    from azure.core.exceptions import HttpResponseError

    forbidden = HttpResponseError(message="Forbidden")
    forbidden.status_code = 403
    ctx, _client = _ctx(get_deleted_key=lambda name: forbidden)
    assert api.get_deleted_key(ctx, URL, "cmk") is None
    deleted_ctx, _client = _ctx(get_deleted_key=lambda name: sdk_key())
    assert api.get_deleted_key(deleted_ctx, URL, "cmk")["deleted"] is True


def test_versions_oldest_first():
    versions = [
        sdk_key("b", created=5).properties,
        sdk_key("a", created=5).properties,
        sdk_key("c", created=1).properties,
    ]
    ctx, _client = _ctx(list_properties_of_key_versions=lambda name: iter(versions))
    assert api.list_versions(ctx, URL, "cmk") == [("c", 1.0), ("a", 5.0), ("b", 5.0)]
