"""Batch pools (Microsoft.Batch/batchAccounts/pools, api-version 2025-06-01): the body Batch answers, what a
PUT replaces and a PATCH merges, what a pool with nodes may not change, and its node counts.

Shapes from Azure's own answers: the azure-sdk-for-python recording of pools created, listed, patched, read
and deleted (``test_mgmt_batch_pools``, api-version 2022-01-01: defaults filled in, ``vmSize`` upper-cased,
``password`` and ``nodeDeallocationOption`` never returned, a weak ETag) and the 2025-06-01 examples
(``jobDefaultOrder``). Allocation is immediate: a pool's nodes are there, ``allocationState`` ``Steady``, as
soon as its PUT or PATCH answers (Azure answers ``Resizing`` and allocates within minutes).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import datetime
from datetime import timezone
from typing import Any

from ...errors import BatchError

TYPE = "Microsoft.Batch/batchAccounts/pools"
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TOP_LEVEL = ("id", "name", "type", "etag", "properties", "identity", "tags", "systemData")
WRITABLE = (
    "displayName",
    "vmSize",
    "deploymentConfiguration",
    "scaleSettings",
    "interNodeCommunication",
    "networkConfiguration",
    "taskSlotsPerNode",
    "taskSchedulingPolicy",
    "userAccounts",
    "metadata",
    "startTask",
    "applicationPackages",
    "mountConfiguration",
    "upgradePolicy",
)
READ_ONLY = (
    "lastModified",
    "creationTime",
    "provisioningState",
    "provisioningStateTransitionTime",
    "allocationState",
    "allocationStateTransitionTime",
    "currentDedicatedNodes",
    "currentLowPriorityNodes",
    "autoScaleRun",
    "resizeOperationStatus",
)
# "The properties that don't require the pool to be size zero for the new value to take effect" (Update Batch
# pool properties, learn.microsoft.com; its `certificates` is not in the 2025-06-01 spec). All others do.
CHANGEABLE_WITH_NODES = ("applicationPackages", "metadata", "scaleSettings", "startTask")
# A PUT on an existing pool replaces its properties, but Microsoft's own update example sends no vmSize.
KEPT_BY_PUT = ("vmSize", "deploymentConfiguration")
DEFAULTS: dict[str, Any] = {
    "interNodeCommunication": "Disabled",
    "taskSlotsPerNode": 1,
    "taskSchedulingPolicy": {"nodeFillType": "Spread", "jobDefaultOrder": "None"},
}
RESIZE_TIMEOUT = "PT15M"


def now() -> str:
    """Batch's timestamps have seven fractional digits."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def pool_id(account_id: str, name: str) -> str:
    return f"{account_id}/pools/{name}"


def invalid_body(reason: str, path: str) -> BatchError:
    """Batch's answer to a member a Pool has not (an AzureRMR issue quotes it: 'Could not find member ...')."""
    return BatchError(
        400,
        "InvalidRequestBody",
        "The specified Request Body is not syntactically valid.",
        target="BatchAccount",
        details=[{"code": "Reason", "message": reason}, {"code": "PropertyPath", "message": path}],
    )


def requested(body: dict[str, Any]) -> dict[str, Any]:
    """The request's ``properties`` (read-only ones dropped, as Batch ignores them); unknown members refused."""
    for member in body:
        if member not in TOP_LEVEL:
            raise invalid_body(f"Could not find member '{member}' on object of type 'Pool'.", member)
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise invalid_body("The member 'properties' must be an object.", "properties")
    for member in props:
        if member not in WRITABLE + READ_ONLY:
            raise invalid_body(
                f"Could not find member '{member}' on object of type 'PoolProperties'.", f"properties.{member}"
            )
    return {k: copy.deepcopy(v) for k, v in props.items() if k in WRITABLE}


def replaced(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """What a PUT on an existing pool leaves: the request's properties, the required ones kept if not given."""
    kept = {k: copy.deepcopy(current[k]) for k in KEPT_BY_PUT if k in current and k not in given}
    return {**kept, **given}


def merged(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """What a PATCH leaves: "any property not supplied will be unchanged"; an empty startTask removes it."""
    result = {k: copy.deepcopy(v) for k, v in current.items() if k in WRITABLE}
    result.update(given)
    if given.get("startTask") == {}:
        del result["startTask"]
    return result


def normalized(props: dict[str, Any]) -> dict[str, Any]:
    """The writable properties as Batch shows them back: defaults filled in, write-only members dropped."""
    result = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(props)}
    if isinstance(result.get("vmSize"), str):
        result["vmSize"] = result["vmSize"].upper()
    vmc = (result.get("deploymentConfiguration") or {}).get("virtualMachineConfiguration")
    image = (vmc or {}).get("imageReference")
    if isinstance(image, dict) and not image.get("id") and "version" not in image:
        image["version"] = "latest"
    result["scaleSettings"] = _scale(result.get("scaleSettings"))
    for account in result.get("userAccounts") or []:
        if isinstance(account, dict):
            account.pop("password", None)  # write-only (the recording's answer leaves it out)
    return {k: v for k, v in result.items() if v is not None}


def _scale(given: dict[str, Any] | None) -> dict[str, Any]:
    """ "If this property is not specified, the pool will have a fixed scale with 0 targetDedicatedNodes." """
    if given and given.get("autoScale"):
        auto = dict(given["autoScale"])
        auto.setdefault("evaluationInterval", RESIZE_TIMEOUT)
        return {"autoScale": auto}
    fixed = dict((given or {}).get("fixedScale") or {})
    fixed.pop("nodeDeallocationOption", None)  # write-only: a GET never returns it (Azure/azure-rest-api-specs#20948)
    fixed.setdefault("targetDedicatedNodes", 0)
    fixed.setdefault("targetLowPriorityNodes", 0)
    fixed.setdefault("resizeTimeout", RESIZE_TIMEOUT)
    return {"fixedScale": fixed}


def allocate(props: dict[str, Any], given_scale: dict[str, Any] | None, stamp: str) -> None:
    """Bring the nodes to the scale settings' target at once (see the module's docstring)."""
    scale = props["scaleSettings"]
    for member in ("resizeOperationStatus", "autoScaleRun"):
        props.pop(member, None)
    if "autoScale" in scale:
        dedicated, low = _formula_targets(scale["autoScale"].get("formula", ""))
        props["autoScaleRun"] = {
            "evaluationTime": stamp,
            "results": f"$TargetDedicatedNodes={dedicated};$TargetLowPriorityNodes={low};"
            "$NodeDeallocationOption=requeue",
        }
    else:
        fixed = scale["fixedScale"]
        dedicated, low = int(fixed["targetDedicatedNodes"]), int(fixed["targetLowPriorityNodes"])
        option = ((given_scale or {}).get("fixedScale") or {}).get("nodeDeallocationOption", "Requeue")
        status = {"targetDedicatedNodes": dedicated, "nodeDeallocationOption": option}
        if low:
            status["targetLowPriorityNodes"] = low
        props["resizeOperationStatus"] = {**status, "resizeTimeout": fixed["resizeTimeout"], "startTime": stamp}
    props.update(currentDedicatedNodes=dedicated, currentLowPriorityNodes=low, allocationState="Steady")
    props["allocationStateTransitionTime"] = stamp


def _formula_targets(formula: str) -> tuple[int, int]:
    """The targets an autoscale formula's literal assignments give (anything more elaborate counts as 0)."""
    assignments = re.finditer(r"\$(TargetDedicatedNodes|TargetLowPriorityNodes)\s*=\s*(\d+)", formula)
    found = {m[1]: int(m[2]) for m in assignments}
    return found.get("TargetDedicatedNodes", 0), found.get("TargetLowPriorityNodes", 0)


def nodes(props: dict[str, Any]) -> int:
    return int(props.get("currentDedicatedNodes") or 0) + int(props.get("currentLowPriorityNodes") or 0)


def changed(current: dict[str, Any], candidate: dict[str, Any]) -> list[str]:
    """The writable properties whose value a write would change, in the spec's order."""
    return [k for k in WRITABLE if current.get(k) != candidate.get(k)]


def refuse_changes_with_nodes(current: dict[str, Any], candidate: dict[str, Any]) -> None:
    """ "All other updateable pool properties require the pool to be of size zero nodes" (learn.microsoft.com);
    Batch refuses with PropertyCannotBeUpdated (its answer is quoted in Azure/Batch#85, azure-sdk-for-net#40325)."""
    if nodes(current) == 0 and current.get("allocationState") == "Steady":
        return
    for name in changed(current, candidate):
        if name not in CHANGEABLE_WITH_NODES:
            message = "A property that cannot be updated was specified as part of the request."
            raise BatchError(
                400,
                "PropertyCannotBeUpdated",
                message,
                target="BatchAccount",
                details=[
                    {"code": "Reason", "message": message},
                    {"code": "PropertyName", "message": name},
                    {"code": "PropertyPath", "message": f"properties.{name}"},
                ],
            )


def stamp_etag(body: dict[str, Any]) -> str:
    """A weak ETag of the body's content, as Batch's pools carry (W/"0x8D..."), set in the body too."""
    body.pop("etag", None)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:13].upper()
    body["etag"] = f'W/"0x8D{digest}"'
    return body["etag"]


def new_body(rid: str, name: str) -> dict[str, Any]:
    stamp = now()
    return {
        "id": rid,
        "name": name,
        "type": TYPE,
        "properties": {
            "creationTime": stamp,
            "provisioningState": "Succeeded",
            "provisioningStateTransitionTime": stamp,
        },
    }


def write(body: dict[str, Any], props: dict[str, Any], given_scale: dict[str, Any] | None, resize: bool) -> None:
    """Put the writable ``props`` into ``body``, allocate when the scale changed, stamp the time and ETag."""
    stamp = now()
    kept = {k: v for k, v in body["properties"].items() if k in READ_ONLY}
    body["properties"] = {**props, **kept, "lastModified": stamp}
    if resize:
        allocate(body["properties"], given_scale, stamp)
    stamp_etag(body)
