"""The azure_auth doc fragment documents AUTH_ARGSPEC exactly (keys, types, defaults, choices, secrets)."""

from __future__ import annotations

import yaml

from ansible_collections.azure_cmk.batch.plugins.doc_fragments.azure_auth import ModuleDocFragment
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import AUTH_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import ENV_MAPPING

DOC = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def test_same_options():
    assert sorted(DOC) == sorted(AUTH_ARGSPEC)


def test_same_types_defaults_and_choices():
    for name, spec in AUTH_ARGSPEC.items():
        doc = DOC[name]
        assert doc.get("type", "str") == spec.get("type", "str"), name
        assert doc.get("default") == spec.get("default"), name
        assert sorted(doc.get("choices") or []) == sorted(spec.get("choices") or []), name


def test_secrets_are_no_log_and_documented_as_never_logged():
    secret = {name for name, spec in AUTH_ARGSPEC.items() if spec.get("no_log")}
    assert secret == {"secret", "password"}
    for name in secret:
        assert "Never logged" in " ".join(DOC[name]["description"]), name


def test_every_environment_variable_is_documented():
    for option, variable in ENV_MAPPING.items():
        assert f"E({variable})" in " ".join(DOC[option]["description"]), option
    assert "E(ANSIBLE_AZURE_AUTH_SOURCE)" in " ".join(DOC["auth_source"]["description"])


def test_tags_fragment_matches_its_argspec():
    from ansible_collections.azure_cmk.batch.plugins.doc_fragments.tags import ModuleDocFragment as Tags
    from ansible_collections.azure_cmk.batch.plugins.module_utils._module import TAGS_ARGSPEC

    doc = yaml.safe_load(Tags.DOCUMENTATION)["options"]
    assert sorted(doc) == sorted(TAGS_ARGSPEC)
    for name, spec in TAGS_ARGSPEC.items():
        assert (doc[name]["type"], doc[name].get("default")) == (spec["type"], spec.get("default"))


def test_the_token_cache_switch_documents_its_environment_variable():
    """An AWX job template turns the run's token cache off with the variable the option falls back to."""
    _fallback, variables = AUTH_ARGSPEC["token_cache"]["fallback"]
    assert variables == ["AZURE_CMK_TOKEN_CACHE"]
    assert "E(AZURE_CMK_TOKEN_CACHE)" in " ".join(DOC["token_cache"]["description"])


def test_estate_fragment_matches_its_argspec():
    """The options an estate's report takes, documented once for cmk_compliance_info and the inventory plugin."""
    from ansible_collections.azure_cmk.batch.plugins.doc_fragments.estate import ModuleDocFragment as Estate
    from ansible_collections.azure_cmk.batch.plugins.module_utils._estate import ESTATE_ARGSPEC

    doc = yaml.safe_load(Estate.DOCUMENTATION)["options"]
    assert sorted(doc) == sorted(ESTATE_ARGSPEC)
    for name, spec in ESTATE_ARGSPEC.items():
        assert (doc[name]["type"], doc[name].get("default"), doc[name].get("elements")) == (
            spec["type"],
            spec.get("default"),
            spec.get("elements"),
        ), name


def test_pools_fragment_matches_its_argspec():
    """The options of a report's pools, documented once for cmk_compliance_info and the inventory plugin."""
    from ansible_collections.azure_cmk.batch.plugins.doc_fragments.pools import ModuleDocFragment as Pools
    from ansible_collections.azure_cmk.batch.plugins.module_utils._pools import POOLS_ARGSPEC

    doc = yaml.safe_load(Pools.DOCUMENTATION)["options"]
    assert sorted(doc) == sorted(POOLS_ARGSPEC)
    for name, spec in POOLS_ARGSPEC.items():
        found = (doc[name]["type"], doc[name].get("default"), sorted(doc[name].get("choices") or []))
        assert found == (spec["type"], spec.get("default"), sorted(spec.get("choices") or [])), name
