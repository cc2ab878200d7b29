# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Azure Resource Graph (``POST /providers/Microsoft.ResourceGraph/resources``, api-version 2021-03-01): one query
over many subscriptions, its pages followed with ``$skipToken`` and paced by the per-user quota - and the queries
an estate's reads make, with their rows turned back into the bodies the resource providers answer.

Paging (Resource Graph's paging-results.md): at most 1,000 rows a page, a ``$skipToken`` only when the query
projects ``id`` and takes no ``limit``; every query here projects ``id`` and orders by it, so pages neither repeat
nor drop a row. Each page is a query against the quota ("15 queries within every 5-second window" per user,
guidance-for-throttled-requests.md): when an answer says none is left (``x-ms-user-quota-remaining: 0``), the
next page waits until the window resets (``x-ms-user-quota-resets-after``); a 429 is retried after its
``Retry-After`` by the clients' retry policy - both bounded by the run's wait_timeout.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkTimeout
from ansible_collections.azure_cmk.batch.plugins.module_utils._validate import iso

PAGE_ROWS = 1000  # the most rows Resource Graph answers a page
VALUES_PER_QUERY = 300  # values in one ``in~`` list: queries stay short
BROAD_SCOPES = ("/providers/microsoft.management/managementgroups/", "/")


class Answer:
    """A query's ``rows`` (every page's), how many ``pages`` it took, and when Resource Graph answered its first
    page (``as_of``: its rows are at least that old - the index lags the providers)."""

    def __init__(self, rows, pages, as_of):
        self.rows = rows
        self.pages = pages
        self.as_of = as_of


def kql_string(value):
    """``value`` as a KQL string literal (backslashes and quotes escaped: a name cannot change the query)."""
    return "'{}'".format(str(value).replace("\\", "\\\\").replace("'", "\\'"))


def kql_list(values):
    return "({})".format(", ".join(kql_string(v) for v in values))


def chunks(values, size=VALUES_PER_QUERY):
    values = sorted(set(values))
    return [values[start : start + size] for start in range(0, len(values), size)]


def hms_seconds(text):
    """``hh:mm:ss`` (the quota's reset header) in seconds; None when it is not that."""
    try:
        hours, minutes, seconds = (float(part) for part in (text or "").split(":"))
    except ValueError:
        return None
    return hours * 3600 + minutes * 60 + seconds


def quota_pause(headers):
    """How long to wait before the next query: until the quota's window resets when none is left, else 0."""
    remaining = (headers or {}).get("x-ms-user-quota-remaining")
    if remaining is None or not remaining.strip().isdigit() or int(remaining) > 0:
        return 0
    return hms_seconds(headers.get("x-ms-user-quota-resets-after")) or 1


def answered_at(headers, now=None):
    """When Azure answered (its ``Date`` header), else now, as an ISO time."""
    text = (headers or {}).get("Date")
    if text:
        try:
            return iso(parsedate_to_datetime(text))
        except (TypeError, ValueError):
            pass
    return iso(now) if now is not None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def scope_label(subscriptions=None, management_groups=None):
    if management_groups:
        return "management groups " + ", ".join(management_groups)
    if subscriptions:
        return "subscriptions " + ", ".join(subscriptions)
    return "the subscriptions the credential can read"


class _Pace:
    """When the next query may go (the quota's window), shared by a run's queries."""

    def __init__(self):
        self.not_before = 0.0


def _with_headers(response, deserialized, _headers):
    return deserialized, response.http_response.headers


def query(ctx, text, subscriptions=None, management_groups=None, sleep=time.sleep, clock=time.monotonic):
    """Every row of ``text`` over ``subscriptions`` or ``management_groups`` (neither: the caller's tenant)."""
    scope = {}
    if subscriptions:
        scope["subscriptions"] = list(subscriptions)
    if management_groups:
        scope["managementGroups"] = list(management_groups)
    label = scope_label(subscriptions, management_groups)
    pace = ctx.once(("resource graph pace",), _Pace)
    deadline = clock() + ctx.clients.timeout
    rows, token, pages, as_of = [], None, 0, None
    while True:
        wait = pace.not_before - clock()
        if wait > 0:
            if clock() + wait > deadline:
                raise CmkTimeout(f"Resource Graph's quota for {label} did not reset within the wait_timeout")
            ctx.note(f"waited {wait:.1f} s for Resource Graph's quota to reset")
            sleep(wait)
        options = {"$top": PAGE_ROWS, "resultFormat": "objectArray"}
        if token:
            options["$skipToken"] = token
        client = ctx.clients.resource_graph
        page, headers = ctx.call(
            "query Resource Graph over",
            label,
            client.resources,
            dict(scope, query=text, options=options),
            cls=_with_headers,
        )
        pages += 1
        as_of = as_of or answered_at(headers)
        pace.not_before = clock() + quota_pause(headers)
        if str(page.result_truncated).lower() == "true":
            raise CmkError(f"Resource Graph truncated the answer over {label} (the query must project id)")
        rows += page.data or []
        token = page.skip_token
        if not token:
            return Answer(rows, pages, as_of)


def accounts_query(resource_groups=None, names=None, locations=None, tags=None):
    """Batch accounts (``resources``), the filters in the query: resource groups, names, locations (as Resource
    Graph spells them: lower case, no spaces) and tags (a value of None: the tag only has to be there)."""
    steps = ["resources", "where type =~ 'microsoft.batch/batchaccounts'"]
    if resource_groups:
        steps.append("where resourceGroup in~ " + kql_list(resource_groups))
    if names:
        steps.append("where name in~ " + kql_list(names))
    if locations:
        steps.append("where location in~ " + kql_list(loc.replace(" ", "").lower() for loc in locations))
    for tag, value in sorted((tags or {}).items()):
        cell = f"tags[{kql_string(tag)}]"
        steps.append(f"where isnotnull({cell})" if value is None else f"where tostring({cell}) == {kql_string(value)}")
    steps.append(
        "project id, name, location, tags, identity, tenantId, "
        "keySource = tostring(properties.encryption.keySource), "
        "keyIdentifier = tostring(properties.encryption.keyVaultProperties.keyIdentifier), "
        "provisioningState = tostring(properties.provisioningState), "
        "poolAllocationMode = tostring(properties.poolAllocationMode), "
        "publicNetworkAccess = tostring(properties.publicNetworkAccess)"
    )
    steps.append("order by id asc")
    return " | ".join(steps)


def account_body(row):
    """A row of accounts_query as the account's GET answers it (what batch_account.normalize takes)."""
    props = {
        "provisioningState": row.get("provisioningState") or None,
        "poolAllocationMode": row.get("poolAllocationMode") or None,
        "publicNetworkAccess": row.get("publicNetworkAccess") or None,
    }
    if row.get("keySource"):
        props["encryption"] = {"keySource": row["keySource"]}
        if row.get("keyIdentifier"):
            props["encryption"]["keyVaultProperties"] = {"keyIdentifier": row["keyIdentifier"]}
    body = {k: row.get(k) for k in ("id", "name", "location", "tags")}
    return dict(body, identity=row.get("identity") or None, properties=props)


def vaults_query(names, resource_group=None):
    """Key Vault vaults by name (names are unique in a cloud), their properties whole: protections, tenant,
    authorization mode, access policies, network rules."""
    steps = ["resources", "where type =~ 'microsoft.keyvault/vaults'", "where name in~ " + kql_list(names)]
    if resource_group:
        steps.append("where resourceGroup =~ " + kql_string(resource_group))
    steps += ["project id, name, location, tags, properties", "order by id asc"]
    return " | ".join(steps)


def assignments_query(targets):
    """Role assignments (``authorizationresources``) that may grant a key of the vaults in ``targets`` (lower-cased
    ids of the vaults, their resource groups and subscriptions): at those scopes, at a key of those vaults, or at
    a management group or the root (whose reach Resource Graph does not say: see _estate)."""
    groups, root = kql_string(BROAD_SCOPES[0]), kql_string(BROAD_SCOPES[1])
    return " | ".join(
        (
            "authorizationresources",
            "where type =~ 'microsoft.authorization/roleassignments'",
            "extend scope = tolower(tostring(properties.scope)), principalId = tostring(properties.principalId), "
            "roleDefinitionId = tostring(properties.roleDefinitionId)",
            "extend target = iff(scope contains '/keys/', substring(scope, 0, indexof(scope, '/keys/')), scope)",
            f"where target in~ {kql_list(targets)} or scope startswith {groups} or scope == {root}",
            "project id, scope, principalId, roleDefinitionId",
            "order by id asc",
        )
    )
