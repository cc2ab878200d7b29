# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs azure_cmk.batch.keyvault_cmk_key_info with the run's token cache (plugins/plugin_utils/_run_cache.py)."""

from __future__ import annotations

from ansible_collections.azure_cmk.batch.plugins.plugin_utils._run_cache import RunCacheAction


class ActionModule(RunCacheAction):
    pass
