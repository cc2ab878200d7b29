# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one module run shares: clients, cloud, check mode, warnings, and the reads already made.

Every Azure call goes through ``call``: the narrow error boundary. Azure SDK and transport errors
become one CmkError naming the action and the resource; anything else is a bug and keeps its
traceback (the module's outer guard reports it).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time

from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkNotFound
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import CmkValidationError
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import azure_errors
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import translate
from ansible_collections.azure_cmk.batch.plugins.module_utils._errors import uncertain
from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until


class RunContext:
    """What one run shares, built from its parts: the ``clients`` (a Clients, or a function that builds it on
    first use - a run that fails its offline checks signs in to nothing), the ``cloud``, whether it runs in
    ``check_mode``, and ``warn(message)``."""

    def __init__(self, clients, cloud, check_mode, warn):
        self._clients = clients
        self.cloud = cloud
        self.check_mode = check_mode
        self._warn = warn
        self._cache = {}
        self._lasting = set()
        # once() may run from a report's worker threads: one lock per key, so different reads go side by
        # side and the same read is made once (a second caller waits for the first one's answer).
        self._lock = threading.Lock()
        self._key_locks = {}
        self.notes = []  # faults absorbed on the way, returned so a scheduled job's log shows them
        self.said = None  # a RunSaid: the assumptions a check run has already warned of
        self._ahead = []  # reads started in the background (read_ahead), joined before a write's forget
        self._ahead_keys = set()  # what was read ahead in this run: once each
        self._subscriptions = {}

    @property
    def clients(self):
        if callable(self._clients):
            with self._lock:
                if callable(self._clients):
                    self._clients = self._clients()
        return self._clients

    @property
    def subscription_id(self):
        return self.clients.subscription_id

    def warn(self, message):
        self._warn(message)

    def for_subscription(self, subscription_id):
        """The context of another subscription's reads in this run (an estate's): the same credential, notes
        and warnings, its own clients and reads made once; one per subscription."""
        key, clients = subscription_id.lower(), self.clients
        with self._lock:
            if key not in self._subscriptions:
                other = RunContext(clients.for_subscription(subscription_id), self.cloud, self.check_mode, self._warn)
                other.notes = self.notes
                self._subscriptions[key] = other
            return self._subscriptions[key]

    def note(self, message):
        with self._lock:
            self.notes.append(message)

    def call(self, action, resource, func, *args, **kwargs):
        """``func(*args, **kwargs)``; an Azure failure becomes one CmkError naming action and resource."""
        try:
            return func(*args, **kwargs)
        except azure_errors() as exc:
            error = translate(exc, action, resource)
            if error.code == "SubscriptionNotFound":  # not "the resource is absent": the option is wrong
                raise CmkValidationError(f"subscription_id: {error.message}") from exc
            raise error from exc

    def call_safe(self, action, resource, func, *args, **kwargs):
        """Like call(), for a request that changes nothing although its method is not one azure-core retries
        (a POST that only asks, such as a name check): tried again after lost answers, throttling and server
        errors, until the clients' time is spent."""
        failed = []

        def attempt():
            try:
                return (self.call(action, resource, func, *args, **kwargs),)
            except CmkError as error:
                if not uncertain(error):
                    raise
                failed[:] = [error]
                self.note(f"retried {action} {resource}: {error.message}")
                return None

        what, why = f"{action} {resource}", "Azure answered with faults"
        return until(attempt, self.clients.timeout, what, why, give_up=lambda _: failed[0])[0]

    def read(self, action, resource, func, *args, **kwargs):
        """Like call(), but a 404 means None (the resource does not exist)."""
        try:
            return self.call(action, resource, func, *args, **kwargs)
        except CmkNotFound:
            return None

    def claims(self):
        """The claims of the caller's Resource Manager token (``oid``: who runs the module, ``tid``: its tenant,
        which is the subscription's: a token of another tenant is refused). The token is the one the clients
        use anyway, so this costs no call of its own."""

        def fetch():
            clients = self.clients
            token = self.call("get a token", "the caller", clients.credential.get_token, clients.cloud.arm_scope)
            try:
                payload = token.token.split(".")[1]
                return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            except (IndexError, ValueError) as exc:
                raise CmkValidationError("the credential's token is not a JWT: its principal cannot be read") from exc

        return self.once(("claims",), fetch, lasting=True)

    def once(self, key, fetch, lasting=False):
        """``fetch()``, made once per run for ``key`` (a tuple): reads several checks need. ``lasting`` (True, or a
        test of the value): what no write of the run can change (who a principal is, a role definition, an RBAC
        vault when only a role is granted on it), kept when ``forget`` drops the rest."""
        if key in self._cache:
            return self._cache[key]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._cache:
                value = self._cache[key] = fetch()
                if lasting is True or (callable(lasting) and lasting(value)):
                    self._lasting.add(key)
            return self._cache[key]

    def read_ahead(self, key, read):
        """Start ``read()`` - the read ``once`` makes for ``key`` - in the background, once per run: it goes side
        by side with the reads before its first use (which waits for it, or reads again if it failed). At Azure's
        latency a read of another host costs a tunnel and a round trip that the reads of Resource Manager then
        hide. Not again for a key already read ahead: a re-read after a write, or a poll, reads in order."""
        if self.clients is None:  # built here: a sign-in or discovery failure is this thread's to report
            return
        with self._lock:
            if key in self._cache or key in self._ahead_keys:
                return
            self._ahead_keys.add(key)
            thread = threading.Thread(target=_quietly, args=(read,), daemon=True)
            self._ahead.append(thread)
            thread.start()

    def settle(self, most=10):
        """Wait for the reads ahead still under way, ``most`` seconds in all: the run is over, their answers unused."""
        with self._lock:
            ahead, self._ahead = self._ahead, []
        deadline = time.monotonic() + most
        for thread in ahead:
            thread.join(max(0.0, deadline - time.monotonic()))

    def cached(self, key):
        """What ``once`` has already read for ``key``; None when it has not, or the read failed."""
        return self._cache.get(key)

    def forget(self):
        """Drop every cached read but the lasting ones: after a write, re-reads must see Azure's new state."""
        with self._lock:
            ahead, self._ahead = self._ahead, []
        for thread in ahead:  # none of them may land after the write
            thread.join()
        with self._lock:
            self._cache = {key: value for key, value in self._cache.items() if key in self._lasting}

    def assume(self, text, about=None):
        """Warn of a check-mode assumption, once per run (``said``, when the run has a directory): ``about`` (the
        text by default) names what is assumed, so that tasks putting it in other words are not heard twice."""
        if self.said is None or self.said.first(about or text):
            self.warn(text)

    def not_yet(self, option, message, problems=None, check_message=None):
        """Something an earlier task of the same run creates: in check mode, warn and go on (None);
        otherwise fail naming the option (or add the problem to ``problems``)."""
        if self.check_mode:
            self.assume((check_message or message) + " (check mode: assuming an earlier task creates it)", message)
            return None
        text = f"{option}: {message}"
        if problems is None:
            raise CmkValidationError(text)
        problems.append(text)
        return None


def _quietly(read):
    """A read ahead: what Azure answered with (a CmkError) is met again, and reported, where the answer is used; a
    bug keeps its traceback."""
    with contextlib.suppress(CmkError):
        read()
