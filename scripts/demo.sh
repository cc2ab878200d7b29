#!/usr/bin/env bash
# make demo: start the emulator, then run the system-assigned CMK playbook against it three times -
# with --check --diff (what would change), for real, and again (nothing left to change).
set -euo pipefail
cd "$(dirname "$0")/.."
state=build/demo
rm -rf "$state" && mkdir -p "$state"

# A 10 ms poll hint: Azure's Batch 202 has none, and azure-core would then wait its default 30 s per poll.
azure-emulator serve --state-file "$state/state.json" --ca-dir "$state/ca" --ready-file "$state/ready.json" \
  --setting lro_retry_after_ms=10 >"$state/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$state/ready.json" ] && break; sleep 0.1; done
[ -s "$state/ready.json" ] || { cat "$state/emulator.log"; exit 1; }

# The emulator is reached the way a corporate proxy is: HTTPS_PROXY plus its CA; AZURE_* as AWX sets them.
eval "$(azure-emulator env --ready-file "$state/ready.json")"
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-}
playbook=playbooks/enable_cmk_system_assigned.yml

banner() { printf '\n==== %s ====\n' "$*"; }
banner "1/3 what would change: ansible-playbook $playbook --check --diff"
ansible-playbook "$playbook" --check --diff
banner "2/3 apply: ansible-playbook $playbook"
ansible-playbook "$playbook"
banner "3/3 again: nothing left to change"
ansible-playbook "$playbook" | tee "$state/third-run.log"
grep -qE 'localhost +: ok=[0-9]+ +changed=0 ' "$state/third-run.log" || { echo "the third run changed something"; exit 1; }
banner "the emulator saw $(curl -s "$(python3 -c "import json; print(json.load(open('$state/ready.json'))['control_url'])")/requests?write=true" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["value"]))') write calls in all"
