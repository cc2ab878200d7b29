"""Settings at start-up (``--setting``, ``--settings``, ``AZURE_EMULATOR_SETTINGS``) that survive a reset and
can be changed per test; and issue 9 item 7: neither the log nor the state dump holds a secret in clear."""

from __future__ import annotations

import argparse
import json
import os
import stat

import flows
import pytest
import requests
from procs import EmulatorProcess

from azure_emulator import SETTINGS_ENV
from azure_emulator import Emulator
from azure_emulator import Settings
from azure_emulator.__main__ import startup_settings
from azure_emulator.testing import SESSION_SETTINGS

PEM_PRIVATE = "PRIVATE KEY-----"


def test_later_sources_win_and_text_is_parsed(monkeypatch):
    monkeypatch.setenv(SETTINGS_ENV, json.dumps({"vault_dns_seconds": 4, "lro_seconds": 9}))
    args = argparse.Namespace(
        settings=json.dumps({"lro_seconds": 2, "generic_errors": True}),
        setting=["grant_propagation_seconds=3.5", "generic_errors=false", "imds_principal=abc"],
    )
    values = startup_settings(args)
    settings = Settings()
    settings.update(values)
    assert (settings.vault_dns_seconds, settings.lro_seconds) == (4.0, 2.0)
    assert settings.grant_propagation_seconds == 3.5 and settings.generic_errors is False
    assert settings.imds_principal == "abc"


@pytest.mark.parametrize(
    ("values", "named"),
    [({"grant_propagation": 1}, "grant_propagation"), ({"generic_errors": "maybe"}, "generic_errors")],
)
def test_a_bad_setting_is_refused_by_name(values, named):
    with pytest.raises(ValueError, match=named):
        Settings().update(values)


@pytest.mark.parametrize("given", [["nosuch=1"], ["generic_errors"], ["lro_seconds=soon"]])
def test_serve_refuses_bad_settings_with_a_message(given, monkeypatch):
    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    with pytest.raises(SystemExit, match="bad settings"):
        startup_settings(argparse.Namespace(settings=None, setting=given))


def test_reset_restores_the_start_up_settings_not_the_defaults(tmp_path):
    emu = Emulator(
        ca_dir=tmp_path, settings={"timing": "instant", "grant_propagation_seconds": 2, "generic_errors": True}
    )
    emu.settings.update({"grant_propagation_seconds": 7, "account_recovery_seconds": 1})
    emu.reset()
    assert emu.settings.grant_propagation_seconds == 2 and emu.settings.generic_errors is True
    assert emu.settings.account_recovery_seconds == 0


@pytest.mark.emulator_settings(account_recovery_seconds=3, generic_errors=True)
def test_a_marker_sets_this_test_s_settings(emulator):
    assert emulator.settings.account_recovery_seconds == 3 and emulator.settings.generic_errors is True


def test_the_next_test_starts_from_the_session_s_settings(emulator, control):
    settings = Settings()
    settings.update(SESSION_SETTINGS)
    expected = vars(settings)
    if os.environ.get(SETTINGS_ENV):
        pytest.skip(f"{SETTINGS_ENV} changes the session's settings")
    assert control("GET", "settings") == expected
    control("PATCH", "settings", json={"vault_dns_seconds": 5})
    control("POST", "reset")
    assert control("GET", "settings") == expected


def test_the_state_dump_holds_no_secret_or_private_key(clients, control, emulator):
    flows.system_assigned_flow(clients)
    text = json.dumps(control("GET", "state"))
    assert clients.info["client_secret"] not in text
    assert PEM_PRIVATE not in text
    assert "(private key withheld)" in text
    # The emulator itself keeps the key: wrapping still works after the dump.
    assert flows.rsa_key(clients, "kv-sys-cmk", "second").key.n
    assert PEM_PRIVATE in json.dumps(emulator.store.data["vaultData"])


@pytest.mark.slow
def test_serve_takes_settings_and_logs_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv(SETTINGS_ENV, json.dumps({"grant_propagation_seconds": 1, "vault_dns_seconds": 2}))
    proc = EmulatorProcess(tmp_path, "-v", "--setting", "grant_propagation_seconds=5")
    try:
        info = proc.start()
        secret = info["client_secret"]
        assert stat.S_IMODE(os.stat(proc.ready_file).st_mode) == 0o600  # the secret's one place
        direct = requests.Session()
        direct.trust_env = False
        settings = direct.get(f"{info['control_url']}/settings", timeout=10).json()
        assert (settings["grant_propagation_seconds"], settings["vault_dns_seconds"]) == (5, 2)
        assert "client_secret" not in direct.get(f"{info['control_url']}/health", timeout=10).json()
        proxied = requests.Session()
        proxied.trust_env = False
        proxied.proxies = {"https": info["proxy_url"]}
        url = f"https://login.microsoftonline.com/{info['tenant_id']}/oauth2/v2.0/token"
        for given in (secret, secret + "-wrong"):
            form = {
                "grant_type": "client_credentials",
                "client_id": info["client_id"],
                "client_secret": given,
                "scope": "https://management.azure.com/.default",
            }
            proxied.post(url, data=form, verify=info["ca_file"], timeout=10)
        proxied.get("https://nosuchvault.vault.azure.net/keys", verify=info["ca_file"], timeout=10)
    except requests.exceptions.ProxyError:
        pass  # the refused vault: wanted only for its log line
    finally:
        proc.stop()
    assert stat.S_IMODE(os.stat(tmp_path / "state.json").st_mode) == 0o600  # it keeps the keys' private PEMs
    log = (tmp_path / "emulator.log").read_text()
    assert "nosuchvault" in log  # the log is written, and verbose
    assert secret not in log and PEM_PRIVATE not in log
