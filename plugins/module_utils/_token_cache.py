# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the tasks of one run share so that only the first signs in: a file per credential in a directory
only this user can use (normally ansible-playbook's own per-run temporary directory, handed to the module by
the collection's action plugin; ansible-playbook removes it when it ends).

A file holds, for one credential (its name is a salted digest of the cloud, authority, tenant, client id,
credential kind and secret, so another credential or tenant never finds it):
  - ``tokens``: access tokens by scope and tenant, each with its ``expires_on``; served until 5 minutes before
    that (as azure-core renews them), dropped after. Never a client secret, a password or a refresh token:
    azure-identity hands out access tokens only.
  - ``metadata``: Entra ID's public discovery answers (OpenID configuration), what MSAL's ``http_cache`` holds,
    for 24 hours at most, as MSAL keeps them.
  - ``vaults``: each vault's Key Vault challenge (its tenant's authority and the resource), public: Key Vault
    gives it to anyone who asks without a token.

Files are 0600, written whole to a temporary file that is renamed over the old one (a reader never sees half
a file), read-modify-written under an flock so that forks writing at once merge their entries, and a file that
cannot be trusted (not valid JSON, of another format, another owner's, readable by others) counts as empty. A
credential's sign-in takes the same lock: forks that start together wait for the first one's token instead of
each signing in. Nothing here ever fails a task: without a usable cache the module signs in as it would
without one.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import threading
import time

FORMAT = 1
SECTIONS = ("tokens", "metadata", "vaults")
# Seconds before expires_on when a cached token is no longer handed out (azure-core's own refresh margin).
REFRESH_MARGIN = 300
# How long Entra ID's discovery answers are kept (MSAL's http_cache keeps them a day).
METADATA_SECONDS = 24 * 3600
# The credential digest is salted with the directory and stretched: a leftover file (a run killed before
# ansible-playbook could remove its directory) does not let anyone test guesses of a password quickly.
DIGEST_ROUNDS = 20000
_POLL = 0.05
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def unsafe(directory):
    """Why ``directory`` cannot hold tokens (a sentence), or None: it must be a real directory of this user
    that no one else may list, read or write (mode 0700 or stricter)."""
    try:
        info = os.lstat(directory)
    except OSError as exc:
        return f"it cannot be used ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if info.st_uid != os.geteuid():
        return "it belongs to another user"
    if info.st_mode & 0o077:
        return f"other users may use it (mode {stat.S_IMODE(info.st_mode):04o}; it must be 0700)"
    return None


def credential_digest(directory, parts):
    """A name for the credential ``parts`` (a dict that may hold its secret) that reveals none of them."""
    material = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", material, directory.encode("utf-8"), DIGEST_ROUNDS).hex()[:40]


def _empty():
    return {"format": FORMAT, "tokens": {}, "metadata": {}, "vaults": {}}


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _valid_token(entry):
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("token"), str)
        and _number(entry.get("expires_on"))
        and (entry.get("refresh_on") is None or _number(entry.get("refresh_on")))
    )


def _sanitized(data):
    """``data`` as read from a file, keeping only well-formed entries; empty if it is not this format."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return _empty()
    clean = _empty()
    tokens = data.get("tokens")
    if isinstance(tokens, dict):
        clean["tokens"] = {k: v for k, v in tokens.items() if _valid_token(v)}
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        clean["metadata"] = {
            k: v
            for k, v in metadata.items()
            if isinstance(v, dict) and isinstance(v.get("body"), str) and _number(v.get("stored"))
        }
    vaults = data.get("vaults")
    if isinstance(vaults, dict):
        clean["vaults"] = {
            k: v
            for k, v in vaults.items()
            if isinstance(v, dict) and all(isinstance(v.get(f), str) for f in ("authorization", "resource"))
        }
    return clean


class RunCache:
    """One credential's file in the run's cache directory (see the module's docstring)."""

    def __init__(self, directory, digest, clock=time.time):
        base = os.path.join(directory, f"azure_cmk.batch-{digest}")
        self.directory = directory
        self.path = base + ".json"
        self.lock_path = base + ".lock"
        self._clock = clock
        self._data = None
        self._thread_lock = threading.RLock()  # a report's worker threads share one RunCache
        self._held = False  # whether this process holds the file lock (by the thread that holds _thread_lock)

    # Reading and writing the file

    def _read(self):
        try:
            fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW)
        except OSError:
            return _empty()
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.geteuid() or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode):
                return _empty()
            try:
                return _sanitized(json.loads(handle.read().decode("utf-8")))
            except (ValueError, UnicodeDecodeError):
                return _empty()

    def _write(self, data):
        """Write ``data`` whole, atomically, owner-only; a failure (disk full, directory gone) is ignored."""
        try:
            fd, temporary = tempfile.mkstemp(prefix=".azure_cmk.batch-", suffix=".tmp", dir=self.directory)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    @contextlib.contextmanager
    def locked(self, timeout):
        """Hold this credential's lock (other threads and processes wait) for at most ``timeout`` seconds of
        waiting; yields whether it is held. Not getting it is not an error: the caller goes on without it."""
        with self._thread_lock:
            if self._held:  # taken further up this thread's stack (a sign-in storing the metadata it fetched)
                yield True
                return
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
            except OSError:
                yield False
                return
            try:
                deadline = time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        self._held = True
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            break
                        time.sleep(_POLL)
                    except OSError:
                        break
                yield self._held
            finally:
                if self._held:
                    self._held = False
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _view(self):
        if self._data is None:
            self._data = self._read()
        return self._data

    def _prune(self, data):
        now = self._clock()
        data["tokens"] = {k: v for k, v in data["tokens"].items() if v["expires_on"] > now}
        data["metadata"] = {k: v for k, v in data["metadata"].items() if now - v["stored"] < METADATA_SECONDS}
        return data

    def _store(self, section, key, value):
        """Merge one entry into the file as it is now (another fork may have added others); lock held or not."""
        data = self._read()
        data[section][key] = value
        self._data = self._prune(data)
        self._write(self._data)

    # What the clients ask

    def _fresh(self, entry):
        now = self._clock()
        if entry is None or entry["expires_on"] - REFRESH_MARGIN <= now:
            return None
        if entry.get("refresh_on") is not None and entry["refresh_on"] <= now:
            return None
        return entry

    def token(self, key):
        """The cached token for ``key`` that is still good for at least 5 minutes, or None."""
        return self._fresh(self._view()["tokens"].get(key))

    def token_or_fetch(self, key, fetch, timeout):
        """The token for ``key``: cached, else ``fetch()``-ed (a dict: token, expires_on, refresh_on) and stored.
        Under the credential's lock, so that forks and threads asking at once sign in once."""
        entry = self.token(key)
        if entry is not None:
            return entry
        with self.locked(timeout):
            self._data = self._read()
            entry = self.token(key)
            if entry is not None:
                return entry
            entry = fetch()
            self._store("tokens", key, entry)
            return entry

    def metadata(self, url):
        entry = self._view()["metadata"].get(url)
        if entry is None or self._clock() - entry["stored"] >= METADATA_SECONDS:
            return None
        return entry["body"]

    def store_metadata(self, url, body, timeout):
        with self.locked(timeout):
            self._store("metadata", url, {"body": body, "stored": self._clock()})

    def vault(self, host):
        """The challenge of the vault at ``host``: {"authorization": ..., "resource": ...}, or None."""
        return self._view()["vaults"].get(host.lower())

    def store_vault(self, host, authorization, resource, timeout):
        wanted = {"authorization": authorization, "resource": resource}
        if self.vault(host) == wanted:
            return
        with self.locked(timeout):
            self._store("vaults", host.lower(), wanted)
