# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AzureCmkModule: AnsibleModule plus the authentication options, lazy clients and one error path.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import AUTH_ARGSPEC
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import cli_default_subscription
from ansible_collections.azure_cmk.batch.plugins.module_utils._auth import resolve
from ansible_collections.azure_cmk.batch.plugins.module_utils._clients import Clients
from ansible_collections.azure_cmk.batch.plugins.module_utils._cloud import get_cloud
from ansible_collections.azure_cmk.batch.plugins.module_utils._context import RunContext
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import authority_host
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import build_credential
from ansible_collections.azure_cmk.batch.plugins.module_utils._credential import credential_identity
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkAuthError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkMissingLibrary
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import failure_details
from ansible_collections.azure_cmk.batch.plugins.module_utils._run_said import RunSaid
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import RunCache
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import credential_digest
from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import unsafe
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import common_problems
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import require

# Shared by every module that manages tags; documented by the azure_cmk.batch.tags doc fragment.
TAGS_ARGSPEC = dict(
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=False),
)


class AzureCmkModule:
    """Composes AnsibleModule; building it runs nothing against Azure (clients come on first use)."""

    def __init__(self, argument_spec, **kwargs):
        spec = dict(AUTH_ARGSPEC)
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self._clients = None
        self._auth = None
        self.ctx = None  # the run's context, built by run() once the options pass their offline checks

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff

    @property
    def auth(self):
        if self._auth is None:
            self._auth = resolve(self.params)
        return self._auth

    @property
    def cloud(self):
        return get_cloud(self.auth.get("cloud_environment"))

    @property
    def clients(self):
        if self._clients is None:
            auth, cloud = self.auth, self.cloud
            self._clients = Clients(
                lambda **transport: build_credential(auth, cloud, **transport),
                auth.subscription_id,
                cloud,
                self.params.get("wait_timeout"),
                self.ctx.notes if self.ctx is not None else [],
                cache=self._token_cache(auth, cloud),
                authority_host=authority_host(auth),
            )
            if not self._clients.subscription_id:
                self._clients.subscription_id = self._discover_subscription()
        return self._clients

    def context(self):
        """The run's context, from its parts: clients built on first use, the cloud, check mode, warnings (in a
        check run with the run's directory, each assumption once per run)."""
        ctx = RunContext(lambda: self.clients, self.cloud, self.check_mode, self.warn)
        directory = self.params.get("token_cache_dir")
        if self.check_mode and directory and not unsafe(directory):
            ctx.said = RunSaid(directory)
        return ctx

    def _token_cache(self, auth, cloud):
        """The run's token cache for this credential: in ``token_cache_dir`` (the run's own temporary directory,
        set by the collection's action plugin when the module runs on the controller), unless ``token_cache``
        is off."""
        directory = self.params.get("token_cache_dir")
        if not directory or not self.params.get("token_cache"):
            return None
        problem = unsafe(directory)
        if problem:
            raise CmkValidationError(f"token_cache_dir: {directory} cannot hold tokens: {problem}")
        parts = credential_identity(auth, cloud)
        return None if parts is None else RunCache(directory, credential_digest(directory, parts))

    def _discover_subscription(self):
        if self.auth.kind == "cli":
            return cli_default_subscription(self.module.run_command)
        if self.auth.kind == "msi":
            return self._clients.first_subscription()
        return None

    def warn(self, message):
        self.module.warn(message)

    def fail_from_error(self, error):
        if isinstance(error, CmkMissingLibrary):
            self.module.fail_json(msg=missing_required_lib(error.package), exception=str(error.error))
        result = self._with_notes(dict(error.to_result(), **failure_details(error)))
        if isinstance(error, CmkAuthError) and self._auth is not None:
            result["msg"] += f" (credentials from {self._auth.source})"
        self.module.fail_json(**result)

    def exit_result(self, result):
        if self._clients is not None:
            self._clients.finish()  # a token fetched ahead for the run's next tasks lands in the run's cache
        self.module.exit_json(**self._with_notes(result))

    def _with_notes(self, result):
        """Faults absorbed on the way (retries, waits), so a scheduled job's log shows them."""
        if self.ctx is not None and self.ctx.notes:
            result["absorbed"] = list(self.ctx.notes)
        return result

    def run(self, runner):
        """Run ``runner(self) -> result`` and exit; CmkError -> fail_json, anything else -> fail_json + traceback."""
        try:
            require(common_problems(self.params))
            self.ctx = self.context()
            try:
                result = runner(self)
            finally:
                self.ctx.settle()  # no read ahead outlives the task (nor lands in a later one, in tests)
        except CmkError as error:
            self.fail_from_error(error)
        except Exception as error:
            self.module.fail_json(
                msg=f"Unexpected error: {type(error).__name__}: {error}", exception=traceback.format_exc()
            )
        self.exit_result(result)
