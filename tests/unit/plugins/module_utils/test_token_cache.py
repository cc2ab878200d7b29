"""The run's token cache (issue 19, Done-means 3): owner-only, no secret in it, never another credential's or
tenant's tokens, tokens only while fresh, and a corrupt or concurrently written file never breaks a task."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.azure_cmk.batch.plugins.module_utils import _token_cache
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import AUTH_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import resolve
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import credential_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import RunCache
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import credential_digest
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import unsafe
from ansible_collections.azure_cmk.batch.plugins.module_utils._transport import RunCredential

SECRET = "s3cret-value-that-must-never-be-written"
NOW = 1_900_000_000
ARM = "https://management.azure.com/.default"


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


class FakeIdentity:
    """An azure-identity credential that counts its sign-ins."""

    def __init__(self, lifetime=3600, clock=None):
        self.fetched = []
        self.lifetime, self.clock = lifetime, clock or Clock()

    def get_token_info(self, *scopes, options=None):
        from azure.core.credentials import AccessTokenInfo

        self.fetched.append((scopes, dict(options or {})))
        return AccessTokenInfo(f"token-{len(self.fetched)}", self.clock() + self.lifetime)

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        self.fetched.append((scopes, kwargs))
        return AccessToken(f"token-{len(self.fetched)}", self.clock() + self.lifetime)


@pytest.fixture
def run_dir(tmp_path):
    directory = tmp_path / "ansible-local-1234abcd"
    directory.mkdir(mode=0o700)
    return str(directory)


def params(**given):
    values = {name: spec.get("default") for name, spec in AUTH_ARGSPEC.items()}
    values.update(given)
    return values


def cache_for(run_dir, clock=None, **given):
    config = resolve(params(**given), {}, "/nonexistent")
    parts = credential_identity(config, get_cloud(config.get("cloud_environment")))
    return RunCache(run_dir, credential_digest(run_dir, parts), clock=clock or Clock())


SP = {"client_id": "11111111-2222-3333-4444-555555555555", "secret": SECRET, "tenant": "tenant-a"}


def test_the_directory_must_be_this_users_alone(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    assert unsafe(str(private)) is None
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)  # noqa: S103 - the mode under test
    assert "mode 0755" in unsafe(str(shared))
    link = tmp_path / "link"
    link.symlink_to(private)
    assert unsafe(str(link)) == "it is a symbolic link"
    assert unsafe(str(tmp_path / "absent")).startswith("it cannot be used")
    (tmp_path / "file").write_text("")
    assert unsafe(str(tmp_path / "file")) == "it is not a directory"


def test_files_are_owner_only_and_hold_no_secret(run_dir):
    cache = cache_for(run_dir, **SP)
    credential = RunCredential(FakeIdentity, cache=cache)
    credential.get_token_info(ARM)
    cache.store_metadata("https://login.microsoftonline.com/tenant-a/v2.0/.well-known/openid-configuration", "{}", 5)
    names = os.listdir(run_dir)
    assert names and all(name.startswith("azure_cmk.batch-") for name in names)
    for name in names:
        path = os.path.join(run_dir, name)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
        content = Path(path).read_text()
        assert SECRET not in content and SECRET not in name
        assert "refresh_token" not in content and "client_secret" not in content
    stored = json.loads(Path(cache.path).read_text())
    assert set(stored) == {"format", "tokens", "metadata", "vaults"}
    assert next(iter(stored["tokens"].values()))["token"] == "token-1"


def test_the_second_task_of_a_run_signs_in_no_more(run_dir):
    first = FakeIdentity()
    RunCredential(lambda: first, cache=cache_for(run_dir, **SP)).get_token_info(ARM)
    second = FakeIdentity()
    token = RunCredential(lambda: second, cache=cache_for(run_dir, **SP)).get_token_info(ARM)
    assert token.token == "token-1" and len(first.fetched) == 1 and second.fetched == []


def test_a_cached_token_needs_no_azure_identity(run_dir):
    RunCredential(FakeIdentity, cache=cache_for(run_dir, **SP)).get_token(ARM)

    def never():
        raise AssertionError("the credential was built although the run had a fresh token")

    assert RunCredential(never, cache=cache_for(run_dir, **SP)).get_token(ARM).token == "token-1"


@pytest.mark.parametrize(
    "other",
    [
        dict(SP, secret="another-secret"),  # same principal, another secret: a wrong secret is not hidden
        dict(SP, client_id="99999999-2222-3333-4444-555555555555"),
        dict(SP, tenant="tenant-b"),
        dict(SP, cloud_environment="AzureUSGovernment"),
        {"ad_user": "someone@contoso.com", "password": SECRET, "tenant": "tenant-a"},
    ],
)
def test_another_credential_or_tenant_never_finds_the_tokens(run_dir, other):
    RunCredential(FakeIdentity, cache=cache_for(run_dir, **SP)).get_token_info(ARM)
    identity = FakeIdentity()
    token = RunCredential(lambda: identity, cache=cache_for(run_dir, **other)).get_token_info(ARM)
    assert len(identity.fetched) == 1 and token.token == "token-1"  # its own first token, not the other's
    assert len([n for n in os.listdir(run_dir) if n.endswith(".json")]) == 2


def test_a_token_for_another_tenant_or_with_claims_is_fetched(run_dir):
    identity = FakeIdentity()
    credential = RunCredential(lambda: identity, cache=cache_for(run_dir, **SP))
    vault = "https://vault.azure.net/.default"
    credential.get_token_info(vault, options={"tenant_id": "tenant-a"})
    credential.get_token_info(vault, options={"tenant_id": "tenant-b"})
    credential.get_token_info(vault, options={"tenant_id": "tenant-a"})
    assert [o.get("tenant_id") for _s, o in identity.fetched] == ["tenant-a", "tenant-b"]
    credential.get_token_info(vault, options={"tenant_id": "tenant-a", "claims": '{"access_token": {}}'})
    assert len(identity.fetched) == 3  # a claims challenge is answered with a new token, never a cached one


def test_tokens_are_served_until_five_minutes_before_they_expire(run_dir):
    clock = Clock()
    identity = FakeIdentity(lifetime=3600, clock=clock)
    credential = RunCredential(lambda: identity, cache=cache_for(run_dir, clock=clock, **SP))
    credential.get_token_info(ARM)
    clock.now += 3600 - 301
    assert credential.get_token_info(ARM).token == "token-1"
    clock.now += 2
    assert credential.get_token_info(ARM).token == "token-2"
    clock.now += 3600 + 1  # both expired: the file keeps neither
    credential.get_token_info(ARM)
    assert [v["token"] for v in json.loads(Path(credential.cache.path).read_text())["tokens"].values()] == ["token-3"]


def test_metadata_is_kept_a_day(run_dir):
    clock = Clock()
    cache = cache_for(run_dir, clock=clock, **SP)
    cache.store_metadata("https://login/t/v2.0/.well-known/openid-configuration", '{"a": 1}', 5)
    clock.now += 24 * 3600 - 1
    assert cache_for(run_dir, clock=clock, **SP).metadata("https://login/t/v2.0/.well-known/openid-configuration")
    clock.now += 2
    assert (
        cache_for(run_dir, clock=clock, **SP).metadata("https://login/t/v2.0/.well-known/openid-configuration") is None
    )


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe", b"[]", b'{"format": 99, "tokens": {}}', b'{"format": 1, "tokens": {"k": "v"}}', b""],
)
def test_a_corrupt_file_counts_as_empty_and_is_replaced(run_dir, content):
    cache = cache_for(run_dir, **SP)
    with open(cache.path, "wb") as handle:
        handle.write(content)
    os.chmod(cache.path, 0o600)
    identity = FakeIdentity()
    credential = RunCredential(lambda: identity, cache=cache)
    assert credential.get_token_info(ARM).token == "token-1"
    stored = json.loads(Path(cache.path).read_text())
    assert stored["format"] == 1 and len(stored["tokens"]) == 1


def test_a_file_others_could_have_written_is_not_trusted(run_dir):
    cache = cache_for(run_dir, **SP)
    RunCredential(FakeIdentity, cache=cache).get_token_info(ARM)
    os.chmod(cache.path, 0o644)
    identity = FakeIdentity()
    RunCredential(lambda: identity, cache=cache_for(run_dir, **SP)).get_token_info(ARM)
    assert len(identity.fetched) == 1
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600


def test_a_vanished_directory_only_costs_the_cache(tmp_path):
    directory = tmp_path / "gone"
    directory.mkdir(mode=0o700)
    cache = cache_for(str(directory), **SP)
    directory.rmdir()  # ansible-playbook ended while an async task still ran
    identity = FakeIdentity()
    assert RunCredential(lambda: identity, cache=cache).get_token_info(ARM).token == "token-1"


def _fork_writes(run_dir, index, rounds):
    cache = cache_for(run_dir, **SP)
    for round_ in range(rounds):
        cache.store_vault(f"kv{index}-{round_}.vault.azure.net", "https://login/t", "https://vault.azure.net", 30)


def _fork_signs_in(run_dir, log):
    def fetch_counted():
        with open(log, "a") as handle:
            handle.write("fetched\n")
        return FakeIdentity()

    credential = RunCredential(fetch_counted, cache=cache_for(run_dir, **SP))
    assert credential.get_token_info(ARM).token == "token-1"


def _run_forks(target, args_list):
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=target, args=args) for args in args_list]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * len(processes)


def test_forks_writing_at_once_lose_nothing(run_dir):
    _run_forks(_fork_writes, [(run_dir, index, 20) for index in range(6)])
    stored = json.loads(Path(cache_for(run_dir, **SP).path).read_text())
    assert len(stored["vaults"]) == 6 * 20
    assert [n for n in os.listdir(run_dir) if n.endswith(".tmp")] == []


def test_forks_starting_together_sign_in_once(run_dir, tmp_path):
    log = tmp_path / "sign-ins"
    _run_forks(_fork_signs_in, [(run_dir, str(log))] * 5)
    assert log.read_text().count("fetched") == 1


def test_a_held_lock_is_waited_for_then_given_up(run_dir):
    cache = cache_for(run_dir, **SP)
    other = cache_for(run_dir, **SP)
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()

    def hold():
        with other.locked(5):
            ready.set()
            release.wait(10)

    holder = context.Process(target=hold)
    holder.start()
    try:
        assert ready.wait(10)
        with cache.locked(0.2) as held:
            assert held is False  # not an error: the caller goes on without the lock
    finally:
        release.set()
        holder.join(10)
    with cache.locked(0.2) as held:
        assert held is True


def test_the_digest_is_salted_by_the_run(tmp_path):
    parts = {"kind": "service principal", "secret": SECRET}
    one, two = credential_digest(str(tmp_path / "run-1"), parts), credential_digest(str(tmp_path / "run-2"), parts)
    assert one != two and SECRET not in one
    assert _token_cache.DIGEST_ROUNDS >= 10000
