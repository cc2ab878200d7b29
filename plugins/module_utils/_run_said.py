# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a check run has already said. An assumption - "vault 'x' does not exist; assuming an earlier task creates
it" - is warned by the first task of the run that makes it, not again by every task (and host) after it: a
greenfield check run that repeats it teaches operators to ignore warnings. Kept in the run's own directory (the
one the action plugins hand the modules for the token cache), as digests of the texts said: nothing else.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import hashlib
import os

FILE = "check-run-said"


class RunSaid:
    """The assumptions said in this run, in ``directory`` (a safe one: see ``_token_cache.unsafe``)."""

    def __init__(self, directory):
        self._path = os.path.join(directory, FILE)

    def first(self, text):
        """Whether ``text`` is said for the first time in this run (and remember it). Two forks saying it at the
        same moment may both say it; a file that cannot be read or written makes every task say it, as before."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        try:
            with open(self._path, encoding="ascii") as handle:
                if digest in handle.read().split():
                    return False
        except (OSError, ValueError):
            pass
        try:
            handle = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                os.write(handle, (digest + "\n").encode("ascii"))  # one short append: whole, even beside a fork's
            finally:
                os.close(handle)
        except OSError:
            pass
        return True
