# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Mirrors TAGS_ARGSPEC in plugins/module_utils/_module.py; a unit test keeps the two equal.
    DOCUMENTATION = r"""
options:
  tags:
    description:
      - Tags to set. Tags already on the resource and not listed here are kept, unless O(purge_tags=true).
    type: dict
  purge_tags:
    description:
      - Remove the tags not listed in O(tags).
      - Defaults to V(false) because Azure Policy often adds tags of its own, which removing would lose.
    type: bool
    default: false
"""
