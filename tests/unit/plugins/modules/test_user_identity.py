"""user_identity and user_identity_info against the emulator."""

from __future__ import annotations

from conftest import four_steps
from conftest import writes_since

from ansible_collections.azure_cmk.batch.plugins.modules import user_identity
from ansible_collections.azure_cmk.batch.plugins.modules import user_identity_info

ARGS = {"name": "id-batch-cmk", "resource_group": "rg-cmk", "tags": {"purpose": "cmk"}}


def test_four_steps(run_module, emulator):
    results = four_steps(run_module, emulator, user_identity.main, ARGS)

    check, applied = results[0], results[1]
    assert check["identity"]["principal_id"] is None  # unknown until Azure creates it
    assert check["diff"]["after"] == {"location": "westeurope", "tags": {"purpose": "cmk"}}
    assert applied["identity"]["principal_id"]
    assert applied["identity"]["location"] == "westeurope"  # the resource group's


def test_tags_merge_unless_purged(run_module, emulator):
    run_module(user_identity.main, ARGS)
    merged = run_module(user_identity.main, dict(ARGS, tags={"owner": "ops"}), diff=True)
    assert merged["identity"]["tags"] == {"purpose": "cmk", "owner": "ops"}
    purged = run_module(user_identity.main, dict(ARGS, tags={"owner": "ops"}, purge_tags=True))
    assert purged["identity"]["tags"] == {"owner": "ops"}


def test_location_cannot_change(run_module, emulator):
    run_module(user_identity.main, ARGS)
    seq = emulator.journal.last_seq
    result = run_module(user_identity.main, dict(ARGS, location="eastus"))
    assert result["failed"]
    assert result["msg"].startswith("location: identity 'id-batch-cmk' is in westeurope")
    assert writes_since(emulator, seq) == []


def test_absent_in_check_mode_then_for_real(run_module, emulator):
    run_module(user_identity.main, ARGS)
    seq = emulator.journal.last_seq
    check = run_module(user_identity.main, dict(ARGS, state="absent"), check=True, diff=True)
    assert check["changed"] and check["identity"] is None
    assert check["diff"]["after"] == {}
    assert writes_since(emulator, seq) == []
    assert run_module(user_identity.main, dict(ARGS, state="absent"))["changed"]
    assert not run_module(user_identity.main, dict(ARGS, state="absent"))["changed"]


def test_missing_resource_group_fails_before_writing(run_module, emulator):
    seq = emulator.journal.last_seq
    result = run_module(user_identity.main, dict(ARGS, resource_group="rg-missing"))
    assert result["failed"]
    assert "resource_group: 'rg-missing' does not exist" in result["msg"]
    assert writes_since(emulator, seq) == []


def test_info_by_name_group_and_subscription(run_module, emulator):
    run_module(user_identity.main, ARGS)
    one = run_module(user_identity_info.main, {"name": "id-batch-cmk", "resource_group": "rg-cmk"})
    assert [i["name"] for i in one["identities"]] == ["id-batch-cmk"]
    assert run_module(user_identity_info.main, {"name": "nope", "resource_group": "rg-cmk"})["identities"] == []
    assert len(run_module(user_identity_info.main, {"resource_group": "rg-cmk"})["identities"]) == 1
    assert len(run_module(user_identity_info.main, {})["identities"]) == 1
