# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that imports Azure SDK clients: each lazily, on first use, so a module loads only
the SDKs it talks to. Every client gets the same retry policy, user agent and cloud endpoints.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import copy
import threading
from urllib.parse import urlsplit

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._transport import RunCredential
from ansible_collections.azure_cmk.batch.plugins.module_utils._transport import TokensAhead
from ansible_collections.azure_cmk.batch.plugins.module_utils._transport import VaultChallenges
from ansible_collections.azure_cmk.batch.plugins.module_utils._transport import import_sdk
from ansible_collections.azure_cmk.batch.plugins.module_utils._transport import shared_session
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import backoff

COLLECTION_VERSION = "0.1.0"
USER_AGENT = f"azure_cmk.batch/{COLLECTION_VERSION}"

# One policy for every client and for sign-ins (azure-core's RetryPolicy): 429, 5xx, lost connections and
# outages are retried - Retry-After honoured, else back-off from 0.5 s doubling up to 15 s with jitter - until
# the module's time (its wait_timeout, else 5 minutes) is spent, not after a fixed few attempts: a scheduled
# job rides out an outage of a minute. Writes that are not idempotent are never retried here (see
# _lro.write_once).
RETRY = dict(
    retry_total=30, retry_connect=30, retry_read=30, retry_status=30, retry_backoff_factor=0.5, retry_backoff_max=15
)
DEFAULT_TIMEOUT = 300

# attribute -> (module, class, pip package)
_MGMT_CLIENTS = {
    "batch": ("azure.mgmt.batch", "BatchManagementClient", "azure-mgmt-batch"),
    "keyvault": ("azure.mgmt.keyvault", "KeyVaultManagementClient", "azure-mgmt-keyvault"),
    "msi": ("azure.mgmt.msi", "ManagedServiceIdentityClient", "azure-mgmt-msi"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient", "azure-mgmt-authorization"),
}


_RECORDING = {}


def recording_retry_policy(notes, **settings):
    """azure-core's RetryPolicy with ``settings``, noting each retry in ``notes`` (the result's ``absorbed``):
    a scheduled job's log shows the faults the run rode out. Its back-off is the collection's (``_wait.backoff``):
    0.5 s before the first retry, doubling up to 15 s, each drawn within 20 % either way, so that parallel jobs
    throttled by one endpoint do not retry in step (azure-core's own retries at once, then without jitter)."""
    if "class" not in _RECORDING:
        base = import_sdk("azure.core.pipeline.policies", "azure-core").RetryPolicy

        class RecordingRetryPolicy(base):
            def __init__(self, notes, **settings):
                super().__init__(**settings)
                self.notes = notes

            def get_backoff_time(self, settings):
                errors = len(settings["history"])
                return backoff(errors - 1, first=settings["backoff"], most=settings["max_backoff"]) if errors else 0

            def increment(self, settings, response=None, error=None):
                again = super().increment(settings, response=response, error=error)
                if again:
                    request = getattr(response, "http_request", None)
                    http = getattr(response, "http_response", None)
                    cause = http.status_code if http is not None else type(error).__name__
                    self.notes.append(f"retried {request.method} {request.url.split('?')[0]}: {cause}")
                return again

        _RECORDING["class"] = RecordingRetryPolicy
    return _RECORDING["class"](notes, **settings)


def rest_dict(model):
    """An SDK model as the REST JSON it came from (camelCase, read-only members kept)."""
    if model is None:
        return None
    if hasattr(model, "serialize"):  # msrest models (azure-mgmt-msi, azure-mgmt-authorization)
        return model.serialize(keep_readonly=True)
    return model.as_dict()  # TypeSpec models (azure-mgmt-batch, azure-mgmt-keyvault)


class Clients:
    """SDK clients for one subscription in one cloud, built on first use and kept for the run.

    ``credential`` is an azure-identity credential, or a function that makes one from the run's transport
    options (``transport``, ``retry_policy_class``) when a token must be fetched: then sign-ins go through the
    same session and get the same bounded, noted retries as every other call. ``cache`` (a RunCache) is the run's
    token cache; ``authority_host`` an authority other than the cloud's (ADFS)."""

    def __init__(self, credential, subscription_id, cloud, timeout=None, notes=None, cache=None, authority_host=None):
        self.subscription_id = subscription_id
        self.cloud = cloud
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.notes = [] if notes is None else notes
        self._built = {}
        self._session = None
        self._session_lock = threading.Lock()  # reads ahead build clients from their own threads
        self._authority_host = authority_host or cloud.authority_host
        build = credential if not hasattr(credential, "get_token") else (lambda **_options: credential)
        self.credential = RunCredential(build, self._identity_options, cache, self.timeout)
        self.vaults = VaultChallenges(cloud, cache, self.timeout, self._authority_host)
        # With the run's cache only (without it, a run makes the calls it always made), and not with ADFS, whose
        # vaults' challenges do not name the tenant Resource Manager gives.
        self._learn_vaults_from_arm = cache is not None and authority_host is None
        self._ahead = TokensAhead(self.credential, self.timeout)
        if self._learn_vaults_from_arm:
            self.vaults.on_new = self._ahead.vault_token

    def finish(self):
        """Wait for the tokens fetched in the background for the run's next tasks (TokensAhead)."""
        self._ahead.finish()

    def _retry(self):
        return recording_retry_policy(self.notes, timeout=self.timeout, **RETRY)

    def _transport(self):
        """A transport on the run's one session: one tunnel per host, whichever client sends."""
        with self._session_lock:
            if self._session is None:
                self._session = shared_session(self._authority_host, self.credential.cache, self.timeout)
        transport = import_sdk("azure.core.pipeline.transport", "azure-core")
        return transport.RequestsTransport(session=self._session, session_owner=False)

    def _identity_options(self):
        retry = self._retry()
        return dict(transport=self._transport(), retry_policy_class=lambda **_settings: retry)

    def _common(self):
        return dict(retry_policy=self._retry(), user_agent=USER_AGENT, transport=self._transport())

    def _mgmt(self, name):
        if name not in self._built:
            module, cls, package = _MGMT_CLIENTS[name]
            client_class = getattr(import_sdk(module, package), cls)
            if not self.subscription_id:
                raise CmkError(
                    "subscription_id: no subscription was given or found (option, AZURE_SUBSCRIPTION_ID or profile)"
                )
            options = self._common()
            if name == "keyvault" and self._learn_vaults_from_arm:
                options["raw_response_hook"] = self.vaults.arm_hook
            self._built[name] = client_class(
                self.credential,
                self.subscription_id,
                base_url=self.cloud.arm_endpoint,
                credential_scopes=[self.cloud.arm_scope],
                **options,
            )
        return self._built[name]

    @property
    def batch(self):
        return self._mgmt("batch")

    @property
    def keyvault(self):
        return self._mgmt("keyvault")

    @property
    def msi(self):
        return self._mgmt("msi")

    @property
    def authorization(self):
        return self._mgmt("authorization")

    @property
    def resource_graph(self):
        """Resource Graph's client: it queries many subscriptions at once, so it takes none."""
        if "resource_graph" not in self._built:
            module = import_sdk("azure.mgmt.resourcegraph", "azure-mgmt-resourcegraph")
            self._built["resource_graph"] = module.ResourceGraphClient(
                self.credential,
                base_url=self.cloud.arm_endpoint,
                credential_scopes=[self.cloud.arm_scope],
                **self._common(),
            )
        return self._built["resource_graph"]

    def for_subscription(self, subscription_id):
        """The clients of another subscription, sharing this one's credential (so its tokens), cloud, time and
        notes; its SDK clients are built on first use, like these."""
        other = copy.copy(self)
        other.subscription_id = subscription_id
        other._built = {}
        return other

    def keys(self, vault_url):
        """A Key Vault keys client for one vault (data plane)."""
        key = "keys:" + vault_url.lower().rstrip("/")
        if key not in self._built:
            module = import_sdk("azure.keyvault.keys", "azure-keyvault-keys")
            self.vaults.prime(vault_url)
            self._built[key] = module.KeyClient(
                vault_url, self.credential, raw_response_hook=self.vaults.keyvault_hook, **self._common()
            )
        return self._built[key]

    def knows_vault(self, vault_url):
        """Whether the run knows the vault's challenge (from Resource Manager or an earlier request)."""
        return bool(self.vaults.known(urlsplit(vault_url).hostname or ""))

    def _arm_pipeline(self):
        """A plain azure-core pipeline for the few Resource Manager reads no pinned SDK covers."""
        if "arm" not in self._built:
            core = import_sdk("azure.core", "azure-core")
            policies = import_sdk("azure.core.pipeline.policies", "azure-core")
            self._built["arm"] = core.PipelineClient(
                self.cloud.arm_endpoint,
                transport=self._transport(),
                policies=[
                    policies.HeadersPolicy(),
                    policies.UserAgentPolicy(USER_AGENT),
                    self._retry(),
                    policies.BearerTokenCredentialPolicy(self.credential, self.cloud.arm_scope),
                ],
            )
        return self._built["arm"]

    def arm_get(self, path, api_version):
        """GET a Resource Manager path as JSON; failures raise as the SDKs' do (404: ResourceNotFoundError)."""
        return self._arm_get_url(self.cloud.arm_endpoint + path, {"api-version": api_version})

    def arm_list(self, path, api_version):
        """Every item of a Resource Manager list at ``path``, following its ``nextLink`` pages."""
        found, url, params = [], self.cloud.arm_endpoint + path, {"api-version": api_version}
        while url:
            page = self._arm_get_url(url, params)
            found += page.get("value") or []
            url, params = page.get("nextLink"), None  # a next link carries its own query
        return found

    def _arm_get_url(self, url, params):
        rest = import_sdk("azure.core.rest", "azure-core")
        exceptions = import_sdk("azure.core.exceptions", "azure-core")
        request = rest.HttpRequest("GET", url, params=params)
        response = self._arm_pipeline().send_request(request)
        if response.status_code == 404:
            raise exceptions.ResourceNotFoundError(response=response)
        if response.status_code >= 400:
            raise exceptions.HttpResponseError(response=response)
        return response.json()

    def arm_tags(self, resource_id, operation, tags):
        """The Tags API's PATCH at a resource (``Merge``, ``Replace`` or ``Delete``): Azure merges on its side, so
        two writers adding tags at once keep both (a read-merge-write of the whole map would lose one)."""
        rest = import_sdk("azure.core.rest", "azure-core")
        exceptions = import_sdk("azure.core.exceptions", "azure-core")
        url = f"{self.cloud.arm_endpoint}{resource_id}/providers/Microsoft.Resources/tags/default"
        body = {"operation": operation, "properties": {"tags": tags}}
        request = rest.HttpRequest("PATCH", url, params={"api-version": "2025-03-01"}, json=body)
        response = self._arm_pipeline().send_request(request)
        if response.status_code >= 400:
            raise exceptions.HttpResponseError(response=response)
        return response.json()

    def vault_challenge(self, vault_url):
        """The ``WWW-Authenticate`` header a vault answers a request without a token with (Key Vault's documented
        challenge, which names the vault's tenant), or None. One try: a name that does not resolve is no fault."""
        if "plain" not in self._built:
            core = import_sdk("azure.core", "azure-core")
            policies = import_sdk("azure.core.pipeline.policies", "azure-core")
            self._built["plain"] = core.PipelineClient(
                vault_url,
                transport=self._transport(),
                policies=[policies.HeadersPolicy(), policies.UserAgentPolicy(USER_AGENT), self._retry()],
            )
        rest = import_sdk("azure.core.rest", "azure-core")
        request = rest.HttpRequest("GET", vault_url.rstrip("/") + "/keys", params={"api-version": "7.5"})
        response = self._built["plain"].send_request(request, retry_total=0)
        return response.headers.get("WWW-Authenticate") if response.status_code == 401 else None

    def resource_group(self, name):
        return self.arm_get(f"/subscriptions/{self.subscription_id}/resourcegroups/{name}", "2025-03-01")

    def subscription(self):
        return self.arm_get(f"/subscriptions/{self.subscription_id}", "2022-12-01")

    def first_subscription(self):
        """The first subscription the credential sees (azure.azcollection's choice for msi without one)."""
        found = self.arm_get("/subscriptions", "2022-12-01").get("value") or []
        if not found:
            raise CmkError("subscription_id: the credential can see no subscription; give subscription_id")
        return found[0]["subscriptionId"]
