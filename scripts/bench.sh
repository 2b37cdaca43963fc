#!/usr/bin/env bash
# Throughput of `trailhound events --count-by eventName` on a generated gzipped corpus in the S3 layout,
# beside floors measured in the same run on the same files:
#   gunzip floor  : zcat of every file to /dev/null (one process, one core) and two in parallel (both cores)
#   by hand       : zcat | jq -c '.Records[]' | wc -l, what people do without a tool
#   detect        : trailhound detect with the built-in pack plus the 57 SigmaHQ CloudTrail rules, beside
#                   the gunzip+parse floor (events --count-by eventName reads and parses every record)
# Usage: scripts/bench.sh [GIB] (default 1; the corpus is cached under bench-data/)
# RUNS (default 3): how many times events and detect run, one after the other in turn; the fastest
# run of each counts, so a burst of load from elsewhere on a shared machine skews neither alone.
# The binary is built without the AWS SDK (--no-default-features): the offline paths are identical and
# the SDK would add 15 minutes of release compilation.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh
gib="${1:-1}"
data="bench-data/scale-${gib}g"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p trailhound --no-default-features >&2
cargo build --release --locked -p samplegen >&2
bin="$target/release/trailhound"
if [ ! -f "$data.done" ]; then
  rm -rf "$data"
  "$target/release/trailhound-samplegen" scale --gib "$gib" --out "$data" >&2
  touch "$data.done"
fi
list=$(mktemp)
find "$data" -name '*.json.gz' | sort > "$list"
files=$(wc -l < "$list")
cbytes=$(xargs cat < "$list" | wc -c)
ubytes=$(xargs zcat < "$list" | wc -c)
cores=$(nproc)

# Warm the page cache so every contender reads from memory.
xargs cat < "$list" > /dev/null

read -r t_zcat _ < <(measure "xargs zcat < '$list' > /dev/null")
read -r t_zcat_par _ < <(measure "xargs -P $cores -n $(( (files + cores - 1) / cores )) zcat < '$list' > /dev/null")
read -r t_jq _ < <(measure "xargs zcat < '$list' | jq -c '.Records[]' | wc -l")
sigma="${SIGMA_RULES:-../shared/corpus/sigma/rules}"
best_th="" best_det="" pair_ratios=""
for _ in $(seq "${RUNS:-3}"); do
  run_th=$(measure "'$bin' events '$data' --count-by eventName --format jsonl")
  run_det=$(measure "'$bin' detect '$data' --rules '$sigma' --format jsonl")
  best_th=$(faster "$best_th" "$run_th")
  best_det=$(faster "$best_det" "$run_det")
  # The ratio of each round's two runs, taken back to back: load from elsewhere on a shared
  # machine moves both, so the spread of these says how much to trust the fastest-run ratio.
  pair_ratios="$pair_ratios $(awk -v a="${run_th%% *}" -v b="${run_det%% *}" 'BEGIN { printf "%.2f", a / b }')"
done
read -r t_th rss_th <<< "$best_th"
read -r t_det rss_det <<< "$best_det"

mb() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", b / 1e6 / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
per_core_floor=$(mb "$ubytes" "$t_zcat")
th=$(mb "$ubytes" "$t_th")
th_per_core=$(awk -v x="$th" -v c="$cores" 'BEGIN { printf "%.0f", x / c }')
{
  echo "corpus: $files files, $(awk -v b="$cbytes" 'BEGIN{printf "%.2f", b/1e9}') GB gzipped, $(awk -v b="$ubytes" 'BEGIN{printf "%.2f", b/1e9}') GB uncompressed; $cores cores"
  printf "%-52s %8s %10s\n" "command" "seconds" "MB/s (unc)"
  printf "%-52s %8s %10s\n" "zcat > /dev/null (1 core: the per-core floor)" "$t_zcat" "$per_core_floor"
  printf "%-52s %8s %10s\n" "zcat x$cores in parallel > /dev/null" "$t_zcat_par" "$(mb "$ubytes" "$t_zcat_par")"
  printf "%-52s %8s %10s\n" "zcat | jq -c '.Records[]' | wc -l" "$t_jq" "$(mb "$ubytes" "$t_jq")"
  printf "%-52s %8s %10s\n" "trailhound events --count-by eventName" "$t_th" "$th"
  echo "trailhound per core: $th_per_core MB/s = $(ratio "$th_per_core" "$per_core_floor") x the per-core gunzip floor (target >= 0.70)"
  echo "trailhound vs zcat | jq: $(ratio "$t_jq" "$t_th") x faster"
  echo "trailhound peak RSS: $(( rss_th / 1024 )) MiB (target < 200)"
  printf "%-52s %8s %10s\n" "trailhound detect (pack + SigmaHQ rules)" "$t_det" "$(mb "$ubytes" "$t_det")"
  echo "detect vs the gunzip+parse floor (events --count-by): $(ratio "$t_th" "$t_det") (target >= 0.60); peak RSS $(( rss_det / 1024 )) MiB"
  echo "(events and detect: the fastest of ${RUNS:-3} runs each, taken in turn)"
  echo "detect vs events, round by round:$pair_ratios (median $(median "$pair_ratios"))"
} | tee bench-data/events-bench.txt
rm -f "$list"
