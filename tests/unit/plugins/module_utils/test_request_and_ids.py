"""A module's request (options parsed once, read-only), key identifiers compared as Azure compares them,
Azure's date-times, and what a failure carries."""

from __future__ import annotations

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils import _errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import Request
from ansible_collections.azure_cmk.batch.plugins.module_utils._request import key_id_of
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import parse_time
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import same_key

PUBLIC = get_cloud("AzureCloud")
KEY = "https://kv-cmk.vault.azure.net/keys/cmk"
V = "0123456789abcdef0123456789abcdef"


def test_a_request_is_read_only_and_carries_what_was_parsed():
    request = Request({"name": "a", "key_identifier": KEY}, key_id=key_id_of({"key_identifier": KEY}, PUBLIC))
    assert request["name"] == "a" and request.get("missing") is None and request.key_id.name == "cmk"
    with pytest.raises(AttributeError):
        request.key_id = None
    assert key_id_of({}, PUBLIC) is None
    with pytest.raises(CmkValidationError, match="key_identifier: 'x' is not a Key Vault key URL"):
        key_id_of({"key_identifier": "x"}, PUBLIC)


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        (KEY, KEY + "/", True),
        (KEY, KEY.upper().replace("HTTPS://", "https://"), True),
        (KEY, KEY.replace("vault.azure.net", "vault.azure.net:443"), True),
        (f"{KEY}/{V}", f"{KEY}/{V.upper()}", True),
        (KEY, f"{KEY}/{V}", False),  # versionless is not pinned
        (KEY, KEY.replace("cmk", "cmk2"), False),
        (KEY, KEY.replace("kv-cmk", "kv-other"), False),
        ("not a url", "not a url", True),  # unparsable ids compare as text
        ("not a url", "Not A Url", False),
    ],
)
def test_same_key(first, second, same):
    assert same_key(first, second, PUBLIC) is same


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2019-06-05T20:02:40.0953018Z", "2019-06-05T20:02:40.095301+00:00"),  # Azure's 7 fractional digits
        ("2019-06-05T20:02:40.1Z", "2019-06-05T20:02:40.100000+00:00"),
        ("2019-06-05T20:02:40Z", "2019-06-05T20:02:40+00:00"),
        ("2019-06-05T20:02:40", "2019-06-05T20:02:40+00:00"),  # no zone: UTC
        ("2019-06-05T22:02:40+02:00", "2019-06-05T22:02:40+02:00"),
    ],
)
def test_parse_time(text, iso):
    assert parse_time(text, "x").isoformat() == iso


def test_a_failure_from_azure_carries_its_exception_and_the_sdk_versions():
    from azure.core.exceptions import HttpResponseError

    details = {}
    try:
        try:
            raise HttpResponseError(message="Conflict")
        except HttpResponseError as exc:
            raise _errors.translate(exc, "write", "thing") from exc
    except _errors.CmkError as error:
        details = _errors.failure_details(error)
    assert (
        "HttpResponseError: Conflict" in details["exception"]
        and details["azure_exception"] == "HttpResponseError: Conflict"
    )
    assert details["azure_versions"]["azure-core"]  # the SDKs this run loaded, by distribution
    assert _errors.failure_details(CmkValidationError("name: bad")) == {}  # bad input found offline: no more


def test_sdk_versions_name_only_what_was_loaded():
    assert set(_errors.sdk_versions({"azure.core": object()})) == {"azure-core"}
    assert _errors.sdk_versions({}) == {}
