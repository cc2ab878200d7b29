# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which modules get the run's token cache directory: the action plugins' decision, free of Ansible's controller
code so that tests can import it beside in-process module runs.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.module_utils._token_cache import unsafe


def run_directory(connection, play_context, local_tmp):
    """``local_tmp`` (ansible-playbook's own temporary directory for the run) for a module run through
    ``connection`` on this machine as this user, when only this user may use it; else None."""
    if getattr(connection, "transport", None) != "local" or play_context.become:
        return None
    if not local_tmp or unsafe(local_tmp):
        return None
    return local_tmp
