#!/usr/bin/env bash
# make demo: start the emulator, then run the system-assigned CMK playbook against it three times -
# with --check --diff (what would change), for real, and again (nothing left to change) - and end with the
# drift report, printing where it is.
set -euo pipefail
cd "$(dirname "$0")/.."
state=build/demo
rm -rf "$state" && mkdir -p "$state"

# A 10 ms poll hint: Azure's Batch 202 has none, and azure-core would then wait its default 30 s per poll.
# Azure's delays, small but not zero, so the run goes through the waits real Azure needs: a grant reaching
# Key Vault and Batch, a new vault registering its name, an account recovering its key access (the same
# values as before serve's default became Azure's timing; Resource Graph answers at once, nothing throttled).
azure-emulator serve --state-file "$state/state.json" --ca-dir "$state/ca" --ready-file "$state/ready.json" \
  --setting timing=instant --setting lro_retry_after_ms=10 --setting grant_propagation_seconds=1 \
  --setting vault_registering_seconds=0.5 --setting vault_dns_seconds=1 --setting account_recovery_seconds=1 \
  --setting arm_throttling=false --setting resource_graph_throttling=false >"$state/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$state/ready.json" ] && break; sleep 0.1; done
[ -s "$state/ready.json" ] || { cat "$state/emulator.log"; exit 1; }

# The emulator is reached the way a corporate proxy is: HTTPS_PROXY plus its CA; AZURE_* as AWX sets them.
eval "$(azure-emulator env --ready-file "$state/ready.json")"
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-}
playbook=playbooks/enable_cmk_system_assigned.yml
inventory=playbooks/inventory
report="$PWD/$state/report"

banner() { printf '\n==== %s ====\n' "$*"; }
banner "1/4 what would change: ansible-playbook -i $inventory $playbook --check --diff"
ansible-playbook -i "$inventory" "$playbook" --check --diff
banner "2/4 apply: ansible-playbook -i $inventory $playbook"
ansible-playbook -i "$inventory" "$playbook"
banner "3/4 again: nothing left to change"
ansible-playbook -i "$inventory" "$playbook" | tee "$state/third-run.log"
grep -qE 'batchcmk01 +: ok=[0-9]+ +changed=0 ' "$state/third-run.log" || { echo "the third run changed something"; exit 1; }
banner "the emulator saw $(curl -s "$(python3 -c "import json; print(json.load(open('$state/ready.json'))['control_url'])")/requests?write=true" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["value"]))') write calls in all"
banner "4/4 the drift report: ansible-playbook -i $inventory playbooks/drift_report.yml"
ansible-playbook -i "$inventory" playbooks/drift_report.yml -e cmk_drift_report_dir="$report"
banner "the report: $report/cmk-drift-report.md (and .json)"
