# Copyright: azure_cmk.batch contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cmk_report filter: a drift report (accounts and summary, as cmk_compliance_info returns them) from the host
variables of batch_accounts inventory hosts, or from the accounts of reports made apart - each slice of a sliced AWX
job writes its part, and the merge gives the report the whole job would have given. The documentation is in
cmk_report.yml; the work in plugin_utils/_batch_hosts.py (merged_report)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.azure_cmk.batch.plugins.plugin_utils._batch_hosts import merged_report


def cmk_report(items, unreadable=None):
    try:
        return merged_report(items, unreadable)
    except ValueError as exc:
        raise AnsibleFilterError(f"cmk_report: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"cmk_report": cmk_report}
