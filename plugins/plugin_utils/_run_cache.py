# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin of every azure_cmk.batch module: it runs the module as Ansible's own ``normal`` action does,
and, when the module runs on this machine as this user, hands it the run's token cache directory.

That directory is ansible-playbook's own per-run temporary directory (``ansible-local-<pid>...`` under
ANSIBLE_LOCAL_TEMP, by default ~/.ansible/tmp): the controller process makes it 0700 when it starts, its
workers inherit it, and it is removed when ansible-playbook ends. So the tasks of one run (and only they) share
their tokens. A module run elsewhere (another host, a container connection) or as another user (become) gets no
directory and signs in itself, as before.

FOR INTERNAL COLLECTION USE ONLY: may change in any release.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.azure_cmk.batch.plugins.plugin_utils._run_dir import run_directory

OPTION = "token_cache_dir"


class RunCacheAction(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no longer has any effect
        args = dict(self._task.args)
        if args.get(OPTION) is None:  # the module leaves it alone when told not to cache (token_cache)
            directory = run_directory(self._connection, self._play_context, C.DEFAULT_LOCAL_TMP)
            if directory:
                args[OPTION] = directory
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_args=args, task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
