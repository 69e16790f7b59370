#!/usr/bin/env bash
# Every impaired-call case (tests/call_impaired.rs), the ones CI skips too,
# at a length of your choice; prints each case's figures and draws the
# narrowing link's target and sent bitrate as docs/img/impaired-step.svg, and
# the bottleneck's rates and queue as docs/img/impaired-bottleneck.svg.
# Figures, not a verdict: a case that fails still writes its figures.
#   bash scripts/bench-impaired.sh [SECONDS]   (default: each case's own)
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup-system.sh >/dev/null
cargo build -q --locked --workspace --bins
[ -n "${1:-}" ] && export MENTORLIVE_IMPAIRED_SECONDS="$1"
# One case at a time: on 2 cores, parallel calls share the CPU with the
# proxy and coturn and would colour the figures.
cargo test -q --locked -p mentorlive-e2e --test call_impaired -- --include-ignored \
  --test-threads 1 2>&1 | grep -E "^IMPAIRED|test result|FAILED|panicked" | cut -c1-400
python3 scripts/impaired_table.py test-output/impaired docs/img/impaired-step.svg
