# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the client layer, and the one place that turns Azure SDK exceptions into them.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import re
import sys
import traceback

# Batch appends "RequestId:<id> Time:<iso>" to its messages; the id is returned on its own.
_BATCH_SUFFIX = re.compile(r"\s*RequestId:\S+\s*Time:\S+\s*$")


class CmkError(Exception):
    """A failure to report with fail_json: message plus Azure's status, error code and request id."""

    def __init__(self, message, code=None, status=None, request_id=None, details=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.details = details

    def to_result(self):
        result = {"msg": self.message}
        for key, value in (
            ("status", self.status),
            ("error_code", self.code),
            ("request_id", self.request_id),
            ("error_details", self.details),
        ):
            if value is not None:
                result[key] = value
        return result


class CmkValidationError(CmkError):
    """Bad input, found before any write: the message names the option and the rule."""


class CmkNotFound(CmkError):
    pass


class CmkAuthError(CmkError):
    pass


class CmkUnreachable(CmkError):
    """Azure could not be reached, or its answer was lost: a write may or may not have happened."""


class CmkRefused(CmkError):
    """Azure refused a write, for a cause that waiting will not remove: nothing was written, and it is not
    tried again - whatever the status Azure answered with (a 409 "only deletion is allowed", say)."""


class CmkTimeout(CmkError):
    """A long-running operation did not finish in time; ``last`` is the last state seen."""

    def __init__(self, message, last=None):
        super().__init__(message, code="Timeout")
        self.last = last


class CmkMissingLibrary(CmkError):
    def __init__(self, package, error=None):
        super().__init__(f"The Python package {package} is required by this module")
        self.package = package
        self.error = error


# The distributions behind the Azure modules a run may load, as failures name their versions.
_DISTRIBUTIONS = (
    ("azure.core", "azure-core"),
    ("azure.identity", "azure-identity"),
    ("msal", "msal"),
    ("azure.mgmt.batch", "azure-mgmt-batch"),
    ("azure.mgmt.keyvault", "azure-mgmt-keyvault"),
    ("azure.mgmt.msi", "azure-mgmt-msi"),
    ("azure.mgmt.authorization", "azure-mgmt-authorization"),
    ("azure.keyvault.keys", "azure-keyvault-keys"),
    ("azure.mgmt.resourcegraph", "azure-mgmt-resourcegraph"),
)


def sdk_versions(loaded=None):
    """{distribution: version} of the Azure SDKs this run loaded (``loaded``: module names; sys.modules by
    default), as amazon.aws's failures name boto3's: a report from a job log says what it ran with."""
    from importlib import metadata  # only a failure pays for it

    if loaded is None:
        loaded = sys.modules
    found = {}
    for module, distribution in _DISTRIBUTIONS:
        if module in loaded:
            try:
                found[distribution] = metadata.version(distribution)
            except metadata.PackageNotFoundError:
                found[distribution] = None
    return found


def failure_details(error):
    """What a failure carries beside its message, for an error that came from Azure (nothing for bad input found
    offline): the exception's type and first line, its traceback, and the SDK versions."""
    cause = error.__cause__
    if cause is None or isinstance(error, CmkValidationError):
        return {}
    text = "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
    first = (str(cause).strip().splitlines() or [""])[0]
    # The traceback shows only where the controller displays tracebacks (ansible-core 2.19:
    # ANSIBLE_DISPLAY_TRACEBACK=error); the exception's type and first line always do.
    return {"exception": text, "azure_exception": f"{type(cause).__name__}: {first}", "azure_versions": sdk_versions()}


def azure_errors():
    """The exceptions the Azure SDKs raise (a tuple, empty without azure-core): what ``translate`` handles."""
    try:  # imported here: a module that never meets an Azure error never loads azure-core for it
        from azure.core.exceptions import AzureError
    except ImportError:
        return ()
    return (AzureError,)


def _azure_message(exc):
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    return code, _BATCH_SUFFIX.sub("", str(message).splitlines()[0] if code else str(message)).strip()


def _request_id(exc):
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    return headers.get("x-ms-request-id")


def uncertain(error):
    """Whether a failed write may still have happened: a lost answer, a timeout, a conflict with an operation
    in progress (often our own, repeated by a retry after a lost answer), throttling or a server error."""
    if isinstance(error, CmkRefused):
        return False
    return isinstance(error, CmkUnreachable) or error.status in (408, 409, 429) or (error.status or 0) >= 500


def translate(exc, action, resource):
    """One CmkError for ``exc``, saying what we were doing to which resource and what Azure said."""
    if isinstance(exc, CmkError):
        return exc
    try:  # imported here: a module that never meets an Azure error never loads azure-core for it
        from azure.core import exceptions as _azure
    except ImportError:
        _azure = None
    if _azure is None:
        return CmkError(f"Failed to {action} {resource}: {exc}")
    if isinstance(exc, _azure.ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        return CmkAuthError(f"Failed to authenticate to {action} {resource}: {exc.message or exc}")
    if isinstance(exc, _azure.HttpResponseError):
        code, message = _azure_message(exc)
        kind = CmkNotFound if isinstance(exc, _azure.ResourceNotFoundError) else CmkError
        if isinstance(exc, _azure.ClientAuthenticationError):
            kind = CmkAuthError
        text = "Failed to {} {}: {}{}".format(action, resource, code + ": " if code else "", message)
        return kind(text, code=code, status=exc.status_code, request_id=_request_id(exc))
    if isinstance(exc, (_azure.ServiceRequestError, _azure.ServiceResponseError)):
        return CmkUnreachable(f"Failed to {action} {resource}: Azure could not be reached: {exc}")
    return CmkError(f"Failed to {action} {resource}: {type(exc).__name__}: {exc}")
