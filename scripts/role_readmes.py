"""Write each role's README.md from its meta/argument_specs.yml (the one validation source); --check fails when one
is out of date. Run: python scripts/role_readmes.py [--check]"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

EXAMPLES = {
    "cmk_vault_key": """- name: Vault and key for Batch customer-managed keys
  hosts: localhost
  gather_facts: false
  roles:
    - role: azure_cmk.batch.cmk_vault_key
      vars:
        cmk_vault_key_resource_group: rg-cmk
        cmk_vault_key_vault_name: kv-batch-cmk
        cmk_vault_key_rbac: true
""",
    "cmk_batch_account": """- name: Batch accounts on a customer-managed key (one inventory host per account)
  hosts: cmk_batch_accounts
  gather_facts: false
  tasks:
    - name: Vault and key, once
      ansible.builtin.import_role:
        name: azure_cmk.batch.cmk_vault_key
      run_once: true
      vars:
        cmk_vault_key_resource_group: rg-cmk
        cmk_vault_key_vault_name: kv-batch-cmk

    - name: The account on the key, verified
      ansible.builtin.import_role:
        name: azure_cmk.batch.cmk_batch_account
      vars:
        cmk_batch_account_name: "{{ inventory_hostname }}"
        cmk_batch_account_resource_group: rg-cmk
        cmk_batch_account_identity_type: UserAssigned
        cmk_batch_account_user_assigned_identity: id-batch-cmk
        cmk_batch_account_vault_name: kv-batch-cmk

- name: Back on Microsoft-managed keys
  hosts: batchcmk01
  gather_facts: false
  tasks:
    - name: Revert
      ansible.builtin.import_role:
        name: azure_cmk.batch.cmk_batch_account
        tasks_from: revert
      vars:
        cmk_batch_account_name: batchcmk01
        cmk_batch_account_resource_group: rg-cmk
""",
    "cmk_key_rotation": """- name: Daily job - rotate when the newest version is 90 days old, move pinned accounts
  hosts: localhost
  gather_facts: false
  roles:
    - role: azure_cmk.batch.cmk_key_rotation
      vars:
        cmk_key_rotation_vault_name: kv-batch-cmk
        cmk_key_rotation_resource_group: rg-cmk
        cmk_key_rotation_max_age_days: 90
""",
    "cmk_drift_report": """- name: Nightly CMK drift report
  hosts: localhost
  gather_facts: false
  roles:
    - role: azure_cmk.batch.cmk_drift_report
      vars:
        cmk_drift_report_resource_group: rg-cmk
        cmk_drift_report_dir: /var/lib/awx/reports/cmk
        cmk_drift_report_fail_on: warning
""",
}


def plain(t: object) -> str:
    t = " ".join(t) if isinstance(t, list) else str(t)
    return re.sub(r"\b[COVMP]\(([^)#]*)(#\w+)?\)", r"`\1`", t)


def render(role: str) -> str:
    d = ROOT / "roles" / role
    spec = yaml.safe_load((d / "meta/argument_specs.yml").read_text())["argument_specs"]
    desc = yaml.safe_load((d / "meta/main.yml").read_text())["galaxy_info"]["description"]
    out = [
        f"# azure_cmk.batch.{role}",
        "",
        desc,
        "",
        "Generated from `meta/argument_specs.yml`, the role's one validation source: ansible-core checks the",
        "variables against it before the first task. `ansible-doc -t role azure_cmk.batch."
        + role
        + "` shows the same.",
        "",
    ]
    for entry, e in spec.items():
        out += [
            f"## Entry point `{entry}`" + (" (`tasks_from: " + entry + "`)" if entry != "main" else ""),
            "",
            e["short_description"],
            "",
        ]
        out += [
            "- " + plain(x) for x in (e["description"] if isinstance(e["description"], list) else [e["description"]])
        ]
        out += ["", "| option | type | default | description |", "| --- | --- | --- | --- |"]
        for name, o in e["options"].items():
            default = (
                "**required**"
                if o.get("required")
                else (
                    "`" + yaml.safe_dump(o.get("default"), default_flow_style=True).strip().replace("\n...", "") + "`"
                    if "default" in o
                    else ""
                )
            )
            typ = o["type"] + (f" of {o['elements']}" if o.get("elements") else "")
            ch = (" One of " + ", ".join(f"`{c}`" for c in o["choices"]) + ".") if o.get("choices") else ""
            out.append(f"| `{name}` | {typ} | {default} | {plain(o['description'])}{ch} |")
        out.append("")
    out += [
        "## Example",
        "",
        "```yaml",
        "---",
        EXAMPLES[role].rstrip(),
        "```",
        "",
        "Credentials: the roles pass `azure_cmk_auth` (a dict of the modules' auth options) through",
        "`module_defaults: group/azure_cmk.batch.all`; without it the modules use the `AZURE_*` variables",
        "(as AWX's Azure credential sets them). Every task is check-mode safe: run with `--check --diff` first.",
        "",
    ]
    return "\n".join(out)


def main() -> int:
    stale = []
    for d in sorted((ROOT / "roles").iterdir()):
        text = render(d.name)
        if "--check" in sys.argv:
            if (d / "README.md").read_text() != text:
                stale.append(d.name)
        else:
            (d / "README.md").write_text(text)
    for name in stale:
        print(f"roles/{name}/README.md is out of date: python scripts/role_readmes.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
