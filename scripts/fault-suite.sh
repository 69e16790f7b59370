#!/usr/bin/env bash
# The fault suite: real calls under faults (network namespaces and nftables
# for loss and outages, SIGKILL for crashes), one case after another, then a
# table of every case with pass/fail and its figures. CI runs the same tests
# inside scripts/test.sh; this command runs only them and prints the table.
#   bash scripts/fault-suite.sh
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup-system.sh >/dev/null || exit 1
cargo build --locked -q -p mentorlive-server -p mentorlive-cli || exit 1
log=$(mktemp)
cargo test --locked -p mentorlive-e2e --test network_faults --test call_faults --test nat_turn \
  -- --include-ignored --test-threads=1 --nocapture > "$log" 2>&1
status=$?
echo
echo "| case | result | figures |"
echo "|---|---|---|"
grep -o 'FAULT |.*' "$log" | sed -e 's/^FAULT //' -e 's/$/ |/'
grep -E '^test .* FAILED$' "$log" | sed -E 's/^test (.*) \.\.\. FAILED$/| \1 | FAIL | see the log |/'
if [ "$status" -ne 0 ]; then
  echo
  echo "Some cases failed; the full log: $log"
fi
exit "$status"
