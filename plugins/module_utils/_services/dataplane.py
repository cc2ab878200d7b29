# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a vault's data plane there for the caller yet? A new vault's name resolves only once its DNS
registration is done, and a new grant reaches Key Vault only minutes later: modules that depend on
either wait for it by reading, bounded by their wait_timeout.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import re

from ansible_collections.azure_cmk.batch.plugins.module_utils import _lro
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkUnreachable
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import DNS_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import GRANT_DELAY
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until

# A key name no one uses: the answer to reading it tells whether the vault resolves and lets the caller read,
# and never returns key material.
PROBE_KEY = "azure-cmk-batch-probe"
UNREACHABLE = "unreachable"
FORBIDDEN = "forbidden"
READY = "ready"
# Key Vault's challenge: Bearer authorization="https://login.windows.net/<tenant>", resource="..."
_CHALLENGE_TENANT = re.compile(r'authorization(?:_uri)?="https://[^/"]+/([^/"]+)', re.I)


def answer(ctx, vault_url):
    """How the vault answers the caller now: ``unreachable`` (its name does not resolve yet), ``forbidden``
    (the caller's grant is not effective yet) or ``ready``."""
    keys = ctx.clients.keys(vault_url)
    try:
        ctx.read("probe", vault_url, keys.get_key, PROBE_KEY, **_lro.NO_CONNECT_RETRY)
    except CmkUnreachable:
        return UNREACHABLE
    except CmkError as error:
        if error.status == 403:
            return FORBIDDEN
        raise
    return READY


def wait_until_resolves(ctx, vault_url, timeout):
    until(
        lambda: answer(ctx, vault_url) != UNREACHABLE or None,
        timeout,
        f"{vault_url} to resolve",
        DNS_DELAY,
        ctx,
    )


def wait_until_caller_may_read(ctx, vault_url, timeout):
    """Until the caller's grant lets it read keys (a grant that never comes times out naming the cause)."""
    until(
        lambda: answer(ctx, vault_url) == READY or None,
        timeout,
        f"Key Vault to let the caller read keys in {vault_url} (if it was never granted, grant it with "
        "azure_cmk.batch.keyvault_access_policy caller: true)",
        GRANT_DELAY,
        ctx,
    )


def vault_tenant(ctx, vault_url):
    """The tenant of the vault at ``vault_url``, as its challenge names it (read once per run; None when it names
    none). For a vault Resource Manager does not show the caller: one in another subscription or tenant.
    Raises CmkUnreachable when the name does not resolve."""

    def fetch():
        header = ctx.call("ask the tenant of", vault_url, ctx.clients.vault_challenge, vault_url)
        found = _CHALLENGE_TENANT.search(header or "")
        return found.group(1) if found else None

    return ctx.once(("vault tenant", vault_url.lower()), fetch)
