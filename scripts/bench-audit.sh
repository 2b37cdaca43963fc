#!/usr/bin/env bash
# `trailhound audit` on a generated account snapshot (default 100k instances, 10k security groups,
# 2k subnets; aws CLI JSON), beside baselines measured in the same run on the same files:
#   jq parse   : jq -c . over every snapshot file to /dev/null (reading and parsing the JSON, nothing else)
#   audit      : trailhound audit (load, build the reachability model, exposure of every instance, all checks)
#   reach      : trailhound reach --exposure (load + the full exposure map)
# Usage: scripts/bench-audit.sh [INSTANCES] [GROUPS] [SUBNETS]
# RUNS (default 3): how many times audit and reach run, in turn; the fastest run of each is shown,
# with every audit time and their median, so that load from elsewhere shows in the spread.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh
instances="${1:-100000}"
groups="${2:-10000}"
subnets="${3:-2000}"
data="bench-data/account-${instances}-${groups}-${subnets}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p trailhound --no-default-features >&2
cargo build --release --locked -p samplegen >&2
bin="$target/release/trailhound"
if [ ! -f "$data.done" ]; then
  rm -rf "$data"
  "$target/release/trailhound-samplegen" account --instances "$instances" --groups "$groups" --subnets "$subnets" --out "$data" >&2
  touch "$data.done"
fi
bytes=$(find "$data" -name '*.json' -print0 | xargs -0 cat | wc -c)
find "$data" -name '*.json' -print0 | xargs -0 cat > /dev/null
read -r jq_s jq_rss < <(measure "find '$data' -name '*.json' -print0 | xargs -0 jq -c . > /dev/null")
best_audit="" best_reach="" audit_times=""
for _ in $(seq "${RUNS:-3}"); do
  run_audit=$(measure "'$bin' audit '$data' --format jsonl --now 2026-12-01T00:00:00Z > /dev/null")
  run_reach=$(measure "'$bin' reach --exposure --snapshot '$data' --format jsonl > /dev/null")
  best_audit=$(faster "$best_audit" "$run_audit")
  best_reach=$(faster "$best_reach" "$run_reach")
  audit_times="$audit_times ${run_audit%% *}"
done
read -r audit_s audit_rss <<< "$best_audit"
read -r reach_s reach_rss <<< "$best_reach"
printf 'snapshot: %s instances, %s security groups, %s subnets, %.0f MB of JSON\n' "$instances" "$groups" "$subnets" "$(echo "$bytes / 1000000" | bc -l)"
printf '%-34s %8s s  %8s MiB RSS\n' "jq -c . (parse only, baseline)" "$jq_s" "$((jq_rss / 1024))"
printf '%-34s %8s s  %8s MiB RSS  = %.2f x the jq parse time\n' "trailhound audit" "$audit_s" "$((audit_rss / 1024))" "$(echo "$audit_s / $jq_s" | bc -l)"
printf '%-34s %8s s  %8s MiB RSS  = %.2f x the jq parse time\n' "trailhound reach --exposure" "$reach_s" "$((reach_rss / 1024))" "$(echo "$reach_s / $jq_s" | bc -l)"
echo "(audit and reach: the fastest of ${RUNS:-3} runs each, taken in turn)"
echo "audit, run by run:$audit_times s (median $(median "$audit_times") s; target < 2 s)"
