#!/usr/bin/env bash
# Opus in-band FEC at a given random loss (default 5 %), through the bridge's
# own decoder: synthesised speech (ffmpeg's flite), encoded as the page does.
# Figures go in docs/reliability.md. Usage: bash scripts/bench-fec.sh [LOSS%]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
loss="${1:-5}"
speech="$(mktemp --suffix=.f32)"
trap 'rm -f "$speech"' EXIT
text="Thanks for joining. Today we will go through your project plan, look at the parts that worry you, and agree on the next three steps. Tell me first what went well this week, then what got in the way."
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "flite=text='${text}':voice=slt" -ar 48000 -ac 1 -f f32le "$speech"
cargo run -q --release -p mentorlive-bridge --example fec_at_loss -- "$speech" "$loss"
