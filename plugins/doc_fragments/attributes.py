# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
"""

    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/azure_cmk.batch.all) in C(module_defaults) to set the authentication options once.
    support: full
    membership:
      - azure_cmk.batch.all
"""

    INFO_MODULE = r"""
attributes:
  check_mode:
    description: This module only reads; it runs the same in check mode.
    support: full
  diff_mode:
    description: This module only reads; it returns no diff.
    support: none
"""
