# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every client of a module run shares, so that a task signs in only when the run has not already:

- one HTTP session: one TLS tunnel per host for the whole task, whichever clients use it;
- ``RunCredential``: the credential the clients ask for tokens, answered from the run's token cache
  (``_token_cache.RunCache``) when it has a fresh one; the azure-identity credential is made (and azure-identity
  imported) only when a token must really be fetched;
- Entra ID's discovery answers (the tenant's OpenID configuration), served from the run's cache: what MSAL's
  ``http_cache`` does, for the credentials azure-identity builds (which pass MSAL none);
- Key Vault challenges: a vault whose tenant is known (read from Resource Manager, or answered to an earlier task
  of the run) gets its first request with a token, not the 401 that would only name that tenant again.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import threading
import time
from urllib.parse import urlsplit

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkMissingLibrary
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import azure_errors


def import_sdk(module, package):
    """Import ``module`` of the Python package ``package``, or say which package is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise CmkMissingLibrary(package, exc) from exc


def _is_metadata(url):
    path = urlsplit(url).path
    return path.endswith("/.well-known/openid-configuration") or path.endswith("/discovery/instance")


_CLASSES = {}


def _metadata_adapter(cache, timeout, **kwargs):
    """A requests adapter for the Entra ID host that answers discovery GETs from ``cache`` and fills it."""
    if "adapter" not in _CLASSES:
        adapters = import_sdk("requests.adapters", "requests")
        urllib3_response = import_sdk("urllib3.response", "urllib3")

        class MetadataAdapter(adapters.HTTPAdapter):
            def __init__(self, cache, timeout, **kwargs):
                super().__init__(**kwargs)
                self.cache, self.timeout = cache, timeout

            def send(self, request, **kwargs):
                if request.method != "GET" or not _is_metadata(request.url):
                    return super().send(request, **kwargs)
                body = self.cache.metadata(request.url)
                if body is not None:
                    raw = urllib3_response.HTTPResponse(
                        body=io.BytesIO(body.encode("utf-8")),
                        headers={"Content-Type": "application/json; charset=utf-8"},
                        status=200,
                        reason="OK",
                        preload_content=False,
                        decode_content=False,
                    )
                    return self.build_response(request, raw)
                response = super().send(request, **kwargs)
                if response.status_code == 200:
                    self.cache.store_metadata(request.url, response.content.decode("utf-8"), self.timeout)
                return response

        _CLASSES["adapter"] = MetadataAdapter
    return _CLASSES["adapter"](cache, timeout, **kwargs)


def shared_session(authority_host, cache=None, timeout=300):
    """The one requests session of a module run (set up as azure-core's RequestsTransport sets up its own:
    environment proxies and CA bundle, no retries of its own: the pipelines' retry policy decides)."""
    requests = import_sdk("requests", "requests")
    adapters = import_sdk("requests.adapters", "requests")
    retry = import_sdk("urllib3.util.retry", "urllib3").Retry
    no_retries = retry(total=False, redirect=False, raise_on_status=False)
    session = requests.Session()
    session.trust_env = True
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapters.HTTPAdapter(max_retries=no_retries))
    if cache is not None:
        session.mount(f"https://{authority_host}/", _metadata_adapter(cache, timeout, max_retries=no_retries))
    return session


class RunCredential:
    """The credential every client of a module run asks for tokens.

    ``build(**options)`` makes the azure-identity credential, with ``options()`` (the run's transport and retry
    policy), when a token must really be fetched. With a ``cache`` (a RunCache), tokens come from the run's cache
    while fresh, and what is fetched is stored there for the next task. Tokens asked with ``claims`` (a
    continuous-access-evaluation challenge) are always fetched, never stored.

    Every client asks for the same kind of token: Key Vault's clients ask for continuous-access-evaluation (CAE)
    tokens and Resource Manager's do not, and azure-identity keeps one MSAL client per kind, each fetching Entra
    ID's metadata again. Plain tokens serve both (CAE is an opt-in for long-lived tokens)."""

    def __init__(self, build, options=dict, cache=None, timeout=300):
        self._build, self._options, self.cache, self._timeout = build, options, cache, timeout
        self._credential = None
        self._lock = threading.Lock()
        self._fetching = threading.Lock()

    @property
    def identity(self):
        """The azure-identity credential, made on first use."""
        with self._lock:
            if self._credential is None:
                self._credential = self._build(**self._options())
            return self._credential

    def _entry(self, scopes, tenant_id, claims, fetch):
        if self.cache is None or claims:
            with self._fetching:  # threads of one task (reads ahead) asking at once: azure-identity's own cache
                return fetch()  # answers the second, instead of a second sign-in
        key = "{}|{}".format(" ".join(scopes), tenant_id or "")
        return self.cache.token_or_fetch(key, fetch, self._timeout)

    def cached(self, scope, tenant_id=None):
        """Whether the run's cache holds a fresh token for ``scope`` (and tenant)."""
        return self.cache is not None and self.cache.token("{}|{}".format(scope, tenant_id or "")) is not None

    def get_token(self, *scopes, **kwargs):
        kwargs.pop("enable_cae", None)

        def fetch():
            token = self.identity.get_token(*scopes, **kwargs)
            return {"token": token.token, "expires_on": int(token.expires_on), "refresh_on": None}

        entry = self._entry(scopes, kwargs.get("tenant_id"), kwargs.get("claims"), fetch)
        return import_sdk("azure.core.credentials", "azure-core").AccessToken(entry["token"], entry["expires_on"])

    def get_token_info(self, *scopes, options=None):
        options = {k: v for k, v in (options or {}).items() if k != "enable_cae"}

        def fetch():
            identity = self.identity
            if hasattr(identity, "get_token_info"):
                info = identity.get_token_info(*scopes, options=options)
                refresh_on = getattr(info, "refresh_on", None)
                return {"token": info.token, "expires_on": int(info.expires_on), "refresh_on": refresh_on}
            token = identity.get_token(*scopes, **options)
            return {"token": token.token, "expires_on": int(token.expires_on), "refresh_on": None}

        entry = self._entry(scopes, options.get("tenant_id"), options.get("claims"), fetch)
        credentials = import_sdk("azure.core.credentials", "azure-core")
        return credentials.AccessTokenInfo(entry["token"], entry["expires_on"], refresh_on=entry.get("refresh_on"))

    def close(self):
        if self._credential is not None:
            self._credential.close()


class TokensAhead:
    """Key Vault tokens fetched in the background, into the run's cache: when a task reads from Resource Manager
    a vault the run had not seen, the task that will use the vault then finds its token in the cache instead of
    signing in (a tunnel to Entra ID and a request, beside what this task still does)."""

    WAIT = 10  # seconds a task waits at its end for them: a sign-in that takes longer is the next task's

    def __init__(self, credential, timeout):
        self._credential, self._timeout, self._threads = credential, timeout, []

    def vault_token(self, authorization, resource):
        """Scope and tenant as the Key Vault SDK makes them from the vault's challenge: it asks for this token.
        Not when the run's cache has it already."""
        tenant = urlsplit(authorization).path.strip("/").split("/")[0]
        scope = resource + "/.default"
        if not tenant or self._credential.cached(scope, tenant):
            return
        thread = threading.Thread(target=self._fetch, args=(scope, {"tenant_id": tenant}), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _fetch(self, scope, options):
        # A failed sign-in is the next task's to make again and report; a bug keeps its traceback.
        with contextlib.suppress(CmkError, *azure_errors()):
            self._credential.get_token_info(scope, options=options)

    def finish(self):
        """Wait for them, at most WAIT seconds in all (or the module's time), so they land before the task ends."""
        deadline = time.monotonic() + min(self.WAIT, self._timeout)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class VaultChallenges:
    """Key Vault challenges: learnt from Resource Manager's vault answers and from challenges the Key Vault SDK
    accepted, kept in the run's cache, and given to the SDK before a vault's first request."""

    def __init__(self, cloud, cache=None, timeout=300, authority_host=None):
        self.cloud, self.cache, self.timeout = cloud, cache, timeout
        self.authority = f"https://{authority_host or cloud.authority_host}"
        self.resource = cloud.vault_scope[: -len("/.default")]
        self._known = {}
        self.on_new = None  # told (authorization, resource) of a vault the run had not known

    def _learn(self, host, authorization, resource):
        host = host.lower()
        new = self.on_new is not None and self.known(host) is None
        self._known[host] = {"authorization": authorization, "resource": resource}
        if self.cache is not None:
            self.cache.store_vault(host, authorization, resource, self.timeout)
        if new:
            self.on_new(authorization, resource)

    def known(self, host):
        host = host.lower()
        return self._known.get(host) or (self.cache.vault(host) if self.cache is not None else None)

    def arm_hook(self, pipeline_response):
        """raw_response_hook of the Key Vault management client: the tenant of every vault it reads."""
        request, response = pipeline_response.http_request, pipeline_response.http_response
        if request.method != "GET" or response.status_code != 200 or "/vaults" not in request.url.lower():
            return
        try:
            body = json.loads(response.text())
        except ValueError:  # not JSON (nor text): nothing to learn from it
            return
        vaults = body.get("value", [body]) if isinstance(body, dict) else []
        for vault in vaults if isinstance(vaults, list) else []:
            props = vault.get("properties") if isinstance(vault, dict) else None
            uri, tenant = (props.get("vaultUri"), props.get("tenantId")) if isinstance(props, dict) else (None, None)
            if isinstance(uri, str) and isinstance(tenant, str) and urlsplit(uri).hostname:
                self._learn(urlsplit(uri).hostname, f"{self.authority}/{tenant}", self.resource)

    def keyvault_hook(self, pipeline_response):
        """raw_response_hook of a Key Vault client: the challenge the SDK accepted, once a request passed with it."""
        request = pipeline_response.http_request
        if pipeline_response.http_response.status_code == 401 or "Authorization" not in request.headers:
            return
        try:
            challenge = _sdk_challenge_cache().get_challenge_for_url(request.url)
        except CmkMissingLibrary:
            return
        if challenge is None:
            return
        resource = challenge.get_resource() or challenge.get_scope()
        if resource.endswith("/.default"):
            resource = resource[: -len("/.default")]
        host = urlsplit(request.url).hostname
        if host and challenge.get_authorization_server() and resource:
            learnt = {"authorization": challenge.get_authorization_server(), "resource": resource}
            if self.known(host) != learnt:
                self._learn(host, learnt["authorization"], learnt["resource"])

    def prime(self, vault_url):
        """Give the Key Vault SDK the vault's challenge before its first request, when it is known."""
        host = urlsplit(vault_url).hostname or ""
        known = self.known(host)
        if known is None:
            return
        try:
            cache = _sdk_challenge_cache()
            challenge_class = import_sdk("azure.keyvault.keys._shared.http_challenge", "azure-keyvault-keys")
        except CmkMissingLibrary:  # a Key Vault SDK without these: it asks for the challenge itself
            return
        if cache.get_challenge_for_url(vault_url) is None:
            header = 'Bearer authorization="{authorization}", resource="{resource}"'.format(**known)
            cache.set_challenge_for_url(vault_url, challenge_class.HttpChallenge(vault_url, header))


def _sdk_challenge_cache():
    return import_sdk("azure.keyvault.keys._shared.http_challenge_cache", "azure-keyvault-keys")
