# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lock per resource on this controller. Key Vault has no conditional create: two runs that both find
no key both make one, and the key gets two versions. The forks of a playbook and playbooks side by side
share this machine's temporary directory, so a file lock there makes their check-then-create take turns.
Writers that do not share it - other machines, AWX jobs (each in its own container) - are not covered:
modules detect and report their versions instead (key_writers.py).

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile

from ansible_collections.azure_cmk.batch.plugins.module_utils._wait import until


def _path(parts):
    directory = os.path.join(tempfile.gettempdir(), f"azure_cmk.batch-locks-{os.getuid()}")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    name = hashlib.sha256("|".join(p.lower() for p in parts).encode()).hexdigest()[:32]
    return os.path.join(directory, name + ".lock")


@contextlib.contextmanager
def held(what, parts, timeout, ctx=None):
    """Hold the lock for ``parts`` (say, a vault URL and a key name) while the block runs; wait for it at most
    ``timeout`` seconds, naming ``what`` when that is not enough."""
    with open(_path(parts), "a+") as handle:

        def take():
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            return True

        until(take, timeout, f"another run on this machine to finish with {what}", "it holds the lock", ctx)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
